"""``python -m dropper`` runs the CLI."""

from dropper.cli import main

main()
