"""Each benchmark script still runs (--quick) and ends with its JSON line; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Extra arguments for the smoke run: the fingerprint benchmark fetches music packages by
# default; CI checks the script on synthesized songs only. The visualizer's torch path has its
# own tests (tests/test_visualize_torch.py); the smoke run keeps to the default numpy path.
ARGS = {"fingerprint": ["--synth"], "visualize": ["--device", "cpu"]}
KEYS = {
    "catalog": {"songs", "pages", "build_s", "index_kb"},
    "gas": {"deploy", "premint_1000", "public_mint", "public_mint_later", "first_transfer", "transfer",
            "baseline_premint_1000", "baseline_public_mint"},
    "ipfs": {"cid_mb_per_s", "sha256_mb_per_s", "ratio", "max_rss_mb", "bytes_hashed"},
    "fingerprint": {"recall_5s", "recall_5s_worst_condition", "recall_3s", "false_alarms", "wrong_reference",
                    "query_audio_s_per_cpu_s", "index_x_realtime", "index_mb_per_hour", "catalog_hours",
                    "real_music"},
    "visualize": {"cpu_s_per_audio_s", "baseline_cpu_s_per_audio_s", "analysis_s", "draw_s", "encode_s",
                  "width", "height", "fps"},
    "tempo": {"acc1", "acc2", "ambient_zero", "false_zero", "cpu_s_per_audio_s", "librosa_acc1",
              "librosa_acc2", "n_clips"},
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_benchmark_quick_run_ends_with_its_json_line(name):
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / f"{name}.py"), "--quick", *ARGS.get(name, [])],
                            capture_output=True, text=True, timeout=900, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["benchmark"] == name
    assert KEYS[name] <= set(last)
