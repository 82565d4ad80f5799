"""Sampling writes the requested songs with sidecars, deterministically, resumes, and honours temperature."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from dropper.errors import ConfigError
from dropper.stages import ingest
from generator.frames import FrameSampler
from generator.model import SampleRNN
from generator.sample import sample
from generator.train import train
from tests.conftest import run_cli
from tests.test_generator_train import TINY, write_corpus


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("generator")
    # 300 steps: the model has learned the tone and the drums (about 3.8 bits/sample held out)
    train(write_corpus(root / "audio"), root / "run", config=TINY, steps=300)
    yield root / "run" / "checkpoint.safetensors"
    torch.set_num_threads(previous)


def test_sampling_writes_each_song_with_its_sidecar(trained, tmp_path):
    paths = sample(trained, tmp_path / "songs", temperatures=[0.9, 1.1], count=3, seconds=0.25, seed=7, batch=4)
    assert len(paths) == 6 and all(p.exists() for p in paths)
    for path in paths:
        y, sr = sf.read(path)
        assert sr == 16000 and len(y) == 4000
        sidecar = json.loads(path.with_suffix(".json").read_text())
        assert sidecar["temperature"] in (0.9, 1.1) and sidecar["seed"] == 7
        assert sidecar["duration_s"] == 0.25 and sidecar["model"] == "samplernn-3tier-32"
        assert len(sidecar["checkpoint"]) == 64
    assert not list((tmp_path / "songs").glob(".*.part"))


def test_sampling_is_deterministic_for_a_seed(trained, tmp_path):
    a = sample(trained, tmp_path / "a", temperatures=[1.0], count=2, seconds=0.1, seed=3, batch=2)
    b = sample(trained, tmp_path / "b", temperatures=[1.0], count=2, seconds=0.1, seed=3, batch=2)
    c = sample(trained, tmp_path / "c", temperatures=[1.0], count=2, seconds=0.1, seed=4, batch=2)
    assert all(np.array_equal(sf.read(x)[0], sf.read(y)[0]) for x, y in zip(a, b))
    assert not np.array_equal(sf.read(a[0])[0], sf.read(c[0])[0])


def test_a_song_does_not_depend_on_the_songs_beside_it(trained, tmp_path):
    alone = sample(trained, tmp_path / "alone", temperatures=[0.9, 1.1], count=2, seconds=0.1, seed=5, batch=1)
    together = sample(trained, tmp_path / "together", temperatures=[0.9, 1.1], count=2, seconds=0.1, seed=5, batch=4)
    assert all(np.array_equal(sf.read(x)[0], sf.read(y)[0]) for x, y in zip(alone, together))


def test_a_rerun_keeps_finished_songs_and_writes_the_missing_one(trained, tmp_path):
    paths = sample(trained, tmp_path, temperatures=[1.0], count=3, seconds=0.1, seed=2, batch=3)
    first = {p: (p.stat().st_mtime_ns, sf.read(p)[0]) for p in paths}
    paths[1].unlink()  # as if the run had been killed before this song was renamed into place
    again = sample(trained, tmp_path, temperatures=[1.0], count=3, seconds=0.1, seed=2, batch=3)
    assert again == paths
    assert paths[0].stat().st_mtime_ns == first[paths[0]][0] and paths[2].stat().st_mtime_ns == first[paths[2]][0]
    assert np.array_equal(sf.read(paths[1])[0], first[paths[1]][1])


def test_a_song_from_another_run_is_not_overwritten(trained, tmp_path):
    sample(trained, tmp_path, temperatures=[1.0], count=1, seconds=0.1, seed=2, batch=1)
    with pytest.raises(ConfigError, match=r"t1-000.wav: already holds a song from another run \(seed differ"):
        sample(trained, tmp_path, temperatures=[1.0], count=1, seconds=0.1, seed=3, batch=1)


@pytest.fixture(scope="module")
def sweep(trained, tmp_path_factory):
    """Four songs at each of T = 0.5, 1.0, 2.0: (temperature, entropy bits, audio) per song."""
    paths = sample(trained, tmp_path_factory.mktemp("sweep"), temperatures=[0.5, 1.0, 2.0], count=4,
                   seconds=0.25, seed=0, batch=12)
    songs = []
    for path in paths:
        sidecar = json.loads(path.with_suffix(".json").read_text())
        songs.append((sidecar["temperature"], sidecar["entropy_bits_per_sample"], sf.read(path)[0]))
    return songs


def _mean_by_temperature(songs, measure) -> list[float]:
    temperatures = sorted({t for t, _, _ in songs})
    return [float(np.mean([measure(e, y) for t, e, y in songs if t == temp])) for temp in temperatures]


def test_entropy_per_sample_rises_with_temperature(sweep):
    low, mid, high = _mean_by_temperature(sweep, lambda entropy, y: entropy)
    assert low < mid < high


def _high_band_rms(y: np.ndarray, sr: int = 16000, cutoff: float = 4000.0) -> float:
    spectrum = np.fft.rfft(y)
    spectrum[np.fft.rfftfreq(len(y), 1 / sr) < cutoff] = 0
    return float(np.sqrt(np.mean(np.fft.irfft(spectrum, len(y)) ** 2)))


def _centroid_hz(y: np.ndarray, sr: int = 16000) -> float:
    magnitude = np.abs(np.fft.rfft(y))
    return float((magnitude * np.fft.rfftfreq(len(y), 1 / sr)).sum() / magnitude.sum())


def test_low_temperature_darkens_the_sound_and_cuts_the_noise_band(sweep):
    # Below 1.0 fewer surprises: a lower spectral centroid and less energy above 4 kHz (hiss,
    # cymbals); above 1.0 brighter and noisier.
    low, mid, high = _mean_by_temperature(sweep, lambda entropy, y: _centroid_hz(y))
    assert low < mid < high and high - low > 1000
    low, mid, high = _mean_by_temperature(sweep, lambda entropy, y: _high_band_rms(y))
    assert low < 0.7 * mid and mid < high


def test_frame_sampler_draws_each_sample_by_inverse_transform():
    model = SampleRNN(TINY).eval()
    temps = [0.7, 1.0, 1.6]
    sampler = FrameSampler(model, temps, silence=128)
    uniforms = torch.rand(3, 4 * model.lookback, generator=torch.Generator().manual_seed(0))
    frames = torch.cat([sampler.next_frame(uniforms[:, i: i + model.lookback]).clone()
                        for i in range(0, uniforms.shape[1], model.lookback)], 1)
    # The reference: one model.step per sample, then the first class whose CDF passes u.
    history = torch.full((3, model.lookback), 128, dtype=torch.long)
    with torch.inference_mode():
        state = model.start(3)
        for t in range(uniforms.shape[1]):
            probs = torch.softmax(model.step(history[:, -model.lookback:], t, state) / torch.tensor(temps)[:, None], -1)
            cdf = probs.cumsum(-1)
            chosen = (cdf <= uniforms[:, t: t + 1] * cdf[:, -1:]).sum(-1).clamp(max=255)
            history = torch.cat([history, chosen[:, None]], 1)
    assert torch.equal(frames, history[:, model.lookback:])


def test_a_class_of_zero_probability_is_never_drawn():
    # The lowest and highest classes (full-scale clicks) get probability exactly 0; the extreme
    # uniforms 0 and the largest float32 below 1 must still draw a class the model allows.
    model = SampleRNN(TINY).eval()
    with torch.no_grad():
        model.mlp.output.bias[0] = model.mlp.output.bias[-1] = -1e4
    sampler = FrameSampler(model, [0.5, 1.0, 2.0], silence=128)
    for u in (0.0, 1.0 - 2.0 ** -24):
        drawn = sampler.next_frame(torch.full((3, model.lookback), u))
        assert drawn.min() > 0 and drawn.max() < 255, (u, drawn)


def test_the_sampler_draws_from_softmax_of_logits_over_temperature():
    # A model whose output is a fixed set of logits (zero output weights, the logits as bias):
    # each uniform u must draw the first class whose CDF under softmax(logits / T) exceeds u,
    # and the recorded entropy must be that distribution's, for every temperature in the batch.
    model = SampleRNN(TINY).eval()
    logits = np.linspace(-3.0, 3.0, TINY.q_levels) * np.cos(np.arange(TINY.q_levels))
    with torch.no_grad():
        model.mlp.output.weight.zero_()
        model.mlp.output.bias.copy_(torch.tensor(logits))
    temperatures = [0.5, 0.98, 1.02, 2.0]
    sampler = FrameSampler(model, temperatures, silence=128)
    uniforms = torch.rand(len(temperatures), model.lookback, generator=torch.Generator().manual_seed(3))
    drawn = sampler.next_frame(uniforms).numpy()
    for row, t in enumerate(temperatures):
        z = logits.astype(np.float32) / np.float32(t)
        p = np.exp(z - z.max())
        p /= p.sum()
        cdf = np.cumsum(p)
        expected = np.searchsorted(cdf, uniforms[row].numpy().astype(np.float64) * cdf[-1], side="right")
        assert np.array_equal(drawn[row], expected), t
        entropy = -(p * np.log2(p)).sum()
        assert sampler.entropy_bits(model.lookback)[row] == pytest.approx(entropy, rel=1e-4), t


def test_nonpositive_temperature_is_refused(trained, tmp_path):
    with pytest.raises(ConfigError, match="temperatures"):
        sample(trained, tmp_path, temperatures=[0.0], count=1, seconds=0.1, seed=0, batch=1)


@pytest.mark.parametrize("temperatures", [[1.0, 1.0], [1.0, 1.0000001]])
def test_two_temperatures_that_name_the_same_songs_are_refused(temperatures, tmp_path):
    # They would share t1-000.wav: one song would overwrite the other's half-written file.
    with pytest.raises(ConfigError, match=r"temperatures: 1.0 and 1.0(000001)? would both write t1-NNN.wav"):
        sample(tmp_path / "run", tmp_path / "songs", temperatures=temperatures, count=1, seconds=0.1, batch=2)
    assert not (tmp_path / "songs").exists()


@pytest.mark.parametrize(("settings", "message"), [({"seed": -1}, "seed: -1 must be >= 0"),
                                                   ({"seconds": 1e-6}, "shorter than one sample at 16000 Hz")])
def test_a_negative_seed_or_a_song_shorter_than_a_sample_is_refused(trained, tmp_path, settings, message):
    with pytest.raises(ConfigError, match=message):
        sample(trained, tmp_path / "songs", **{"temperatures": [1.0], "count": 1, "seconds": 0.1, **settings})
    assert not (tmp_path / "songs").exists()


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "checkpoint.safetensors").write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="not a readable safetensors checkpoint"):
        sample(tmp_path, tmp_path / "songs", temperatures=[1.0], count=1, seconds=0.1, seed=0, batch=1)


def test_generate_sample_command_feeds_ingest(trained, tmp_drop, open_drop):
    root = tmp_drop()
    result = run_cli("generate", "sample", "--checkpoint", str(trained.parent), "--temperature", "0.98", "1.02",
                     "--count", "2", "--seconds", "0.5", "--batch", "4", "--out", str(root / "songs"), "--json",
                     env={"OMP_NUM_THREADS": "1"}, check=True)
    songs = [Path(p) for p in json.loads(result.stdout)["songs"]]
    assert [p.name for p in songs] == ["t0.98-000.wav", "t0.98-001.wav", "t1.02-000.wav", "t1.02-001.wav"]
    drop = open_drop(root)
    assert ingest.run(drop, jobs=1).count("done") == 4
    made = drop.find_song("t1.02-001")
    assert made.temperature == 1.02 and made.seed == 0 and made.model == "samplernn-3tier-32"
    assert made.checkpoint == hashlib.sha256(trained.read_bytes()).hexdigest()


def test_generate_train_refuses_an_empty_folder_in_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("generate", "train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "run"),
                     "--steps", "5")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [(f"error: {tmp_path / 'empty'}: no audio files "
                                                   "(.wav, .flac, .ogg, .mp3) to train on")]


def test_a_checkpoint_without_its_config_is_refused(tmp_path):
    from safetensors.torch import save_file

    save_file({"model.x": torch.zeros(1)}, str(tmp_path / "checkpoint.safetensors"),
              metadata={"format": "dropper-samplernn-1", "step": "3"})
    with pytest.raises(ConfigError, match="checkpoint metadata lacks its config or step"):
        sample(tmp_path, tmp_path / "songs", temperatures=[1.0], count=1, seconds=0.1, seed=0, batch=1)
