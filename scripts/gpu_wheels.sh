#!/usr/bin/env bash
# Wheels a GPU machine needs to run benchmarks/generate.py and benchmarks/visualize.py with
# its own python3 (Python 3.12 with torch, numpy, scipy, numba, pillow, imageio... already
# there, and no network). Downloads dropper's other runtime dependencies for CPython 3.12 into
# .gpu-wheels/ (git-ignored), leaving out what that image already holds. Then, on the machine:
#   bash scripts/gpu_benchmarks.sh        (with .gpu-wheels carried along)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=.gpu-wheels
rm -rf "$OUT" && mkdir -p "$OUT"
"$PY" -m pip download --quiet --dest "$OUT" --only-binary=:all: --implementation cp --python-version 3.12 \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_28_x86_64 \
  "soundfile>=0.12" "librosa>=0.10.2,<0.12" "jsonschema>=4.20" "imageio-ffmpeg>=0.5,<0.6"
# (imageio-ffmpeg < 0.6: its ffmpeg is a third of the size, and a device run carries at most
# 64 MiB. The benchmarks need none of the title, IPFS or chain packages.)
# Already in the GPU image (its package list in the device notes): keep its builds of these.
for name in attrs certifi charset_normalizer click cloudpickle idna joblib lazy_loader llvmlite \
    markdown_it_py mdurl msgpack narwhals numba numpy packaging pygments regex requests rich \
    scikit_learn scipy setuptools threadpoolctl tqdm typing_extensions urllib3 zipp; do
  rm -f "$OUT/$name"-[0-9]*.whl
done
du -sh "$OUT"
