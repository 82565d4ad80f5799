"""Jinja2 templates shipped in the package (reports, later the catalog and curation pages)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # autoescape=True everywhere: select_autoescape() would not escape *.html.j2 files.
    return Environment(loader=PackageLoader("dropper", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_template(name: str, **values: Any) -> str:
    """Render one of dropper's templates with HTML escaping on."""
    return _environment().get_template(name).render(**values)
