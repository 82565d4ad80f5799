"""The command line explains itself, prints JSON for scripts, and is documented in the README."""

from __future__ import annotations

import json
import re

import click
import pytest

from dropper.cli import cli
from tests.conftest import REPO, run_cli

COMMANDS = sorted(cli.commands)


def test_top_level_help_lists_every_command():
    result = run_cli("--help", check=True)
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", result.stdout, re.M), name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_explains_itself(name):
    result = run_cli(name, "--help", check=True)
    docstring = cli.commands[name].help.strip().splitlines()[0]
    assert docstring[:40] in " ".join(result.stdout.split())


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_an_example_in_the_readme(name):
    readme = (REPO / "README.md").read_text()
    assert re.search(rf"dropper {name}\b", readme), f"README has no example of `dropper {name}`"


def test_every_setting_is_in_the_readme():
    from dropper.config import schema

    readme = (REPO / "README.md").read_text()
    for section, section_schema in schema()["properties"].items():
        for key in section_schema["properties"]:
            assert f"{section}.{key}" in readme, f"README does not document {section}.{key}"


def test_json_output_is_one_document(small_drop):
    result = run_cli("build", str(small_drop), "--json", check=True)
    document = json.loads(result.stdout)
    from dropper.stages import BUILD_ORDER

    assert [stage["stage"] for stage in document["stages"]] == list(BUILD_ORDER)
    assert result.stderr == ""


def test_missing_drop_folder_is_one_line(tmp_path):
    result = run_cli("status", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no such drop folder" in result.stderr


def test_version():
    assert run_cli("--version", check=True).stdout.startswith("dropper, version ")


def test_every_command_offers_json_for_scripts():
    def leaves(command: click.Command, path: tuple[str, ...] = ()):
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from leaves(sub, (*path, name))
        else:
            yield path, command

    missing = [" ".join(path) for path, command in leaves(cli)
               if "--json" not in {opt for param in command.params for opt in getattr(param, "opts", [])}]
    assert missing == []
