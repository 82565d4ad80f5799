"""Sampling writes the requested songs with sidecars, deterministically, and honours temperature."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from dropper.errors import ConfigError
from generator.sample import sample, temperature_probs
from generator.train import train
from tests.test_generator_train import TINY, write_corpus


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("generator")
    train(write_corpus(root / "audio"), root / "run", config=TINY, steps=150)
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


def test_entropy_per_sample_rises_with_temperature(trained, tmp_path):
    paths = sample(trained, tmp_path / "songs", temperatures=[0.5, 1.0, 2.0], count=1, seconds=0.2, seed=0, batch=3)
    entropy = [json.loads(p.with_suffix(".json").read_text())["entropy_bits_per_sample"] for p in paths]
    assert entropy[0] < entropy[1] < entropy[2]


def test_temperature_divides_logits_exactly():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    assert torch.equal(temperature_probs(logits, 0.5), torch.softmax(logits / 0.5, dim=-1))


def test_nonpositive_temperature_is_refused(trained, tmp_path):
    with pytest.raises(ConfigError, match="temperatures"):
        sample(trained, tmp_path, temperatures=[0.0], count=1, seconds=0.1, seed=0, batch=1)


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "checkpoint.safetensors").write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="not a readable safetensors checkpoint"):
        sample(tmp_path, tmp_path / "songs", temperatures=[1.0], count=1, seconds=0.1, seed=0, batch=1)
