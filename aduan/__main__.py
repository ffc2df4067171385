"""``python -m aduan`` runs the CLI."""

from aduan.cli import entry

entry()
