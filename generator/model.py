"""The multi-tier SampleRNN: frame-level GRU tiers, top first, conditioning a sample-level MLP.

Tier ``k`` reads the previous ``frame_sizes[k]`` samples once per frame and emits one
conditioning vector for each frame of the tier below (the MLP counts as a tier of frame 1).
:meth:`SampleRNN.forward` scores whole sequences for training; :class:`StepState` and
:meth:`SampleRNN.step` generate one sample at a time with each tier run once per its frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from generator.config import GeneratorConfig


class FrameTier(nn.Module):
    """One frame-level tier: frame of samples (+ upper conditioning) -> GRU -> ``ratio`` outputs."""

    def __init__(self, frame_size: int, ratio: int, dim: int, q_levels: int) -> None:
        super().__init__()
        self.frame_size, self.ratio, self.dim, self.q_levels = frame_size, ratio, dim, q_levels
        self.input_proj = nn.Linear(frame_size, dim)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.upsample = nn.Linear(dim, dim * ratio)

    def forward(self, frames: torch.Tensor, cond: torch.Tensor | None,
                hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``frames`` (B, n, frame) int classes -> (B, n * ratio, dim) conditioning, new hidden."""
        x = self.input_proj(frames.float() * (2.0 / (self.q_levels - 1)) - 1.0)
        if cond is not None:
            x = x + cond
        out, hidden = self.gru(x, hidden)
        batch, n, _ = out.shape
        return self.upsample(out).view(batch, n * self.ratio, self.dim), hidden

    def step(self, frame: torch.Tensor, cond: torch.Tensor | None, hidden: torch.Tensor) -> torch.Tensor:
        """One frame for generation, updating ``hidden`` (B, dim) in place.

        ``frame`` (B, frame) int classes, ``cond`` (B, dim) or None; returns (B, ratio, dim).
        The GRU runs as a single cell with :attr:`gru`'s weights and equations (on CUDA a fused
        cell kernel, not cuDNN's sequence call: results agree to rounding, not bit for bit),
        so the step can be captured in a CUDA graph.
        """
        x = self.input_proj(frame.float() * (2.0 / (self.q_levels - 1)) - 1.0)
        if cond is not None:
            x = x + cond
        gru = self.gru
        hidden.copy_(torch.gru_cell(x, hidden, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0))
        return self.upsample(hidden).view(hidden.shape[0], self.ratio, self.dim)


class SampleMLP(nn.Module):
    """The sample-level tier: embeddings of the last ``frame_size`` samples + conditioning -> logits."""

    def __init__(self, frame_size: int, dim: int, embedding_dim: int, q_levels: int, layers: int) -> None:
        super().__init__()
        self.frame_size = frame_size
        self.embedding = nn.Embedding(q_levels, embedding_dim)
        self.input_proj = nn.Linear(frame_size * embedding_dim, dim)
        self.hidden = nn.ModuleList(nn.Linear(dim, dim) for _ in range(layers))
        self.output = nn.Linear(dim, q_levels)

    def forward(self, previous: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``previous`` (B, L, frame) int classes, ``cond`` (B, L, dim) -> logits (B, L, q_levels)."""
        batch, length, _ = previous.shape
        x = self.input_proj(self.embedding(previous).view(batch, length, -1)) + cond
        return self.head(x)

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """The layers after the input projection (shared by training and the cached step)."""
        x = torch.relu(x)
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.output(x)

    def input_table(self) -> torch.Tensor:
        """(frame, q_levels, dim): the input projection of every class at every position.

        Because embedding-then-linear is linear in the one-hot input, the projection of a
        window is a sum of table rows: one gather instead of an embedding and a matmul.
        """
        weight = self.input_proj.weight.view(self.input_proj.out_features, self.frame_size, -1)
        return torch.einsum("qe,dpe->pqd", self.embedding.weight, weight)


@dataclass
class StepState:
    """Generation state of a batch, in fixed tensors that :meth:`SampleRNN.step` updates in place.

    ``hidden[k]`` (B, dim) is tier ``k``'s GRU state and ``cond[k]`` (B, ratio, dim) its outputs
    for its current frame; ``table`` is the MLP's input table and ``positions`` the table row
    each sample of the MLP's window reads. Fixed storage is what lets a CUDA graph replay the
    step.
    """

    hidden: list[torch.Tensor]
    cond: list[torch.Tensor]
    table: torch.Tensor
    positions: torch.Tensor

    def reset(self) -> None:
        """Back to the start of a song (zero hiddens and outputs)."""
        for tensor in (*self.hidden, *self.cond):
            tensor.zero_()


class SampleRNN(nn.Module):
    """Frame tiers (``config.frame_sizes``, top first) above a sample-level MLP."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        sizes = config.frame_sizes
        lower = list(sizes[1:]) + [1]
        self.tiers = nn.ModuleList(FrameTier(size, size // below, config.dim, config.q_levels)
                                   for size, below in zip(sizes, lower))
        self.mlp = SampleMLP(sizes[-1], config.dim, config.embedding_dim, config.q_levels, config.mlp_layers)

    @property
    def lookback(self) -> int:
        """Samples of context before the first predicted sample (the top frame)."""
        return self.config.frame_sizes[0]

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        """Logits (B, L, q) for ``sequence[:, lookback:]`` given ``sequence`` (B, lookback + L)."""
        top, length = self.lookback, sequence.shape[1] - self.lookback
        cond = None
        for tier in self.tiers:
            size = tier.frame_size
            frames = sequence[:, top - size: top - size + length].reshape(sequence.shape[0], -1, size)
            cond, _ = tier(frames, cond)
        size = self.mlp.frame_size
        previous = sequence[:, top - size: top + length - 1].unfold(1, size, 1)
        return self.mlp(previous, cond)

    def start(self, batch: int) -> StepState:
        """Fresh generation state for ``batch`` songs; call under ``torch.inference_mode()``."""
        device, dim = self.mlp.output.weight.device, self.config.dim
        return StepState(hidden=[torch.zeros(batch, dim, device=device) for _ in self.tiers],
                         cond=[torch.zeros(batch, tier.ratio, dim, device=device) for tier in self.tiers],
                         table=self.mlp.input_table(),
                         positions=torch.arange(self.mlp.frame_size, device=device))

    def step(self, history: torch.Tensor, t: int, state: StepState) -> torch.Tensor:
        """Logits (B, q) for sample ``t`` given ``history`` (B, >= lookback), the samples before it.

        A tier runs only when ``t`` starts one of its frames; otherwise its cached output for
        the current frame is reused. Only ``t`` modulo the top frame size matters, and
        ``state`` is updated in place.
        """
        for k, tier in enumerate(self.tiers):
            if t % tier.frame_size:
                continue
            upper = None
            if k > 0:
                above = self.tiers[k - 1].frame_size
                upper = state.cond[k - 1][:, (t % above) // tier.frame_size]
            state.cond[k].copy_(tier.step(history[:, -tier.frame_size:], upper, state.hidden[k]))
        size = self.mlp.frame_size
        x = state.table[state.positions, history[:, -size:]].sum(1)
        x = x + self.mlp.input_proj.bias + state.cond[-1][:, t % size]
        return self.mlp.head(x)
