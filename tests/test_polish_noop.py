"""A build with nothing to do writes nothing; `dropper catalog` leaves an up-to-date site alone."""

from __future__ import annotations

import json

from tests.conftest import run_cli

OUTPUTS = ("reports/originality.json", "reports/originality.html", "reports/carbon.json", "reports/carbon.html",
           "build/package.json", "manifest.json", "site/index.html")


def _stamps(drop) -> dict[str, int]:
    return {name: (drop / name).stat().st_mtime_ns for name in OUTPUTS}


def _age(drop) -> None:
    """Set every output's time back, so that any rewrite shows whatever the clock's resolution."""
    import os

    for name in OUTPUTS:
        os.utime(drop / name, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))


def test_a_build_with_nothing_to_do_rewrites_no_file(example_drop):
    run_cli("build", str(example_drop), check=True)  # whatever other tests changed, settled first
    _age(example_drop)
    before = _stamps(example_drop)
    again = run_cli("build", str(example_drop), check=True)
    assert "build: nothing to do" in again.stdout
    assert _stamps(example_drop) == before


def test_catalog_skips_an_up_to_date_site_unless_forced(example_drop):
    run_cli("build", str(example_drop), check=True)
    _age(example_drop)
    index = example_drop / "site" / "index.html"
    old = index.stat().st_mtime_ns
    skipped = run_cli("catalog", str(example_drop), check=True)
    assert "site/ is up to date" in skipped.stdout and "--force" in skipped.stdout
    assert index.stat().st_mtime_ns == old
    document = json.loads(run_cli("catalog", str(example_drop), "--json", check=True).stdout)
    assert (document["built"], document["done"], document["skipped"], document["site"]) == (False, 0, 1, None)
    assert "run_id" not in document and document["params_hash"]
    forced = json.loads(run_cli("catalog", str(example_drop), "--force", "--json", check=True).stdout)
    assert (forced["built"], forced["done"], forced["skipped"]) == (True, 1, 0)
    assert forced["site"]["songs"] == 11 and forced["site"]["pages"] >= 13
    assert forced["params_hash"] == document["params_hash"]
    assert index.stat().st_mtime_ns != old
