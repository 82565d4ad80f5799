"""benchmarks/generate.py --quick still runs and ends with its JSON line; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

KEYS = {"benchmark", "device", "samples_per_s_batch1", "samples_per_s_batch", "batch",
        "baseline_samples_per_s", "realtime_factor", "train_step_s"}


def test_generate_benchmark_quick_run_ends_with_its_json_line():
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--quick", "--device", "cpu"],
                            capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["benchmark"] == "generate" and KEYS <= set(last)
