"""Validation of dropper's documents against the JSON Schemas (2020-12) in ``metadata/``."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from dropper.errors import DropperError
from dropper.resources import load_json


class SchemaError(DropperError):
    """A document does not match its schema; the message lists each violation with its JSON path."""


def violations(document: Any, schema_name: str) -> list[str]:
    """Every violation of ``metadata/<schema_name>`` as ``$.json.path: message``, in path order."""
    validator = Draft202012Validator(load_json("metadata", schema_name), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{error.json_path}: {error.message}" for error in errors]


def validate(document: Any, schema_name: str, *, source: str) -> None:
    """Raise SchemaError naming ``source`` and every violation (the first ten shown)."""
    found = violations(document, schema_name)
    if found:
        shown = "; ".join(found[:10]) + (f"; and {len(found) - 10} more" if len(found) > 10 else "")
        raise SchemaError(f"{source}: {len(found)} schema violation(s) ({schema_name}): {shown}")
