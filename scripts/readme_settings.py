"""Rewrite the settings table in README.md from metadata/drop.schema.json (run after adding a key)."""

from __future__ import annotations

import json
from pathlib import Path

from dropper.config import schema

HEADER = "| key | default | meaning |"


def table() -> str:
    rows = [HEADER, "|---|---|---|"]
    for section, section_schema in schema()["properties"].items():
        for key, prop in section_schema["properties"].items():
            rows.append(f"| `{section}.{key}` | `{json.dumps(prop.get('default'))}` | {prop['description']} |")
    return "\n".join(rows)


def main() -> None:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.index(HEADER)
    end = text.index("\n\n", start)
    readme.write_text(text[:start] + table() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
