"""The generator trains on a folder of synthesized audio, resumes after a kill, and refuses bad input."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from dropper import synth
from dropper.errors import AudioError, ConfigError, DropperError, MissingInput
from generator.checkpoint import load_checkpoint
from generator.config import GeneratorConfig
from generator.data import load_corpus, sample_batch
from generator.model import SampleRNN
from generator.quantize import dequantize, quantize
from generator.train import train
from tests.processes import running

TINY = GeneratorConfig(frame_sizes=(8, 2), dim=32, embedding_dim=16, mlp_layers=1, seq_len=64,
                       batch_size=8, learning_rate=3e-3, checkpoint_every=10, val_every=50, log_every=1,
                       preview_every=100, preview_seconds=0.1)


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny models on shared CPUs: extra threads only add contention.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def write_corpus(folder: Path, *, sr: int = 16000) -> Path:
    """A tone and a drum loop, the kind of audio the tests train on."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(3 * 22050) / 22050
    sf.write(folder / "tone.wav", (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050)
    sf.write(folder / "drums.wav", synth.make_song(bpm=120, seconds=3, guitar=False, sr=sr, seed=1), sr)
    return folder


def test_quantization_round_trips_within_one_step():
    y = np.linspace(-1, 1, 1001)
    for method in ("linear", "mu-law"):
        q = quantize(y, method=method, q_levels=256)
        assert q.min() == 0 and q.max() == 255
        assert np.array_equal(quantize(dequantize(q, method=method, q_levels=256), method=method, q_levels=256), q)


def test_cached_step_matches_full_forward():
    model = SampleRNN(TINY).eval()
    sequence = torch.randint(0, 256, (3, 8 + 32))
    with torch.no_grad():
        full = model(sequence)
        state = model.start(3)
        steps = torch.stack([model.step(sequence[:, :8 + t], t, state) for t in range(32)], 1)
    assert torch.allclose(full, steps, atol=1e-5)


def test_training_loss_decreases_clearly(tmp_path):
    report = train(write_corpus(tmp_path / "audio"), tmp_path / "run", config=TINY, steps=150, resume=False)
    assert report.end_step == 150
    assert np.mean(report.loss_bits[-20:]) < np.mean(report.loss_bits[:5]) - 1.0
    assert report.val_bits_per_sample is not None and report.val_bits_per_sample < 7.5
    assert (tmp_path / "run" / "checkpoint.safetensors").exists()
    assert (tmp_path / "run" / "config.json").exists()
    log = _read_log(tmp_path / "run")
    assert [r["step"] for r in log] == list(range(1, 151))  # log_every = 1
    assert [r["step"] for r in log if "val_bits" in r] == [50, 100, 150]
    assert log[-1]["val_bits"] == report.val_bits_per_sample
    chart = (tmp_path / "run" / "loss.svg").read_text()
    assert chart.startswith("<svg") and chart.count("<polyline") == 2 and "validation" in chart
    preview, rate = sf.read(tmp_path / "run" / "previews" / "step-000100.wav")
    assert rate == 16000 and len(preview) == 1600 and np.abs(preview).max() > 0


def _read_log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]


def test_sigkill_mid_training_resumes_to_the_same_loss_curve(tmp_path):
    data = write_corpus(tmp_path / "audio")
    straight = train(data, tmp_path / "straight", config=TINY, steps=60)
    (tmp_path / "tiny.json").write_text(TINY.to_json())
    run = tmp_path / "killed"
    command = [sys.executable, "-m", "dropper", "generate", "train", "--data", str(data), "--out", str(run),
               "--steps", "1000", "--config", str(tmp_path / "tiny.json"), "--device", "cpu"]
    log_path = run / "train_log.jsonl"
    past_a_checkpoint = lambda: log_path.is_file() and log_path.read_bytes().count(b"\n") >= 25
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with open(tmp_path / "train.log", "w+b") as output, running(command, past_a_checkpoint, output, env=env) as process:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_at = _read_log(run)[-1]["step"]
    assert 25 <= killed_at < 1000
    resumed = train(data, run, config=TINY, steps=60)
    assert resumed.resumed and resumed.start_step % TINY.checkpoint_every == 0 and resumed.start_step <= killed_at
    log = _read_log(run)  # lines past the checkpoint were dropped and written again
    assert [r["step"] for r in log] == list(range(1, 61))
    assert np.allclose([r["loss_bits"] for r in log], straight.loss_bits, rtol=0, atol=1e-5)


def test_killed_training_resumes_to_the_same_loss_curve(tmp_path):
    data = write_corpus(tmp_path / "audio")
    straight = train(data, tmp_path / "straight", config=TINY, steps=30)
    first = train(data, tmp_path / "killed", config=TINY, steps=20)  # "killed" after 20 steps
    with open(tmp_path / "killed" / "train_log.jsonl", "a") as log:
        log.write('{"step": 21, "loss_bi')  # ... while it appended a log line
    second = train(data, tmp_path / "killed", config=TINY, steps=30)
    assert second.resumed and second.start_step == 20
    assert np.allclose(first.loss_bits + second.loss_bits, straight.loss_bits, rtol=0, atol=1e-5)
    assert load_checkpoint(tmp_path / "killed").step == 30
    assert [r["step"] for r in _read_log(tmp_path / "killed")] == list(range(1, 31))


def test_empty_data_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingInput, match="no audio files"):
        train(tmp_path / "empty", tmp_path / "run", config=TINY, steps=1)


def test_corrupt_file_is_skipped_with_its_reason(tmp_path):
    data = write_corpus(tmp_path / "audio")
    (data / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    report = train(data, tmp_path / "run", config=TINY, steps=2)
    assert [s.path.name for s in report.skipped] == ["broken.wav"]
    assert "broken.wav" in report.skipped[0].reason and "audio" in report.skipped[0].reason


def test_only_corrupt_files_is_an_audio_error(tmp_path):
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "broken.wav").write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="no usable training audio.*broken.wav"):
        train(tmp_path / "audio", tmp_path / "run", config=TINY, steps=1)


def test_checkpoint_from_another_config_is_refused(tmp_path):
    data = write_corpus(tmp_path / "audio")
    train(data, tmp_path / "run", config=TINY, steps=1)
    other = GeneratorConfig(**{**TINY.__dict__, "dim": 48})
    with pytest.raises(ConfigError, match=r"another model config \(dim: 48 vs 32\)"):
        train(data, tmp_path / "run", config=other, steps=2)


@pytest.mark.parametrize(("text", "message"), [
    ('{"frame_sizes": 16}', "frame_sizes: 16 must be a list of positive sizes"),
    ('{"dim": "64"}', "dim: '64' must be a whole number >= 1"),
    ('{"batch_size": 0}', "batch_size: 0 must be a whole number >= 1"),
    ('{"seed": -3}', "seed: -3 must be a whole number >= 0"),
    ('{"learning_rate": NaN}', "learning_rate: nan must be a finite number > 0"),
    ('[16, 4]', "expected a JSON object of settings, got list"),
])
def test_a_config_file_with_a_bad_value_is_one_clear_error(text, message):
    with pytest.raises(ConfigError, match=rf"^tiny.json: .*{message}") as caught:
        GeneratorConfig.from_json(text, where="tiny.json")
    assert "\n" not in str(caught.value)


def test_sixteen_bit_classes_load_without_wrapping(tmp_path):
    config = GeneratorConfig(**{**TINY.__dict__, "q_levels": 65536})
    corpus = load_corpus(write_corpus(tmp_path / "audio"), config)
    batch = sample_batch(corpus.train, batch_size=8, length=72, rng=np.random.default_rng(0))
    assert 0 <= batch.min() < 32768 <= batch.max() < 65536


def test_bad_config_names_the_allowed_values():
    with pytest.raises(ConfigError, match="allowed: linear, mu-law"):
        GeneratorConfig(quantization="a-law")
    with pytest.raises(DropperError, match="does not divide"):
        GeneratorConfig(frame_sizes=(16, 3))


def test_an_unknown_config_key_names_the_file_and_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"^run.json: generator.dimm: unknown key; allowed: .*\bdim\b"):
        GeneratorConfig.from_json('{"dimm": 64}', where="run.json")
