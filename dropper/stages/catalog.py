"""catalog: build the public catalog site when anything it shows has changed.

The site itself is built by :func:`dropper.catalog.build_site`; this stage decides whether to,
from a key over everything the site shows (annotations, token metadata, reports, templates).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dropper import __version__
from dropper.files import hash_params, write_text
from dropper.pipeline import StageReport
from dropper.progress import Progress
from dropper.workspace import Drop

if TYPE_CHECKING:
    from dropper.catalog.builder import SiteReport
    from dropper.catalog.model import Catalog

STAGE = "catalog"
KEY_FILE = ".dropper-build-key"


@dataclass
class CatalogReport(StageReport):
    """A catalog run: the site is one piece of work, built or already up to date (no per-song
    results and no run in dropper.db), with what the build wrote."""

    site: SiteReport | None = None

    def to_dict(self) -> dict[str, Any]:
        document = super().to_dict()
        document.pop("run_id")  # the catalog records no run: its key is the stamp in site/
        built = self.site.to_dict() if self.site is not None else None
        document.update(done=int(self.built), skipped=int(not self.built and not self.refused), built=self.built,
                        site={name: built[name] for name in ("songs", "pages", "media_linked", "media_copied",
                                                             "seconds")} if built else None)
        return document


def run(drop: Drop, *, force: bool = False, progress: Progress | None = None, **_: object) -> CatalogReport:
    """Build site/ unless it already shows exactly the current drop (``force``: build it anyway)."""
    from dropper.catalog import build_site
    from dropper.catalog.model import collect

    catalog = collect(drop)
    key = site_key(drop, catalog)
    stamp = drop.root / "site" / KEY_FILE
    report = CatalogReport(stage=STAGE, params_hash=key)
    if not force and stamp.is_file() and stamp.read_text(encoding="utf-8") == key:
        report.notes.append("site/ is up to date")
        return report
    site = build_site(drop, gateway=drop.config.catalog.gateway, catalog=catalog)
    write_text(stamp, key)
    report.notes += [site.summary().removeprefix("catalog: "), *site.notes]
    report.built, report.site = True, site
    return report


def site_key(drop: Drop, catalog: Catalog) -> str:
    """SHA-256 over what the site shows: the catalog data (``collect(drop)``), package and report
    files, templates."""
    from dropper.catalog.builder import _catalog_json

    parts = {"version": __version__, "catalog": _catalog_json(catalog), "contract": catalog.contract,
             "gateway": drop.config.catalog.gateway,
             "media": {song.sha256: {role: path.name for role, path in sorted(song.media.items())}
                       for song in catalog.songs}}
    for path in (drop.build_dir / "package.json", drop.reports_dir / "originality.json",
                 drop.reports_dir / "carbon.json"):
        parts[path.name] = path.read_text(encoding="utf-8") if path.is_file() else None
    templates = Path(__file__).resolve().parent.parent / "templates"
    digest = hashlib.sha256()
    for path in sorted(templates.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    parts["templates"] = digest.hexdigest()
    return hash_params(parts)
