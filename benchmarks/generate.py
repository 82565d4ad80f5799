"""Generator speed: dropper's batched, tier-cached sampler vs a per-sample baseline, plus train step time.

On CUDA the large batch runs with CUDA graphs (the default) and again without, for the ratio.
The baseline takes one Python-level step per sample for one song and re-runs every upper tier
at every sample (from the hidden state saved at its frame start) with no input table. Weights
are random: speed does not depend on training. Run: ``python benchmarks/generate.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.config import GeneratorConfig
from generator.model import SampleRNN
from generator.sample import SongRequest, generate_batch
from generator.train import train_step


@torch.inference_mode()
def baseline_samples_per_s(model: SampleRNN, n_samples: int, device: str) -> float:
    """One song, one Python step per sample, upper tiers recomputed at every sample."""
    sizes = [tier.frame_size for tier in model.tiers]
    look = model.lookback
    history = torch.full((1, look + n_samples), model.config.q_levels // 2, dtype=torch.long, device=device)
    frame_start_hidden = [None] * len(model.tiers)
    generator = torch.Generator(device=device).manual_seed(0)
    started = time.perf_counter()
    for t in range(n_samples):
        cond, hiddens = None, []
        for k, tier in enumerate(model.tiers):
            frame_t = t - t % sizes[k]
            frame = history[:, look + frame_t - sizes[k]: look + frame_t].unsqueeze(1)
            upper = None if cond is None else cond[:, (t % sizes[k - 1]) // sizes[k]].unsqueeze(1)
            cond, hidden = tier(frame, upper, frame_start_hidden[k])
            hiddens.append(hidden)
        for k in range(len(model.tiers)):
            if (t + 1) % sizes[k] == 0:
                frame_start_hidden[k] = hiddens[k]
        size = model.mlp.frame_size
        previous = history[:, look + t - size: look + t].unsqueeze(1)
        logits = model.mlp(previous, cond[:, t % size].unsqueeze(1))[:, 0]
        probs = F.softmax(logits, dim=-1)
        history[:, look + t] = torch.multinomial(probs, 1, generator=generator).squeeze(1)
    if history.is_cuda:  # kernels run asynchronously: wait for the last one before reading the clock
        torch.cuda.synchronize()
    return n_samples / (time.perf_counter() - started)


def sampler_samples_per_s(model: SampleRNN, batch: int, n_samples: int, folder: Path,
                          graphs: bool | None = None) -> float:
    """Aggregate samples/s of dropper's sampler for ``batch`` songs, writing them to ``folder``."""
    requests = [SongRequest(folder / f"song{i}.wav", 1.0, i) for i in range(batch)]
    device = next(model.parameters()).device
    started = time.perf_counter()
    generate_batch(model, requests, n_samples=n_samples, seed=0, graphs=graphs)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * n_samples / (time.perf_counter() - started)


def train_step_s(config: GeneratorConfig, device: str, repeats: int) -> float:
    model = SampleRNN(config).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    batch = torch.randint(0, config.q_levels, (config.batch_size, model.lookback + config.seq_len), device=device)
    times = []
    for _ in range(repeats + 1):  # the first step warms up
        started = time.perf_counter()
        train_step(model, optimizer, batch)  # .item() of the loss waits for the device
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return min(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small model and short runs (under a minute)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=None, help="songs per batch for the large-batch figure")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch (shared machines: 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.quick:
        config = GeneratorConfig(dim=128, seq_len=256, batch_size=8)
        n_samples, n_baseline, batch, repeats = 800, 400, args.batch or 32, 2
    else:
        config = GeneratorConfig()
        gpu = args.device == "cuda"
        n_samples, n_baseline, repeats = (16384 if gpu else 4000), 2000, 5
        batch = args.batch or (512 if gpu else 64)
    model = SampleRNN(config).to(args.device).eval()
    cuda = args.device == "cuda"
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / name for name in ("one", "graphs", "eager")]
        for folder in folders:
            folder.mkdir()
        one = sampler_samples_per_s(model, 1, n_samples, folders[0])
        many = sampler_samples_per_s(model, batch, n_samples, folders[1])
        eager = sampler_samples_per_s(model, batch, n_samples, folders[2], graphs=False) if cuda else many
        # The graph replays the eager code: the songs must be the same, sample for sample.
        same = all((folders[1] / f"song{i}.wav").read_bytes() == (folders[2] / f"song{i}.wav").read_bytes()
                   for i in range(batch)) if cuda else None
    base = baseline_samples_per_s(model, n_baseline, args.device)
    step_s = train_step_s(config, args.device, repeats)
    realtime = many / config.sample_rate
    goal = "goal >= 200 on an H100" if cuda else "measured, no goal on CPU"
    rows = [("sampler, batch 1", f"{one:,.0f} samples/s", "> baseline"),
            (f"sampler, batch {batch}", f"{many:,.0f} samples/s", f"realtime x{realtime:.2f} ({goal})"),
            ("baseline (uncached, batch 1)", f"{base:,.0f} samples/s", ""),
            (f"train step (batch {config.batch_size} x {config.seq_len})", f"{step_s:.3f} s", "")]
    if cuda:
        rows.insert(2, (f"sampler, batch {batch}, no CUDA graphs", f"{eager:,.0f} samples/s",
                        f"graphs x{many / eager:.2f}; same songs: {same}"))
    print(f"generate benchmark: {config.name}, {config.sample_rate} Hz, device {args.device}, "
          f"{torch.get_num_threads()} thread(s)")
    for name, value, goal in rows:
        print(f"  {name:<34} {value:>20}  {goal}")
    print(json.dumps({"benchmark": "generate", "device": args.device, "model": config.name,
                      "samples_per_s_batch1": round(one, 1), "samples_per_s_batch": round(many, 1),
                      "batch": batch, "baseline_samples_per_s": round(base, 1),
                      "speedup_batch1": round(one / base, 2) if base else math.nan,
                      "samples_per_s_batch_eager": round(eager, 1), "graphs": cuda, "graphs_match_eager": same,
                      "realtime_factor": round(realtime, 3), "train_step_s": round(step_s, 4)}))


if __name__ == "__main__":
    main()
