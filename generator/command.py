"""``dropper generate``: train the generator on a discography, then sample songs from it."""

from __future__ import annotations

import click

from dropper.cli import emit, json_option
from dropper.errors import ConfigError

DEVICES = click.Choice(["auto", "cpu", "cuda"])


@click.group()
def generate() -> None:
    """The raw-audio generator (a multi-tier SampleRNN): train it on a discography, then sample
    songs at chosen temperatures, each with the sidecar that `dropper ingest` reads.

    \b
    dropper generate train --data discography/ --out runs/a --steps 20000
    dropper generate sample --checkpoint runs/a --temperature 0.98 1.00 1.02 --count 10 --seconds 60 --out my-drop/songs
    """


@generate.command("train")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False), help="Folder of training audio.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Run folder: checkpoint.safetensors, config.json, train_log.jsonl, previews/.")
@click.option("--steps", type=click.IntRange(min=1), required=True, help="Total training steps to reach.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Hyper-parameters as JSON (the keys of a run's config.json); default: the default "
                   "model, or the run's own config.json when resuming.")
@click.option("--device", type=DEVICES, default="auto", show_default=True, help="Where to train.")
@click.option("--fresh", is_flag=True, help="Start over instead of resuming from the run's last checkpoint.")
@json_option
def generate_train(data_dir: str, out_dir: str, steps: int, config_path: str | None, device: str, fresh: bool,
                   as_json: bool) -> None:
    """Train (or resume training) the generator.

    A killed run resumes from its last checkpoint on the same loss curve. The log
    (train_log.jsonl) has the training loss and the held-out validation NLL in bits per
    sample; previews/ gets a short sample every `preview_every` steps.
    """
    from pathlib import Path

    from dropper.progress import Progress
    from generator.config import GeneratorConfig
    from generator.train import train

    config = _read_config(Path(config_path)) if config_path else _read_config(Path(out_dir) / "config.json",
                                                                             missing_ok=True)
    report = train(data_dir, out_dir, config=config or GeneratorConfig(), steps=steps, resume=not fresh,
                   device=None if device == "auto" else device, progress=Progress.for_terminal(json_output=as_json))
    skipped = [f"  skipped {item.path}: {item.reason}" for item in report.skipped]
    val = "n/a" if report.val_bits_per_sample is None else f"{report.val_bits_per_sample:.3f}"
    text = (f"trained steps {report.start_step}..{report.end_step}; validation {val} bits/sample; "
            f"checkpoint {report.checkpoint}")
    emit(as_json, {"checkpoint": str(report.checkpoint), "start_step": report.start_step,
                   "end_step": report.end_step, "val_bits_per_sample": report.val_bits_per_sample,
                   "loss_bits_last": report.loss_bits[-1] if report.loss_bits else None,
                   "skipped": [{"path": str(i.path), "reason": i.reason} for i in report.skipped]},
         "\n".join([text, *skipped]))


def _read_config(path, *, missing_ok: bool = False):
    from generator.config import GeneratorConfig

    if missing_ok and not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the generator config ({exc.strerror})") from None
    return GeneratorConfig.from_json(text, where=str(path))


@generate.command("sample")
@click.option("--checkpoint", required=True, type=click.Path(), help="A checkpoint file or a run folder.")
@click.option("--temperature", "temperatures", multiple=True, required=True,
              help="Sampling temperature(s): --temperature 0.98 1.00 1.02, a comma list, or the option repeated.")
@click.argument("more_temperatures", nargs=-1, metavar="")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True, help="Songs per temperature.")
@click.option("--seconds", type=click.FloatRange(min=0.1), required=True, help="Length of each song.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the run; each song's random stream comes from it and the song's index.")
@click.option("--batch", type=click.IntRange(min=1), default=16, show_default=True,
              help="Songs generated at once (on a GPU: hundreds).")
@click.option("--device", type=DEVICES, default="auto", show_default=True, help="Where to generate.")
@click.option("--no-graphs", is_flag=True, help="On CUDA, run each frame eagerly instead of replaying a CUDA graph.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Where the songs go; songs already there from the same run are kept (a rerun resumes).")
@json_option
def generate_sample(checkpoint: str, temperatures: tuple[str, ...], more_temperatures: tuple[str, ...], count: int,
                    seconds: float, seed: int, batch: int, device: str, no_graphs: bool, out_dir: str,
                    as_json: bool) -> None:
    """Generate songs: a 16-bit wav and a sidecar JSON per song (temperature, checkpoint hash,
    seed, song index, duration, model), which `dropper ingest` reads."""
    from dropper.progress import Progress
    from generator.sample import sample

    values = parse_temperatures([*temperatures, *more_temperatures])
    paths = sample(checkpoint, out_dir, temperatures=values, count=count, seconds=seconds, seed=seed,
                   batch=batch, device=None if device == "auto" else device, graphs=False if no_graphs else None,
                   progress=Progress.for_terminal(json_output=as_json))
    emit(as_json, {"songs": [str(path) for path in paths]}, f"{len(paths)} songs in {out_dir}")


def parse_temperatures(items: list[str]) -> list[float]:
    """``["0.98,1.00", "1.02"]`` -> ``[0.98, 1.0, 1.02]``."""
    try:
        return [float(part) for item in items for part in item.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--temperature: expected numbers like 0.98 1.00 1.02, got {' '.join(items)}") from None
