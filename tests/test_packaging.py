"""The wheel holds the whole product: every package, template, script and data file.

Built offline from a copy of the tracked files (``--no-build-isolation --no-index``:
the virtualenv's setuptools, nothing downloaded). A package missing from a hand-kept
list (``aduan.cli`` once was) or a static file no package-data pattern matched
(``inbox-keys.js``, Swagger UI) would install an ``aduan`` that cannot start or pages
that cannot load their scripts.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support.paths import PACKAGES, ROOT


def tracked(*paths: str) -> list[str]:
    """The files git tracks under *paths*; without git (or a checkout git refuses), the
    files there, caches aside."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", *paths],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        found = []
        for path in paths:
            if (ROOT / path).is_file():
                found.append(path)
                continue
            for file in (ROOT / path).rglob("*"):
                if file.is_file() and "__pycache__" not in file.parts:
                    found.append(file.relative_to(ROOT).as_posix())
        return found
    return [name for name in out.stdout.split("\0") if name]


def test_the_wheel_holds_every_tracked_file_of_the_packages(tmp_path: Path) -> None:
    source = tmp_path / "source"
    files = tracked("pyproject.toml", "README.md", *PACKAGES)
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("aduan-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
        entry_points = next(n for n in inside if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    wanted = {name for name in files if name.startswith(tuple(f"{p}/" for p in PACKAGES))}
    assert sorted(wanted - inside) == []
    assert {"aduan/cli/__init__.py", "inbox/static/inbox-keys.js"} <= inside
    assert "aduan = aduan.cli:entry" in scripts
