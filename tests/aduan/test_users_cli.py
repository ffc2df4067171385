"""``aduan users`` and ``aduan tokens`` on both stores, through Typer's runner and a subprocess."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from aduan.cli import app
from inbox.sessions import AuthConfig, Authenticator, LoginResult
from models.exceptions import AccountError, NotFound, WeakPassword
from models.tables import ApiToken, User, WebSession
from tests.support.config import bundled_config, write_config
from tests.support.paths import ROOT

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, store_url: str, engine: Engine) -> Path:
    """The bundled config over the test store (no model needed for these commands)."""
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = store_url
    return write_config(tmp_path, data)


def cli(config: Path, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["--config", str(config), *args], input=stdin, env={"COLUMNS": "200"})


def shown(result: Result, label: str) -> str:
    """The secret a command printed once on stdout."""
    lines = [x for x in result.stdout.splitlines() if x.startswith(f"{label}: ")]
    assert len(lines) == 1, result.stdout
    return lines[0].removeprefix(f"{label}: ")


def can_sign_in(engine: Engine, username: str, password: str) -> bool:
    auth = Authenticator(engine=engine, config=AuthConfig(secret_key=b"s" * 40))
    return auth.authenticate(username, password, "cli-test").result is LoginResult.OK


def test_create_prints_a_random_password_once(config: Path, engine: Engine) -> None:
    result = cli(config, "users", "create", "Siti", "--role", "operator", "--name", "Siti R.")
    assert result.exit_code == 0, result.output
    password = shown(result, "password")
    assert len(password) >= 20
    assert "created operator user siti" in result.stdout
    assert "Shown only now" in result.stderr
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "siti")).one()
        assert user.display_name == "Siti R." and user.agency_code is None
        assert user.password_hash.startswith("$argon2id$")
        assert password not in user.model_dump_json()
    assert can_sign_in(engine, "siti", password)
    again = cli(config, "users", "create", "siti2", "--role", "operator")
    assert shown(again, "password") != password


def test_agency_role_needs_a_known_agency(config: Path, engine: Engine) -> None:
    missing = cli(config, "users", "create", "pdam1", "--role", "agency")
    assert isinstance(missing.exception, AccountError)
    assert "needs --agency" in str(missing.exception)
    unknown = cli(config, "users", "create", "pdam1", "--role", "agency", "--agency", "NOPE")
    assert "unknown agency code 'NOPE'; known: " in str(unknown.exception)
    assert "PDAM" in str(unknown.exception)
    kominfo = cli(config, "users", "create", "ops", "--role", "operator", "--agency", "PDAM")
    assert "do not give an agency code" in str(kominfo.exception)
    bad_role = cli(config, "users", "create", "x1", "--role", "root")
    assert bad_role.exit_code == 2 and "root" in bad_role.output
    ok = cli(config, "users", "create", "pdam1", "--role", "agency", "--agency", "PDAM")
    assert ok.exit_code == 0, ok.output
    assert "created agency user pdam1 for agency PDAM" in ok.stdout
    with Session(engine) as s:
        assert s.exec(select(User)).one().agency_code == "PDAM"


def test_password_from_stdin_is_checked_and_not_echoed(config: Path, engine: Engine) -> None:
    weak = cli(
        config, "users", "create", "budi", "--role", "viewer", "--password-stdin", stdin="budi\n"
    )
    assert isinstance(weak.exception, WeakPassword)
    with Session(engine) as s:
        assert s.exec(select(User)).first() is None  # nothing stored
    good = cli(
        config,
        "users",
        "create",
        "budi",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="nasi-jinggo-malam-3\n",
    )
    assert good.exit_code == 0, good.output
    assert "nasi-jinggo" not in good.output and "password:" not in good.stdout
    assert can_sign_in(engine, "budi", "nasi-jinggo-malam-3")
    empty = cli(
        config, "users", "create", "made", "--role", "viewer", "--password-stdin", stdin="\n"
    )
    assert "no password" in str(empty.exception)


def test_list_shows_users_without_hashes(config: Path) -> None:
    cli(config, "users", "create", "admin1", "--role", "admin", "--name", "Kepala Bidang")
    cli(config, "users", "create", "pdam1", "--role", "agency", "--agency", "PDAM")
    listed = cli(config, "users", "list")
    assert listed.exit_code == 0, listed.output
    for text in ("admin1", "Kepala Bidang", "pdam1", "PDAM", "agency", "yes"):
        assert text in listed.stdout
    assert "argon2" not in listed.stdout and "$" not in listed.stdout


def test_disable_locks_the_user_out(config: Path, engine: Engine) -> None:
    password = shown(cli(config, "users", "create", "ops", "--role", "operator"), "password")
    auth = Authenticator(engine=engine, config=AuthConfig(secret_key=b"s" * 40))
    outcome = auth.authenticate("ops", password, "here")
    assert outcome.user is not None
    cookie = auth.start_session(outcome.user).cookie
    token = shown(cli(config, "tokens", "create", "ops", "--name", "sync"), "token")
    result = cli(config, "users", "disable", "ops")
    assert result.exit_code == 0 and "disabled ops" in result.stdout
    assert "API tokens revoked" in result.stdout
    assert auth.signed_in(cookie) is None
    assert auth.user_for_token(token) is None
    assert not can_sign_in(engine, "ops", password)
    assert "no" in cli(config, "users", "list").stdout
    enabled = cli(config, "users", "enable", "ops")
    assert enabled.exit_code == 0 and "stay revoked" in enabled.stdout
    assert can_sign_in(engine, "ops", password)
    assert auth.signed_in(cookie) is None  # enabling again does not revive old sessions
    assert auth.user_for_token(token) is None  # nor old API tokens
    unknown = cli(config, "users", "disable", "nobody")
    assert isinstance(unknown.exception, NotFound)


def test_reset_password_replaces_it_and_ends_sessions(config: Path, engine: Engine) -> None:
    old = shown(cli(config, "users", "create", "ops", "--role", "operator"), "password")
    auth = Authenticator(engine=engine, config=AuthConfig(secret_key=b"s" * 40))
    user = auth.authenticate("ops", old, "here").user
    assert user is not None
    cookie = auth.start_session(user).cookie
    token = shown(cli(config, "tokens", "create", "ops", "--name", "sync"), "token")
    assert auth.user_for_token(token) is not None
    result = cli(config, "users", "reset-password", "ops")
    assert result.exit_code == 0, result.output
    assert "API tokens revoked" in result.stdout
    assert auth.user_for_token(token) is None  # a token outlives no password reset
    new = shown(result, "password")
    assert new != old
    assert auth.signed_in(cookie) is None
    with Session(engine) as s:
        assert s.exec(select(WebSession)).one().revoked_at is not None
    assert not can_sign_in(engine, "ops", old)
    assert can_sign_in(engine, "ops", new)


def test_tokens_create_list_revoke(config: Path, engine: Engine) -> None:
    cli(config, "users", "create", "pdam-api", "--role", "agency", "--agency", "PDAM")
    created = cli(config, "tokens", "create", "pdam-api", "--name", "sp4n-sync")
    assert created.exit_code == 0, created.output
    token = shown(created, "token")
    assert token.startswith("adn_")
    with Session(engine) as s:
        row = s.exec(select(ApiToken)).one()
        assert token not in row.model_dump_json()
    auth = Authenticator(engine=engine, config=AuthConfig(secret_key=b"s" * 40))
    user = auth.user_for_token(token)
    assert user is not None and user.agency_code == "PDAM"
    listed = cli(config, "tokens", "list")
    assert "sp4n-sync" in listed.stdout and token[:12] in listed.stdout
    assert token not in listed.stdout and "active" in listed.stdout
    revoked = cli(config, "tokens", "revoke", str(row.id))
    assert revoked.exit_code == 0 and f"revoked token {row.id}" in revoked.stdout
    assert auth.user_for_token(token) is None
    assert "revoked" in cli(config, "tokens", "list", "--user", "pdam-api").stdout
    assert isinstance(cli(config, "tokens", "revoke", "999").exception, NotFound)
    no_name = cli(config, "tokens", "create", "pdam-api", "--name", " ")
    assert isinstance(no_name.exception, AccountError)


def test_errors_are_messages_in_a_real_process(config: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aduan",
            "--config",
            str(config),
            "users",
            "create",
            "pdam1",
            "--role",
            "agency",
            "--agency",
            "NOPE",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert result.returncode == 2, result.stderr
    assert "unknown agency code 'NOPE'" in result.stderr
    assert "Traceback" not in result.stderr
