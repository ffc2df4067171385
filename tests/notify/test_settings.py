"""Delivery settings are declared once: the validated config is what the outbox reads."""

from pathlib import Path

import pytest

from aduan.settings import AgencyConfig, DeliveryConfig, SmtpConfig, load_settings
from aduan.wiring import recipients
from models.exceptions import ConfigError
from notify.settings import (
    DEFAULT_LEASE_SECONDS,
    email_in_digest,
    lease,
    min_lease,
    send_budget,
    settings_budget,
)
from tests.support.config import bundled_config, write_config
from tests.support.paths import CONFIG


def _load(tmp_path: Path, delivery: dict) -> str | None:
    """Load the bundled config with *delivery* as its delivery section; the error, if any."""
    data = bundled_config()
    data["delivery"] = delivery
    try:
        load_settings(write_config(tmp_path, data))
    except ConfigError as err:
        return str(err)
    return None


def test_the_lease_is_five_minutes_unless_the_timeouts_need_more() -> None:
    default = DeliveryConfig()
    assert settings_budget(default) == send_budget(smtp_timeout=20, webhook_timeout=10) == 120
    assert lease(default) == DEFAULT_LEASE_SECONDS == 300
    slow = DeliveryConfig(smtp=SmtpConfig(timeout_seconds=60))
    assert lease(slow) == min_lease(smtp_timeout=60, webhook_timeout=10) == 720
    assert lease(DeliveryConfig(lease_seconds=900)) == 900


def test_the_config_refuses_a_lease_a_send_could_outlive(tmp_path: Path) -> None:
    problem = _load(tmp_path, {"lease_seconds": 239})
    assert problem is not None and "delivery: lease_seconds must be at least 240" in problem
    assert _load(tmp_path, {"lease_seconds": 240}) is None
    # The rule follows the timeouts: shorter ones allow a shorter lease.
    fast = {"smtp": {"timeout_seconds": 1}, "webhook_timeout_seconds": 2, "lease_seconds": 12}
    assert _load(tmp_path, fast) is None


def test_timeouts_may_be_fractional_but_must_be_positive(tmp_path: Path) -> None:
    assert _load(tmp_path, {"webhook_timeout_seconds": 0.5}) is None
    problem = _load(tmp_path, {"smtp": {"timeout_seconds": 0}})
    assert problem is not None and (
        "delivery.smtp.timeout_seconds: must be a positive number, got 0" in problem
    )
    # A whole number stays one, so the config page shows it as it was written.
    assert DeliveryConfig().model_dump()["webhook_timeout_seconds"] == 10


def test_secrets_are_read_from_the_variables_the_config_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp = SmtpConfig(username_env="ADUAN_TEST_SMTP_USER", password_env="ADUAN_TEST_SMTP_PASS")
    agency = AgencyConfig(
        code="LPJU",
        name="LPJU",
        webhook_url="https://hooks.example/lpju",
        webhook_secret_env="ADUAN_TEST_HOOK_SECRET",
    )
    monkeypatch.delenv("ADUAN_TEST_SMTP_USER", raising=False)
    monkeypatch.setenv("ADUAN_TEST_SMTP_PASS", "")
    monkeypatch.delenv("ADUAN_TEST_HOOK_SECRET", raising=False)
    assert (smtp.username, smtp.password, agency.webhook_secret) == (None, None, None)
    monkeypatch.setenv("ADUAN_TEST_SMTP_USER", "aduan")
    monkeypatch.setenv("ADUAN_TEST_SMTP_PASS", "sandi-smtp")
    monkeypatch.setenv("ADUAN_TEST_HOOK_SECRET", "rahasia")
    assert (smtp.username, smtp.password, agency.webhook_secret) == (
        "aduan",
        "sandi-smtp",
        "rahasia",
    )
    # Nothing secret is kept in the config itself.
    assert "sandi-smtp" not in repr(smtp) and "rahasia" not in repr(agency)


def test_each_inbox_is_its_own_recipient() -> None:
    settings = load_settings(CONFIG)
    found = recipients(settings)
    assert list(found) == [a.code for a in settings.agencies]
    assert all(found[a.code] is a for a in settings.agencies)
    digest = AgencyConfig(code="X", name="X", email="x@example.org", digest=True)
    assert email_in_digest(digest)
    assert not email_in_digest(digest.model_copy(update={"email": None}))
    assert not email_in_digest(digest.model_copy(update={"digest": False}))
