"""Check README.md's command lines against the CLI: every option it shows must exist.

Reads the command table (rows starting with `` `dropper ...` ``) and the example blocks (lines
starting with ``dropper``, with ``\\`` continuations), finds the command each one names
(``dropper reference add``, ``dropper generate sample``, ...) and checks each ``--option`` on
that line against the command's click parameters. Also lists the options README never mentions
(for a reader to judge; not an error).

    .venv/bin/python scripts/check_readme.py [README.md]

Exit 0 when every option shown exists, 1 otherwise (each problem on one line).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from dropper.cli import cli

ROOT = Path(__file__).resolve().parent.parent
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def command_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of each table row or example line that runs ``dropper``."""
    found: list[tuple[int, str]] = []
    lines = text.splitlines()
    number, in_code = 0, False
    while number < len(lines):
        line, start = lines[number], number + 1
        if line.startswith("```"):
            in_code = not in_code
        while in_code and line.rstrip().endswith("\\") and number + 1 < len(lines):
            number += 1
            line = line.rstrip()[:-1] + " " + lines[number].strip()
        stripped = line.strip()
        if stripped.startswith("| `dropper ") or (
                in_code and re.match(r"^(\$ )?(\S+=\S+\s+)*dropper\s", stripped)):
            found.append((start, stripped))
        number += 1
    return found


def resolve(words: list[str]) -> tuple[list[str], click.Command] | None:
    """The longest command path (``["reference", "add"]``) the words name, and its command."""
    command: click.Command = cli
    path: list[str] = []
    for word in words:
        if not isinstance(command, click.Group) or word not in command.commands:
            break
        command = command.commands[word]
        path.append(word)
    return (path, command) if path else None


def options_of(command: click.Command) -> set[str]:
    return {name for param in command.params for name in param.opts + param.secondary_opts
            if name.startswith("--")} | {"--help"}


def check(text: str, label: str = "README.md") -> list[str]:
    """Problems, one line each: unknown commands and options on README's command lines."""
    problems: list[str] = []
    for number, line in command_lines(text):
        words = line.split("dropper", 1)[1].replace("`", " ").split()
        target = resolve(words)
        if target is None:
            problems.append(f"{label}:{number}: no such command: dropper {' '.join(words[:2])}")
            continue
        path, command = target
        name = " ".join(path)
        if isinstance(command, click.Group):
            rest = words[len(path)] if len(words) > len(path) else ""
            problems.append(f"{label}:{number}: dropper {name} has no command {rest!r}")
            continue
        mentioned = set(OPTION.findall(line.split("#", 1)[0] if not line.startswith("|") else line))
        for option in sorted(mentioned - options_of(command)):
            problems.append(f"{label}:{number}: dropper {name} has no option {option}")
    return problems


def walk(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    commands: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            commands.extend(walk(command, full + " "))
        else:
            commands.append((full, command))
    return commands


def main() -> int:
    readme = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    problems = check(text, readme.name)
    for problem in problems:
        print(problem)
    mentioned_anywhere = set(OPTION.findall(text))
    for name, command in walk(cli):
        unmentioned = sorted(options_of(command) - mentioned_anywhere - {"--help"})
        if unmentioned:
            print(f"note: dropper {name}: README never mentions {', '.join(unmentioned)}")
    print(f"check_readme: {len(command_lines(text))} command lines, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
