#!/usr/bin/env bash
# Set up dropper on a fresh machine: system packages (if any are needed), a virtual
# environment in .venv with dropper and its test tools. Safe to run again: it only installs
# what changed. Needs Python >= 3.11. Without root, install the listed system packages yourself.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
EXTRAS=${DROPPER_EXTRAS:-test}
# Debian packages: chromium for the catalog's browser tests (Playwright drives it; no browser
# is downloaded). Audio decoding comes in the soundfile wheel, ffmpeg in imageio-ffmpeg's.
SYSTEM_PACKAGES=(chromium)

"$PYTHON" - <<'PY' || { echo "setup: dropper needs Python >= 3.11 (set PYTHON=...)" >&2; exit 2; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
        echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
        exit 2
    fi
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.dropper-installed-$EXTRAS
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]" 2>&1 \
        | grep -v '^WARNING: Location' || true
    .venv/bin/python -c "import dropper, librosa, soundfile" \
        || { echo "setup: installing dropper into .venv failed (see pip's messages above)" >&2; exit 2; }
    touch "$stamp"
fi
# WordNet for `dropper title`: NLTK's downloader where it answers, else Debian's packages
# (fetched with apt-get download, unpacked into .venv/nltk_data; no root needed).
.venv/bin/python scripts/install_wordnet.py >/dev/null \
    || { echo "setup: could not install the WordNet corpus (see: .venv/bin/python scripts/install_wordnet.py)" >&2; exit 2; }
# wavesurfer.js for the curation app's waveform (npm ci into a cache; no CDN). Without npm the
# app still works, without a waveform.
.venv/bin/python scripts/vendor_js.py >/dev/null \
    || echo "setup: dropper curate will show no waveform until this works: .venv/bin/python scripts/vendor_js.py" >&2
echo "setup: .venv ready ($(.venv/bin/dropper --version))"
