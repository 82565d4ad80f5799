#!/usr/bin/env bash
# Run on a GPU machine, in the repository root, with .gpu-wheels/ (scripts/gpu_wheels.sh) beside
# it: installs those wheels for the machine's python3, then runs the generator and visualizer
# benchmarks on CUDA. Their output goes to $OUT (or ./gpu-results) as text files.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${OUT:-gpu-results}
mkdir -p "$RESULTS"
EXTRA=/tmp/dropper-extra
python3 -m pip install --quiet --no-index --no-deps --target "$EXTRA" .gpu-wheels/*.whl
export PYTHONPATH="$EXTRA:$PWD"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$RESULTS/gpu.txt" 2>&1 || true
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" >> "$RESULTS/gpu.txt"
python3 benchmarks/generate.py --device cuda 2>&1 | tee "$RESULTS/generate.txt"
python3 benchmarks/generate.py --device cuda --batch 1024 2>&1 | tee "$RESULTS/generate-1024.txt"
python3 benchmarks/visualize.py --device torch 2>&1 | tee "$RESULTS/visualize.txt"
# The numpy/torch parity tests, on the GPU this time (they need pytest and jinja2 from the image).
DROPPER_TEST_TORCH_DEVICE=cuda python3 -m pytest -q -p no:cacheprovider tests/test_visualize_torch.py \
  2>&1 | tee "$RESULTS/visualize-torch-tests.txt" || true
