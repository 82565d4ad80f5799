"""drop.toml: read, validate against ``metadata/drop.schema.json``, fill defaults.

The schema is the single description of every setting (type, default, meaning); ``dropper
init`` writes its commented template from it. Precedence: flag > ``DROPPER_*`` environment >
drop.toml > default.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from dropper.errors import ConfigError
from dropper.resources import load_json

CONFIG_NAME = "drop.toml"
# Environment variables that override a setting, and the setting they override.
ENVIRONMENT = {
    "DROPPER_JOBS": ("compute", "jobs"),
    "DROPPER_RAY_ADDRESS": ("compute", "ray_address"),
}


def schema() -> dict:
    """The JSON Schema of drop.toml."""
    return load_json("metadata", "drop.schema.json")


class Section:
    """One read-only ``[section]`` of the settings, with attribute access."""

    def __init__(self, name: str, values: Mapping[str, Any]):
        self._name = name
        self._values = dict(values)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"setting {self._name}.{key} does not exist") from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Section({self._name!r}, {self._values!r})"


class Config:
    """Validated settings of one drop: ``config.screen.silence_db`` and so on."""

    def __init__(self, values: Mapping[str, Mapping[str, Any]], path: Path | None = None):
        self.path = path
        self._sections = {name: Section(name, section) for name, section in values.items()}

    def __getattr__(self, name: str) -> Section:
        try:
            return self._sections[name]
        except KeyError:
            raise AttributeError(f"settings section [{name}] does not exist") from None

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: section.as_dict() for name, section in self._sections.items()}


def load(path: str | os.PathLike, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate a drop.toml; raise :class:`ConfigError` with one line on any problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: not found (create one with: dropper init {path.parent})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    return from_mapping(raw, source=str(path), environ=os.environ if environ is None else environ)


def from_mapping(raw: Mapping[str, Any], *, source: str = CONFIG_NAME,
                 environ: Mapping[str, str] | None = None) -> Config:
    """Validate a parsed drop.toml, apply environment overrides and defaults."""
    validate(raw, source=source)
    values = with_defaults(raw)
    for variable, (section, key) in ENVIRONMENT.items():
        if environ and environ.get(variable, "") != "":
            values[section][key] = _coerce_env(variable, environ[variable], section, key)
    _check_relations(values, source)
    return Config(values, Path(source))


def validate(raw: Mapping[str, Any], *, source: str = CONFIG_NAME) -> None:
    """Raise ConfigError naming the first wrong key or value (best match first)."""
    validator = Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (list(e.absolute_path), e.validator))
    if errors:
        raise ConfigError(f"{source}: {describe(errors[0])}")
    _refuse_non_finite(raw, source=source)


def _refuse_non_finite(value: Any, *, source: str, key: str = "") -> None:
    """TOML allows nan and inf, which pass every bound of the schema; no setting means them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{source}: {key}: {value} is not a finite number")
    items = value.items() if isinstance(value, Mapping) else (
        enumerate(value) if isinstance(value, list) else ())
    for part, item in items:
        _refuse_non_finite(item, source=source, key=f"{key}[{part}]" if isinstance(part, int)
                           else f"{key}.{part}" if key else str(part))


def describe(error: ValidationError) -> str:
    """One human line for a schema violation: the dotted key, then what is wrong and allowed."""
    key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    rule = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(rule.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))[0]
        where = f"{key}.{unknown}" if error.absolute_path else f"[{unknown}]"
        kind = "key" if error.absolute_path else "section"
        hint = difflib.get_close_matches(unknown, allowed, n=1)
        guess = f" (did you mean {hint[0]}?)" if hint else ""
        return f"{where}: unknown {kind}{guess}; allowed: {', '.join(allowed)}"
    if error.validator == "type":
        return f"{key}: expected {error.validator_value}, got {_type_name(error.instance)} {_show(error.instance)}"
    if error.validator == "enum":
        return f"{key}: {_show(error.instance)} is not allowed; allowed: {', '.join(map(str, error.validator_value))}"
    bounds = {"minimum": "below the minimum", "maximum": "above the maximum",
              "exclusiveMinimum": "not above", "exclusiveMaximum": "not below"}
    if error.validator in bounds:
        return f"{key}: {_show(error.instance)} is {bounds[error.validator]} {error.validator_value}"
    return f"{key}: {error.message}"


def with_defaults(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every section and key of the schema, taking raw values where given."""
    values: dict[str, dict[str, Any]] = {}
    for section, section_schema in schema()["properties"].items():
        given = raw.get(section, {})
        values[section] = {
            key: given.get(key, prop.get("default"))
            for key, prop in section_schema["properties"].items()
        }
    return values


def template(*, title: str = "Untitled Drop", artist: str = "Unknown Artist") -> str:
    """A commented drop.toml with every setting at its default, generated from the schema."""
    overrides = {("drop", "title"): title, ("drop", "artist"): artist}
    lines = [f"# drop.toml — {schema()['description']}",
             "# Every key is optional; the values shown are the defaults.", ""]
    for section, section_schema in schema()["properties"].items():
        lines += [f"# {section_schema['description']}", f"[{section}]"]
        for key, prop in section_schema["properties"].items():
            value = overrides.get((section, key), prop.get("default"))
            lines += [f"# {prop['description']}", f"{key} = {toml_value(value)}"]
        lines.append("")
    return "\n".join(lines)


def toml_value(value: Any) -> str:
    """TOML text of a simple value (str, bool, int, float, list of those)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("TOML settings must be finite numbers")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML setting")


def _check_relations(values: dict[str, dict[str, Any]], source: str) -> None:
    low, high = values["drop"]["temperature_range"]
    if low > high:
        raise ConfigError(f"{source}: drop.temperature_range: [{low}, {high}] must be [low, high]")
    if values["tempo"]["min_bpm"] >= values["tempo"]["max_bpm"]:
        raise ConfigError(f"{source}: tempo.min_bpm must be below tempo.max_bpm")


def _coerce_env(variable: str, text: str, section: str, key: str) -> Any:
    kind = schema()["properties"][section]["properties"][key]["type"]
    if kind == "integer":
        try:
            number = int(text)
        except ValueError:
            raise ConfigError(f"environment {variable}: expected an integer, got {text!r}") from None
        if number < 0:
            raise ConfigError(f"environment {variable}: must be 0 or more, got {number}")
        return number
    return text


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string",
            list: "array", dict: "table"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, dict) else "a table"


def refuse_unknown_keys(values: Mapping[str, Any], record: type, *, section: str,
                        error: type[Exception] = ConfigError) -> None:
    """Raise ``error`` naming the keys of ``values`` that are not fields of the dataclass
    ``record``, in the form of drop.toml's own errors: ``section.key: unknown key; allowed: ...``."""
    allowed = sorted(field.name for field in dataclasses.fields(record))
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        keys = ", ".join(f"{section}.{key}" for key in unknown)
        raise error(f"{keys}: unknown key{'s' if len(unknown) > 1 else ''}; allowed: {', '.join(allowed)}")
