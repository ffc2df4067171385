"""The admin's view of the running configuration: useful names and numbers, no secret."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from aduan.config_view import mask_store_url, mask_url, redacted_config, schedule_label
from aduan.settings import Schedule, Settings, load_settings

ROOT = Path(__file__).parents[2]
#: fake secrets put in the environment (and URLs) by the tests; none may ever be shown
SECRETS = {
    "ADUAN_TWITTER_BEARER_TOKEN": "bearer-XYZZY-4d1f9e",
    "ADUAN_TEST_SMTP_USER": "smtp-user-QUUX-77",
    "ADUAN_TEST_SMTP_PASSWORD": "smtp-pass-PLUGH-88",
    "ADUAN_TEST_HOOK_SECRET": "hook-secret-FROB-99",
    "ADUAN_WEB_SECRET": "web-secret-GRAULT-0123456789abcdefghij",
}
URL_SECRETS = ("PgPass-Sekali-123", "Rahasia-Kueri-9", "hookpass-77", "qtoken-55", "frag-66")


def settings_with_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The bundled config with secrets set in the environment, URLs and SMTP names."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ADUAN_FACEBOOK_PAGE_TOKEN", raising=False)
    monkeypatch.delenv("ADUAN_DATABASE_URL", raising=False)
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["sources"][0]["options"]["path"] = str(ROOT / "harvester/samples/denpasar.jsonl")
    data["store"]["url"] = (
        "postgresql+psycopg://aduan:PgPass-Sekali-123@db.example:5433/aduan"
        "?sslmode=require&password=Rahasia-Kueri-9"
    )
    data["delivery"] = {
        "smtp": {
            "host": "mail.denpasarkota.go.id",
            "port": 587,
            "security": "starttls",
            "username_env": "ADUAN_TEST_SMTP_USER",
            "password_env": "ADUAN_TEST_SMTP_PASSWORD",
        }
    }
    data["agencies"][0].update(
        email="pengaduan@pdam.example",
        webhook_url="https://pdam:hookpass-77@hooks.example.org/aduan?key=qtoken-55#frag-66",
        webhook_secret_env="ADUAN_TEST_HOOK_SECRET",
    )
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_settings(path)


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_no_secret_value_is_in_the_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    view = redacted_config(settings_with_secrets(tmp_path, monkeypatch))
    text = _text(view)
    for leaked in (*SECRETS.values(), *URL_SECRETS):
        assert leaked not in text
    # ... while the names of the variables holding them are there, with whether each is set.
    for name in SECRETS:
        assert name in text


def test_secret_names_say_whether_they_are_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = redacted_config(settings_with_secrets(tmp_path, monkeypatch))
    sources = {s["name"]: s for s in view["sources"]}
    assert sources["x-prodenpasar"]["secrets"] == [
        {"option": "bearer_token", "name": "ADUAN_TWITTER_BEARER_TOKEN", "set": True}
    ]
    assert sources["fb-pemkot-denpasar"]["secrets"] == [
        {"option": "page_access_token", "name": "ADUAN_FACEBOOK_PAGE_TOKEN", "set": False}
    ]
    assert sources["x-prodenpasar"]["schedule"] == "setiap 15 menit"
    assert sources["demo-replay"]["enabled"] is True
    assert sources["x-prodenpasar"]["enabled"] is False
    pdam = view["agencies"][0]
    assert pdam["code"] == "PDAM" and pdam["email"] == "pengaduan@pdam.example"
    assert pdam["webhook_url"] == "https://***@hooks.example.org/aduan?***#***"
    assert pdam["webhook_secret_env"] == {"name": "ADUAN_TEST_HOOK_SECRET", "set": True}
    assert view["agencies"][1]["webhook_url"] is None
    delivery = view["delivery"]
    assert (delivery["smtp_host"], delivery["smtp_port"], delivery["smtp_security"]) == (
        "mail.denpasarkota.go.id", 587, "starttls"
    )  # fmt: skip
    assert delivery["smtp_username_env"] == {"name": "ADUAN_TEST_SMTP_USER", "set": True}
    assert view["store"]["url"] == (
        "postgresql+psycopg://aduan:***@db.example:5433/aduan?password=***&sslmode=require"
    )


def test_an_explicit_environment_is_read_instead_of_the_process_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with_secrets(tmp_path, monkeypatch)
    view = redacted_config(settings, environ={})
    assert view["sources"][1]["secrets"][0]["set"] is False
    assert view["web"]["secret_key_env"] == {"name": "ADUAN_WEB_SECRET", "set": False}


def test_rules_routing_and_deadlines_are_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = redacted_config(settings_with_secrets(tmp_path, monkeypatch))
    assert view["rules"][0]["name"] == "lampu-lalu-lintas"
    assert view["rules"][0]["action"] == {"category": "DISHUB"}
    assert "traffic light" in view["rules"][0]["match"]["regex"]
    assert view["routing"]["triage_inbox"] == "KOMINFO"
    assert view["routing"]["default_threshold"] == 0.6
    assert view["routing"]["categories"]["PERIZINAN"] == "DPMPTSP"
    assert view["deadlines"] == {
        "initial_response_days": 3, "follow_up_days": 5, "holidays_country": "ID"
    }  # fmt: skip
    # The mapping is plain data: it survives JSON unchanged.
    assert json.loads(_text(view)) == view


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.org/aduan", "https://hooks.example.org/aduan"),
        (
            "https://u:p@hooks.example.org:8443/x?a=1#f",
            "https://***@hooks.example.org:8443/x?***#***",
        ),
        ("https://token@hooks.example.org/x", "https://***@hooks.example.org/x"),
        ("http://[::1]:9000/hook?sig=abc", "http://[::1]:9000/hook?***"),
        ("https://host:notaport/x", "***"),
        (
            "https://hooks.example.org/services/T0AB12CD/B0XY34ZW/Xk9fQ2mR7tLp4WvZs1aB",
            "https://hooks.example.org/services/T0AB12CD/B0XY34ZW/***",
        ),
        (
            "https://api.example.org/v2/aduan-webhook-receiver",
            "https://api.example.org/v2/aduan-webhook-receiver",
        ),
    ],
)
def test_webhook_urls_lose_userinfo_query_and_keys(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:////srv/aduan/data/aduan.db", "sqlite:////srv/aduan/data/aduan.db"),
        ("postgresql+psycopg://aduan:s3cret@db/aduan", "postgresql+psycopg://aduan:***@db/aduan"),
        ("postgresql+psycopg://aduan@db/aduan?sslkey=/k&connect_timeout=5",
         "postgresql+psycopg://aduan@db/aduan?connect_timeout=5&sslkey=***"),
        ("not a url", "***"),
    ],
)  # fmt: skip
def test_store_urls_lose_their_password(url: str, shown: str) -> None:
    assert mask_store_url(url) == shown


def test_schedules_read_in_indonesian() -> None:
    assert schedule_label(Schedule(seconds=10)) == "setiap 10 detik"
    assert schedule_label(Schedule(minutes=5)) == "setiap 5 menit"
    assert schedule_label(Schedule(hours=2)) == "setiap 2 jam"
