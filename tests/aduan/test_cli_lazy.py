"""Commands register lazily: ``aduan X`` imports only X's module (aduan.cli.COMMANDS)."""

import importlib

import pytest

from aduan.cli import COMMANDS, load_all, modules_for
from aduan.cli.model import _inbox
from aduan.settings import load_settings
from aduan.wiring import policy_for
from models.vocab import CATEGORIES, NOT_COMPLAINT

EVERY_MODULE = sorted(set(COMMANDS.values()))


def _registered() -> dict[str, str]:
    """Each top-level command or group of the whole app and the module registering it."""
    app = load_all()
    found: dict[str, str] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        found[name] = command.callback.__module__
    for group in app.registered_groups:
        assert group.name is not None and group.typer_instance is not None
        # a group is registered where its Typer lives: the module defining its commands
        callback = group.typer_instance.registered_commands[0].callback
        assert callback is not None
        found[group.name] = callback.__module__
    return found


def test_the_table_names_every_command_and_the_module_that_registers_it() -> None:
    registered = _registered()
    assert set(registered) == set(COMMANDS)
    for name, module in registered.items():
        assert module == f"aduan.cli.{COMMANDS[name]}", name


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["classify", "air mati"], ["model"]),
        (["--config", "x.yaml", "classify", "t"], ["model"]),
        (["-c", "classify", "triage", "list"], ["triage"]),  # "classify" is the config file
        (["--config=x.yaml", "-v", "users", "list"], ["users"]),
        (["--log-json", "db", "upgrade"], ["store"]),
        (["tokens", "create"], ["users"]),
        (["--help"], EVERY_MODULE),
        ([], EVERY_MODULE),
        (["klasifikasi"], EVERY_MODULE),  # a typo: the error lists every command
        (["--", "classify"], EVERY_MODULE),
    ],
)
def test_modules_for_reads_the_command_past_the_global_options(
    args: list[str], expected: list[str]
) -> None:
    assert modules_for(args) == expected


def test_every_module_in_the_table_exists() -> None:
    for module in EVERY_MODULE:
        assert importlib.import_module(f"aduan.cli.{module}").__name__ == f"aduan.cli.{module}"


def test_classify_names_the_inbox_routing_would_choose_without_building_the_policy() -> None:
    settings = load_settings(None)
    policy = policy_for(settings)
    for category in (*CATEGORIES, "NOT_A_CODE"):
        expected = None if category == NOT_COMPLAINT else policy.inbox_for(category)
        assert _inbox(category, False, settings) == expected, category
        assert _inbox(category, True, settings) == policy.triage_inbox
