"""The sampling engine: one top-tier frame of samples per call for a whole batch of songs.

:class:`FrameSampler` keeps everything a batch needs in fixed tensors (a window of the last
frame and the one being generated, the tier states, the uniforms that pick each sample, the
entropy so far) and generates ``frame_sizes[0]`` samples per call: each tier runs once per
its frame, the sample-level MLP once per sample. Because nothing is allocated or decided from
data inside a call, on CUDA the call is captured once as a CUDA graph and then replayed, so a
frame of 16 samples costs one launch instead of a few hundred.

Sampling draws sample ``i`` by inverse transform: the first class whose cumulative
probability under ``softmax(logits / T)`` exceeds a uniform ``u_i`` in [0, 1), so a class of
zero probability is never drawn. The uniforms come from a generator per song, outside any
graph, so a song's random draws depend on its own seed, not on the songs beside it (its
arithmetic may still differ with the batch size on a GPU, where kernels depend on shapes).
"""

from __future__ import annotations

import logging
import math

import torch

from generator.model import SampleRNN

log = logging.getLogger(__name__)


def uses_graphs(device: torch.device, requested: bool | None) -> bool:
    """CUDA graphs by default on CUDA; never on CPU (there is no launch cost to save)."""
    return device.type == "cuda" and (requested is None or requested)


_CAPTURE_STREAMS: dict[int, torch.cuda.Stream] = {}


def capture_stream(device: torch.device) -> torch.cuda.Stream:
    """The side stream every warm-up and capture on ``device`` uses (one cuBLAS workspace)."""
    index = torch.cuda.current_device() if device.index is None else device.index
    if index not in _CAPTURE_STREAMS:
        _CAPTURE_STREAMS[index] = torch.cuda.Stream(device=index)
    return _CAPTURE_STREAMS[index]


class FrameSampler:
    """Generate one top frame for ``len(temperatures)`` songs per :meth:`next_frame` call.

    Parameters
    ----------
    model : SampleRNN
        In eval mode, on the device to generate on.
    temperatures : sequence of float
        One per song; logits are divided by it before the softmax.
    silence : int
        The class of a zero sample: the history before the first sample.
    graphs : bool, optional
        Capture the frame as a CUDA graph (default: on CUDA only). If capture fails the
        sampler says so in the log and runs the same code eagerly.
    """

    @torch.inference_mode()
    def __init__(self, model: SampleRNN, temperatures, *, silence: int, graphs: bool | None = None) -> None:
        device = model.mlp.output.weight.device
        self.model, self.frame, self.silence = model, model.lookback, silence
        batch = len(temperatures)
        self.temps = torch.tensor(list(temperatures), dtype=torch.float32, device=device).unsqueeze(1)
        self.window = torch.full((batch, 2 * self.frame), silence, dtype=torch.long, device=device)
        self.uniforms = torch.zeros(batch, self.frame, device=device)
        self.entropy_nats = torch.zeros(batch, dtype=torch.float64, device=device)
        self.state = model.start(batch)
        self.graph: torch.cuda.CUDAGraph | None = None
        if uses_graphs(device, graphs):
            self.graph = self._capture()

    @torch.inference_mode()
    def next_frame(self, uniforms: torch.Tensor) -> torch.Tensor:
        """The next ``frame`` samples (B, frame) as classes, drawn with ``uniforms`` (B, frame) in [0, 1)."""
        self.uniforms.copy_(uniforms)
        if self.graph is not None:
            self.graph.replay()
        else:
            self._generate_frame()
        return self.window[:, : self.frame]

    def entropy_bits(self, n_samples: int) -> list[float]:
        """Mean entropy of the sampling distribution over ``n_samples`` samples, per song, in bits."""
        return (self.entropy_nats / n_samples / math.log(2)).tolist()

    def _generate_frame(self) -> None:
        """Fill ``window[:, frame:]`` given ``window[:, :frame]``, then shift it to the front."""
        model, frame, window = self.model, self.frame, self.window
        for i in range(frame):
            logits = model.step(window[:, i: frame + i], i, self.state)
            logp = torch.log_softmax(logits / self.temps, dim=-1)
            probs = logp.exp()
            self.entropy_nats.sub_((probs * logp).sum(-1).double())
            cdf = probs.cumsum(-1)
            # Count the classes whose CDF is <= u * total: the next one is the first to exceed it.
            # u < 1 keeps u * total below the total, so the clamp only guards against NaN logits.
            below = (cdf <= self.uniforms[:, i: i + 1] * cdf[:, -1:]).sum(-1)
            window[:, frame + i].copy_(below.clamp_(max=probs.shape[-1] - 1))
        window[:, :frame].copy_(window[:, frame:])

    def _capture(self) -> torch.cuda.CUDAGraph | None:
        """Record one frame as a CUDA graph, warmed up and captured on one side stream.

        The warm-up runs eagerly first (its errors are real errors, not capture failures) on
        the stream the capture uses: cuBLAS keeps a workspace per (handle, stream), so a
        warm-up on another stream would leave that workspace to be allocated mid-capture.
        Everything runs with the model's GPU current (a capture records only the current
        device's stream), and the outer stream context restores the caller's stream even
        when a failed capture makes ``torch.cuda.graph`` skip restoring it.
        """
        device = self.window.device
        graph: torch.cuda.CUDAGraph | None = torch.cuda.CUDAGraph()
        with torch.cuda.device(device), torch.inference_mode():
            stream = capture_stream(device)
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                self._generate_frame()  # warm-up
                try:
                    with torch.cuda.graph(graph, stream=stream):
                        self._generate_frame()
                except RuntimeError as exc:  # capture is an optimisation: fall back to eager
                    log.warning("CUDA graph capture failed (%s); generating without graphs", exc)
                    graph = None
            torch.cuda.current_stream().wait_stream(stream)
            self._reset()
        return graph

    @torch.inference_mode()
    def _reset(self) -> None:
        self.state.reset()
        self.window.fill_(self.silence)
        self.entropy_nats.zero_()
