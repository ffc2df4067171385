"""The admin's view of the running configuration: useful names and numbers, no secret."""

import json
from pathlib import Path
from typing import Any

import pytest

from aduan.config_view import mask_store_url, mask_url, redacted_config, schedule_label
from aduan.settings import Schedule
from tests.support.config import SECRETS, URL_SECRETS, settings_with_secrets


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
        "mail.denpasarkota.go.id",
        587,
        "starttls",
    )
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
        "initial_response_days": 3,
        "follow_up_days": 5,
        "holidays_country": "ID",
    }
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
        (
            "postgresql+psycopg://aduan@db/aduan?sslkey=/k&connect_timeout=5",
            "postgresql+psycopg://aduan@db/aduan?connect_timeout=5&sslkey=***",
        ),
        ("not a url", "***"),
    ],
)
def test_store_urls_lose_their_password(url: str, shown: str) -> None:
    assert mask_store_url(url) == shown


def test_schedules_read_in_indonesian() -> None:
    assert schedule_label(Schedule(seconds=10)) == "setiap 10 detik"
    assert schedule_label(Schedule(minutes=5)) == "setiap 5 menit"
    assert schedule_label(Schedule(hours=2)) == "setiap 2 jam"


def test_issue_14_settings_are_shown_with_urls_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with_secrets(tmp_path, monkeypatch)
    hook = "https://user:pw@hooks.example.org/alert/9f8e7d6c5b4a39281706?key=rahasia"
    agencies = [
        a.model_copy(update={"escalation_webhook": hook, "head_email": "kepala@example.org"})
        for a in settings.agencies
    ]
    alerts = settings.alerts.model_copy(
        update={"webhook_url": hook, "webhook_secret_env": "ADUAN_ALERT_SECRET"}
    )
    view = redacted_config(settings.model_copy(update={"agencies": agencies, "alerts": alerts}))
    text = _text(view)
    assert "rahasia" not in text and "user:pw" not in text and "9f8e7d6c5b4a39281706" not in text
    assert view["alerting"]["reopen_days"] == 14
    assert view["alerting"]["alerts"]["webhook_secret_env"] == {
        "name": "ADUAN_ALERT_SECRET",
        "set": False,
    }
    assert view["alerting"]["incidents"]["min_reports"] == 5
    assert view["agencies"][0]["head_email"] == "kepala@example.org"
