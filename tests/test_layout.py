"""The house keeps its shape: imports flow one way, and the vocabulary lives on the ground floor.

DESIGN.md: models <- harvester, classifier, notify <- router <- lifecycle <- inbox, aduan.
Every import of every module counts, function-local and TYPE_CHECKING ones included, so
adding an upward import anywhere fails here with the file and line that made it.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import PACKAGES, ROOT

#: each package's floor; a package imports only itself and packages on lower floors
FLOORS = {
    "models": 0,
    "harvester": 1,
    "classifier": 1,
    "notify": 1,
    "router": 2,
    "lifecycle": 3,
    "inbox": 4,
    "aduan": 5,
}
#: names that only the ground floor may define (one vocabulary, one time zone)
VOCABULARY = {
    r"\bclass (ComplaintStatus|MentionState|OutboxStatus|SourceState|Platform|Role)\b": "a state",
    r"^(CATEGORIES|CATEGORY_INFO|ROLES|LABELS|[A-Z_]+_LABELS)\b.*=": ("a vocabulary"),
    r"\bclass CategoryInfo\b": "category descriptions",
    r"Asia/Makassar": "the WITA zone",
}


def modules(package: str) -> Iterator[Path]:
    """Every Python file of *package* (migrations, which Alembic generates, aside)."""
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, first-party package) for each import in *path*, wherever it sits."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FLOORS:
                yield node.lineno, top


def upward_imports(package: str) -> list[str]:
    """file:line: what *package*'s modules import from its own floor or above."""
    floor = FLOORS[package]
    return [
        f"{path.relative_to(ROOT)}:{line}: {package} imports {target}"
        for path in modules(package)
        for line, target in imported(path)
        if target != package and FLOORS[target] >= floor
    ]


def test_every_package_has_a_floor() -> None:
    assert set(PACKAGES) == set(FLOORS)
    on_disk = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert on_disk - {"tests"} == set(FLOORS)


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_down_only(package: str) -> None:
    assert upward_imports(package) == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f() -> None:\n    from inbox.app import create_app\n")
    assert list(imported(sneaky)) == [(2, "inbox")]


def test_the_vocabulary_is_defined_once_on_the_ground_floor() -> None:
    found = []
    for package in PACKAGES:
        for path in modules(package):
            if path.parent.name == "models" and path.stem in ("vocab", "wita"):
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for pattern, what in VOCABULARY.items():
                    if re.search(pattern, line) and not line.lstrip().startswith(("#", "*")):
                        found.append(f"{path.relative_to(ROOT)}:{n}: defines {what}")
    assert found == []
