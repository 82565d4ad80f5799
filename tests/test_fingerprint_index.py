"""The reference index on disk: round trip, content hash, add/remove, atomic saves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dropper import synth
from dropper.errors import MissingInput
from dropper.fingerprint import FingerprintParams, ReferenceIndex, fingerprint, scan
from dropper.fingerprint import index as index_module
from dropper.fingerprint.landmarks import FORMAT_VERSION

SR = 22050


def track(seed: int, pattern: str = "straight", seconds: float = 20.0) -> np.ndarray:
    return synth.make_song(bpm=100 + 11 * seed, seconds=seconds, pattern=pattern, seed=seed)


def build(folder: Path, seeds=(1, 2, 3)) -> ReferenceIndex:
    index = ReferenceIndex.create(folder)
    for seed in seeds:
        index.add(track_id=f"t{seed}", name=f"track {seed}", sha256=f"{seed:064x}",
                  print_=fingerprint(track(seed), SR))
    index.save()
    return index


def test_save_and_load_round_trip(tmp_path):
    saved = build(tmp_path / "ix")
    loaded = ReferenceIndex.load(tmp_path / "ix")
    assert loaded.tracks == saved.tracks
    assert loaded.index_hash == saved.index_hash
    assert loaded.params == FingerprintParams()
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert manifest["index_hash"] == saved.index_hash
    assert len(manifest["shards"]) == 16 and manifest["format_version"] == FORMAT_VERSION == 3
    assert 0 < loaded.size_bytes
    song = track(2)[int(4 * SR):int(12 * SR)]
    assert [m.track_id for m in scan(song, SR, loaded)] == ["t2"]


def test_index_hash_changes_with_the_catalog_and_not_on_reload(tmp_path):
    index = build(tmp_path / "ix")
    first = index.index_hash
    index.add(track_id="t9", name="track 9", sha256=f"{9:064x}", print_=fingerprint(track(9), SR))
    added = index.index_hash
    index.save()
    assert ReferenceIndex.load(tmp_path / "ix").index_hash == added != first
    index.remove("t9")
    assert index.index_hash == first
    index.remove("t1")
    index.save()
    reloaded = ReferenceIndex.load(tmp_path / "ix")
    assert [t.track_id for t in reloaded.tracks] == ["t2", "t3"]
    assert reloaded.index_hash not in (first, added)
    # a removed track is no longer found; the others still are
    assert scan(track(1)[: 10 * SR], SR, reloaded) == []
    assert [m.track_id for m in scan(track(3)[: 10 * SR], SR, reloaded)] == ["t3"]


def test_removing_the_last_saved_track_leaves_none_of_its_hashes(tmp_path):
    build(tmp_path / "ix")
    index = ReferenceIndex.load(tmp_path / "ix")
    index.remove("t3")  # the highest track number in the saved shards
    hashes = fingerprint(track(3), SR).hashes
    _, numbers, _ = index.lookup(hashes)
    assert numbers.size and set(numbers.tolist()) <= {0, 1}  # before the save: only t1, t2 answer
    assert scan(track(3)[: 10 * SR], SR, index) == []
    index.save()
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    entries = sum(np.load(tmp_path / "ix" / name).shape[0] for name in manifest["shards"])
    assert entries == sum(t["n_hashes"] for t in manifest["tracks"])  # t3's hashes are gone, not relabelled
    reloaded = ReferenceIndex.load(tmp_path / "ix")
    assert [t.track_id for t in reloaded.tracks] == ["t1", "t2"]
    assert [m.track_id for m in scan(track(2)[: 10 * SR], SR, reloaded)] == ["t2"]


def test_added_track_is_found_after_a_save_of_a_loaded_index(tmp_path):
    build(tmp_path / "ix", seeds=(1,))
    index = ReferenceIndex.load(tmp_path / "ix")
    index.add(track_id="t5", name="track 5", sha256=f"{5:064x}",
              print_=fingerprint(track(5, "punk"), SR))
    assert [m.track_id for m in scan(track(5, "punk")[: 8 * SR], SR, index)] == ["t5"]
    index.save()
    reloaded = ReferenceIndex.load(tmp_path / "ix")
    assert [m.track_id for m in scan(track(5, "punk")[: 8 * SR], SR, reloaded)] == ["t5"]
    assert [m.track_id for m in scan(track(1)[: 8 * SR], SR, reloaded)] == ["t1"]


def test_a_failed_save_leaves_the_previous_index_loadable(tmp_path, monkeypatch):
    before = build(tmp_path / "ix")
    index = ReferenceIndex.load(tmp_path / "ix")
    index.add(track_id="t7", name="track 7", sha256=f"{7:064x}", print_=fingerprint(track(7), SR))
    calls = {"n": 0}
    real_write = index_module._write_array

    def dies_midway(folder, stem, array):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt  # as if the process were killed while writing shards
        return real_write(folder, stem, array)

    monkeypatch.setattr(index_module, "_write_array", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        index.save()
    survivor = ReferenceIndex.load(tmp_path / "ix")
    assert survivor.index_hash == before.index_hash
    assert [m.track_id for m in scan(track(2)[: 8 * SR], SR, survivor)] == ["t2"]
    monkeypatch.undo()
    index.save()  # the next save succeeds and tidies up
    assert "t7" in {t.track_id for t in ReferenceIndex.load(tmp_path / "ix").tracks}
    names = {p.name for p in (tmp_path / "ix").iterdir()}
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert names == set(manifest["shards"]) | {manifest["peak_frames"], manifest["peak_bins"],
                                              "manifest.json"}


def test_loading_a_missing_index_says_where(tmp_path):
    with pytest.raises(MissingInput, match="no fingerprint index"):
        ReferenceIndex.load(tmp_path / "nowhere")


def test_params_round_trip_through_json():
    params = FingerprintParams(peaks_per_s=25.0, speeds=(0.99, 1.0, 1.01))
    assert FingerprintParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    with pytest.raises(ValueError, match="unknown key"):
        FingerprintParams.from_dict({"peaks_per_sec": 3})


def test_fingerprint_is_pure_and_accepts_any_rate_and_channels():
    y = track(4, seconds=6)
    first, again = fingerprint(y, SR), fingerprint(y, SR)
    assert np.array_equal(first.hashes, again.hashes) and first.duration_s == pytest.approx(6.0)
    stereo = fingerprint(np.stack([y, y]), SR)
    assert np.array_equal(stereo.hashes, first.hashes)
    assert fingerprint(np.zeros(0, np.float32), 44100).hashes.size == 0


def test_an_index_of_an_older_format_asks_for_a_rebuild(tmp_path):
    build(tmp_path / "ix", seeds=(1,))
    path = tmp_path / "ix" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 2  # before the verification was made precise to half a bin
    path.write_text(json.dumps(manifest))
    with pytest.raises(index_module.IndexError_, match="index format 2, this dropper reads 3; rebuild"):
        ReferenceIndex.load(tmp_path / "ix")


def _drop_key(manifest: dict, key: str) -> None:
    del manifest[key]


def _swap_peak_starts(manifest: dict) -> None:
    first, second = manifest["tracks"][0], manifest["tracks"][1]
    first["peak_start"], second["peak_start"] = second["peak_start"], first["peak_start"]


def _more_hashes(manifest: dict) -> None:
    manifest["tracks"][0]["n_hashes"] += 1


DAMAGE = {
    "not an object": lambda manifest: [manifest],
    "no params": lambda manifest: _drop_key(manifest, "params"),
    "no tracks": lambda manifest: _drop_key(manifest, "tracks"),
    "unknown param": lambda manifest: manifest["params"].update(bogus=1),
    "track without its peaks": lambda manifest: _drop_key(manifest["tracks"][0], "peak_start"),
    "peaks of another track": _swap_peak_starts,
    "a count that is not a number": lambda manifest: manifest["tracks"][0].update(n_peaks="many"),
    "more hashes than the shards hold": _more_hashes,
    "shards not a list": lambda manifest: manifest.update(shards="shard-00.npy"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_manifest_is_one_error_that_asks_for_a_rebuild(tmp_path, damage):
    build(tmp_path / "ix", seeds=(1, 2))
    path = tmp_path / "ix" / "manifest.json"
    manifest = json.loads(path.read_text())
    changed = DAMAGE[damage](manifest)
    path.write_text(json.dumps(manifest if changed is None else changed))
    with pytest.raises(index_module.IndexError_, match="rebuild the index") as raised:
        ReferenceIndex.load(tmp_path / "ix")
    assert "\n" not in str(raised.value)


def test_an_index_emptied_by_removals_loads_and_finds_nothing(tmp_path):
    index = build(tmp_path / "ix", seeds=(1,))
    index.remove("t1")
    index.save()
    reloaded = ReferenceIndex.load(tmp_path / "ix")
    assert reloaded.tracks == [] and scan(track(1)[: 8 * SR], SR, reloaded) == []


def test_compiled_peak_picking_agrees_with_scipy_filters():
    from scipy import ndimage

    from dropper.fingerprint.peaks import box_mean, local_peaks

    band = np.random.default_rng(0).normal(-40, 10, (300, 60)).astype(np.float32)
    background = box_mean(band, 15, 10)
    expected = ndimage.uniform_filter(band.astype(np.float64), size=(31, 21), mode="nearest")
    assert np.allclose(background, expected, atol=1e-3)
    t, f, _ = local_peaks(band, background, np.full(60, -75, np.float32), 3, 4, 3.0)
    is_max = (band == ndimage.maximum_filter(band, size=(7, 9), mode="nearest")) & (band - expected > 3.0)
    is_max[:, 0] = is_max[:, -1] = False
    assert sorted(zip(t.tolist(), f.tolist())) == sorted(zip(*map(list, np.nonzero(is_max))))
