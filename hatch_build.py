"""Hatch build hook: vendor the curation app's wavesurfer.js into the wheel (no CDN).

dropper/curate/static/vendor/ is ignored by git; this hook fills it with
scripts/vendor_js.py (``npm ci`` of dropper/curate/js/package-lock.json, cached) and adds it to
the wheel as an artifact. A wheel build without npm fails with one line saying what to do; an
editable install only warns (the app then runs without a waveform and says so).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

VENDOR_GLOB = "dropper/curate/static/vendor/*.js"


class VendorJsHook(BuildHookInterface):
    """Runs before hatch collects the wheel's files."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        vendor_js = _load_script(Path(self.root) / "scripts" / "vendor_js.py")
        if not vendor_js.vendored():
            try:
                vendor_js.vendor()
            except vendor_js.VendorError as exc:
                if version != "editable":
                    raise RuntimeError(f"dropper wheel: cannot vendor wavesurfer.js: {exc}") from None
                print(f"warning: {exc} (the curation app will show no waveform)", file=sys.stderr)
        build_data["artifacts"].append(VENDOR_GLOB)


def _load_script(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("dropper_vendor_js", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
