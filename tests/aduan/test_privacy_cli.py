"""``aduan privacy``, ``aduan export`` and ``aduan users`` on both stores: what they do
and what they leave in the access log."""

import getpass
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from aduan.cli import app
from models.erasure import Author
from models.retention import ERASED_TEXT
from models.tables import AccessLogEntry, Mention
from models.types import utcnow
from models.vocab import AccessAction
from tests.support.config import bundled_config, write_config
from tests.support.personal import NIK, leaks
from tests.support.privacy import PERSON, fill, personal, statistics

runner = CliRunner()
#: the store's history starts this long before the test's real time, so every
#: retention period of the bundled config has passed for it
AGO = timedelta(days=1000)


@pytest.fixture
def config(tmp_path: Path, store_url: str, engine: Engine) -> Path:
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = store_url
    data["privacy"]["retention"]["batch_size"] = 2
    return write_config(tmp_path, data)


def cli(config: Path, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["--config", str(config), *args], input=stdin, env={"COLUMNS": "200"})


def _entries(engine: Engine, action: str) -> list[AccessLogEntry]:
    with Session(engine) as s:
        stmt = select(AccessLogEntry).where(AccessLogEntry.action == action)
        return list(s.exec(stmt.order_by(col(AccessLogEntry.id))))


def _me() -> str:
    return f"cli:{getpass.getuser()}"


def test_retention_dry_run_shows_what_would_go_and_changes_nothing(
    config: Path, engine: Engine
) -> None:
    base = utcnow() - AGO
    fill(engine, base)
    before, fields = statistics(engine, base), personal(engine)
    dry = cli(config, "privacy", "retention", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would be removed (dry run)" in dry.stdout and "nothing was changed" in dry.stdout
    assert "teks dan identitas penulis kiriman bukan pengaduan" in dry.stdout
    assert personal(engine) == fields and _entries(engine, AccessAction.RETENTION) == []
    run = cli(config, "privacy", "retention")
    assert run.exit_code == 0, run.output
    assert "Removed" in run.stdout
    assert statistics(engine, base) == before
    with Session(engine) as s:
        texts = [m.text for m in s.exec(select(Mention).where(Mention.state == "not_complaint"))]
    assert texts == [ERASED_TEXT] * 3
    [entry] = _entries(engine, AccessAction.RETENTION)
    assert entry.actor == _me()
    assert entry.details["removed"] == {
        "raw_payload": 7,
        "not_complaint": 3,
        "closed_author": 1,
        "access_log": 1,
    }
    assert entry.details["days"]["not_complaint_days"] == 90
    again = cli(config, "privacy", "retention")
    assert again.exit_code == 0 and len(_entries(engine, AccessAction.RETENTION)) == 1


def test_export_and_erase_an_author(config: Path, engine: Engine, tmp_path: Path) -> None:
    fill(engine)
    out = tmp_path / "warga1.json"
    exported = cli(config, "privacy", "export", "--author", PERSON, "-o", str(out))
    assert exported.exit_code == 0, exported.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert len(document["mentions"]) == 3 and document["author"] == PERSON
    to_stdout = cli(config, "privacy", "export", "--author", PERSON)
    assert json.loads(to_stdout.stdout)["author"] == PERSON
    refused = cli(config, "privacy", "erase", "--author", PERSON, stdin="n\n")
    assert refused.exit_code == 1 and "Erase the text and identity of 3 mentions" in refused.output
    erased = cli(config, "privacy", "erase", "--author", PERSON, "--yes")
    assert erased.exit_code == 0, erased.output
    assert "3 mentions, 1 training corrections removed, 2 complaints" in erased.stdout
    again = cli(config, "privacy", "erase", "--author", PERSON, "--yes")
    assert again.exit_code == 0 and "0 mentions" in again.stdout
    target = Author.parse(PERSON).target
    exports = _entries(engine, AccessAction.PRIVACY_EXPORT)
    erasures = _entries(engine, AccessAction.PRIVACY_ERASE)
    assert [(e.actor, e.target) for e in exports] == [(_me(), target)] * 2
    assert exports[0].details["output"] == str(out) and exports[1].details["output"] == "stdout"
    assert [e.details["mentions"] for e in erasures] == [3, 0]
    bad = cli(config, "privacy", "export", "--author", "warga1")
    assert bad.exit_code == 2 and "PLATFORM:HANDLE" in bad.output


def test_aduan_export_is_masked_unless_asked_for_the_original(
    config: Path, engine: Engine, tmp_path: Path
) -> None:
    fill(engine)
    masked = cli(config, "export", "--format", "jsonl")
    assert masked.exit_code == 0, masked.output
    assert leaks(masked.stdout) == [] and "[NIK]" in masked.stdout
    path = tmp_path / "asli.csv"
    original = cli(config, "export", "--format", "csv", "--original", "-o", str(path))
    assert original.exit_code == 0, original.output
    assert NIK in path.read_text(encoding="utf-8")
    first, second = _entries(engine, AccessAction.EXPORT_CLI)
    assert (first.actor, first.details["original"], first.details["output"]) == (
        _me(),
        False,
        "stdout",
    )
    assert second.details == {
        "format": "csv",
        "original": True,
        "complaints": 4,
        "output": str(path),
    }


def test_account_commands_are_logged(config: Path, engine: Engine) -> None:
    assert cli(config, "users", "create", "budi", "--role", "viewer").exit_code == 0
    assert cli(config, "users", "disable", "budi").exit_code == 0
    assert cli(config, "users", "enable", "budi").exit_code == 0
    assert cli(config, "users", "reset-password", "budi").exit_code == 0
    created = cli(config, "tokens", "create", "budi", "--name", "sinkron")
    assert created.exit_code == 0
    token_id = created.stdout.split("created token ")[1].split()[0]
    assert cli(config, "tokens", "revoke", token_id).exit_code == 0
    with Session(engine) as s:
        got = [
            (e.actor, e.action, e.target)
            for e in s.exec(select(AccessLogEntry).order_by(col(AccessLogEntry.id)))
        ]
    me = _me()
    assert got == [
        (me, AccessAction.USER_CREATE, "user:budi"),
        (me, AccessAction.USER_DISABLE, "user:budi"),
        (me, AccessAction.USER_ENABLE, "user:budi"),
        (me, AccessAction.USER_PASSWORD, "user:budi"),
        (me, AccessAction.TOKEN_ISSUE, f"token:{token_id}"),
        (me, AccessAction.TOKEN_REVOKE, f"token:{token_id}"),
    ]
