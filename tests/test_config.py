"""drop.toml: one line naming the key, the file and what is allowed; exit code 2."""

from __future__ import annotations

import tomllib

import pytest

from dropper import config
from dropper.errors import ConfigError
from tests.conftest import run_cli


def test_template_is_valid_toml_with_every_default():
    values = tomllib.loads(config.template(title="Fake Feelings"))
    settings = config.from_mapping(values, environ={})
    assert settings.drop.title == "Fake Feelings"
    assert settings.screen.silence_db == -60.0
    assert settings.as_dict() == config.from_mapping({}, environ={}).as_dict() | {
        "drop": settings.drop.as_dict()}


def test_every_setting_has_a_description_and_a_default():
    for section, section_schema in config.schema()["properties"].items():
        assert section_schema.get("description"), section
        assert section_schema.get("additionalProperties") is False, section
        for key, prop in section_schema["properties"].items():
            assert prop.get("description"), f"{section}.{key}"
            assert "default" in prop, f"{section}.{key}"


def test_unknown_key_suggests_the_right_one():
    with pytest.raises(ConfigError, match=r"screen\.silence_dbb: unknown key \(did you mean silence_db\?\)"):
        config.from_mapping({"screen": {"silence_dbb": -50}}, source="x/drop.toml")


def test_unknown_section_is_named():
    with pytest.raises(ConfigError, match=r"\[scren\]: unknown section \(did you mean screen\?\)"):
        config.from_mapping({"scren": {}})


def test_wrong_type_names_key_expected_and_got():
    with pytest.raises(ConfigError, match=r'screen\.silence_db: expected number, got string "loud"'):
        config.from_mapping({"screen": {"silence_db": "loud"}})


def test_enum_lists_allowed_values():
    with pytest.raises(ConfigError, match=r"drop\.license: \"MIT\" is not allowed; allowed: CC-BY-NC-4.0"):
        config.from_mapping({"drop": {"license": "MIT"}})


def test_ranges_are_checked():
    with pytest.raises(ConfigError, match=r"screen\.clip_level: 2 is above the maximum 1"):
        config.from_mapping({"screen": {"clip_level": 2}})
    with pytest.raises(ConfigError, match="tempo.min_bpm must be below tempo.max_bpm"):
        config.from_mapping({"tempo": {"min_bpm": 200, "max_bpm": 100}})


def test_environment_overrides_file_and_is_checked():
    settings = config.from_mapping({"compute": {"jobs": 3}}, environ={"DROPPER_JOBS": "1"})
    assert settings.compute.jobs == 1
    assert config.from_mapping({"compute": {"jobs": 3}}, environ={}).compute.jobs == 3
    with pytest.raises(ConfigError, match="DROPPER_JOBS: expected an integer, got 'many'"):
        config.from_mapping({}, environ={"DROPPER_JOBS": "many"})


def test_cli_reports_bad_config_in_one_line_with_exit_2(tmp_drop):
    root = tmp_drop('[screen]\nsilence_db = "loud"\n')
    result = run_cli("status", str(root))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "drop.toml: screen.silence_db: expected number" in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_reports_broken_toml(tmp_drop):
    root = tmp_drop("[screen\nsilence_db = 1\n")
    result = run_cli("build", str(root))
    assert result.returncode == 2
    assert "drop.toml: not valid TOML" in result.stderr


def test_init_writes_a_commented_drop_toml(tmp_path):
    result = run_cli("init", str(tmp_path / "d"), "--title", "Fake Feelings", check=True)
    text = (tmp_path / "d" / "drop.toml").read_text()
    assert 'title = "Fake Feelings"' in text
    assert "# A 50 ms window quieter than this" in text
    assert (tmp_path / "d" / "songs").is_dir()
    assert "dropper build" in result.stdout
    again = run_cli("init", str(tmp_path / "d"))
    assert again.returncode == 2 and "already exists" in again.stderr
