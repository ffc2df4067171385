"""Config validation: every problem named by file, key path and value."""

from pathlib import Path

import pytest
import yaml

from aduan.settings import load_settings
from models.exceptions import ConfigError
from tests.support.config import bundled_config
from tests.support.paths import CONFIG, ROOT


def _config(tmp_path: Path, mutate=None, text: str | None = None) -> Path:
    data = bundled_config()
    if mutate:
        mutate(data)
    path = tmp_path / "config.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(data, allow_unicode=True))
    return path


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return str(info.value)


def test_bundled_config_is_valid() -> None:
    settings = load_settings(CONFIG)
    assert settings.categories["LPJU"] == "LPJU"
    assert settings.source("demo-replay").schedule.interval_seconds == 5
    # Relative paths are resolved against the config file, not the working directory.
    assert settings.store.url == f"sqlite:///{ROOT / 'data' / 'aduan.db'}"
    assert settings.classifier.model_dir == ROOT / "data" / "models"


def test_wrong_type_names_the_key_path_and_value(tmp_path: Path) -> None:
    def bad(d):
        d["sources"] += [dict(d["sources"][0], name=f"s{i}") for i in (1, 2)]
        d["sources"][2]["schedule"] = {"minutes": "five"}

    path = _config(tmp_path, bad)
    assert _error(path) == (
        f'{path}: sources[2].schedule.minutes: must be a positive integer, got "five"'
    )


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = _config(tmp_path, lambda d: d["web"].update(colour="blue"))
    assert _error(path) == f"{path}: web.colour: unknown key"


def test_unknown_platform_option_is_rejected(tmp_path: Path) -> None:
    path = _config(tmp_path, lambda d: d["sources"][0]["options"].update(speed=3))
    assert _error(path) == f"{path}: sources[0].options.speed: unknown key"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _config(tmp_path, text="store:\n  url: sqlite:///x.db\nweb: [1, 2\nsources: []\n")
    message = _error(path)
    assert message.startswith(f"{path}: line 4, column 8: YAML syntax error")


def test_several_problems_reported_together(tmp_path: Path) -> None:
    def bad(d):
        d["categories"]["PDAM"] = "NOWHERE"
        d["routing"]["triage_inbox"] = "ALSO_NOWHERE"

    message = _error(_config(tmp_path, bad))
    assert 'categories.PDAM: unknown inbox "NOWHERE"' in message
    assert 'routing.triage_inbox: unknown inbox "ALSO_NOWHERE"' in message


def test_every_category_needs_an_inbox(tmp_path: Path) -> None:
    message = _error(_config(tmp_path, lambda d: d["categories"].pop("PLN")))
    assert message.endswith("categories: no inbox for PLN")


def test_unknown_category_and_threshold_out_of_range(tmp_path: Path) -> None:
    def bad(d):
        d["classifier"]["thresholds"] = {"PDAM": 1.5}

    message = _error(_config(tmp_path, bad))
    assert "classifier.thresholds.PDAM: must be a number from 0 to 1, got 1.5" in message


def test_missing_required_section(tmp_path: Path) -> None:
    message = _error(_config(tmp_path, lambda d: d.pop("agencies")))
    assert message.endswith("agencies: required key is missing")


def test_bad_database_url(tmp_path: Path) -> None:
    message = _error(_config(tmp_path, lambda d: d["store"].update(url="mysql://x/y")))
    assert 'store.url: only sqlite and postgresql are supported, got "mysql://x/y"' in message


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: file not found"
    path = _config(tmp_path, text="- just\n- a list\n")
    assert _error(path) == f"{path}: must be a mapping of sections, got list"


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _config(tmp_path)
    monkeypatch.setenv("ADUAN_CONFIG", str(path))
    monkeypatch.setenv("ADUAN_DATABASE_URL", "postgresql+psycopg://aduan@db/aduan")
    settings = load_settings()
    assert settings.config_path == path
    assert settings.store.url == "postgresql+psycopg://aduan@db/aduan"


def test_missing_secret_is_reported_per_source(tmp_path: Path, monkeypatch) -> None:
    def with_secret(d):
        d["sources"][0]["secrets"] = {"token": "ADUAN_TEST_TOKEN"}

    settings = load_settings(_config(tmp_path, with_secret))
    monkeypatch.delenv("ADUAN_TEST_TOKEN", raising=False)
    assert settings.sources[0].missing_secrets() == ["ADUAN_TEST_TOKEN"]
    monkeypatch.setenv("ADUAN_TEST_TOKEN", "s3cret")
    assert settings.sources[0].missing_secrets() == []
    assert settings.sources[0].secret_values() == {"token": "s3cret"}


def test_rules_are_validated(tmp_path: Path) -> None:
    def bad(d):
        d["rules"] = [
            {
                "name": "lampu-merah",
                "match": {"regex": "lampu (merah"},
                "action": {"category": "DISHUB"},
            },
            {"name": "x", "match": {"keywords": ["a"]}, "action": {"inbox": "NOWHERE"}},
            {"name": "y", "match": {}, "action": {"category": "WATER"}},
        ]

    message = _error(_config(tmp_path, bad))
    assert "rules[0].match.regex: not a valid regular expression: missing )" in message
    assert "rules[2].match: a rule must match on something" in message
    assert 'rules[2].action: unknown category "WATER"' in message
    # Cross-field checks run once the shapes are right.
    good = _config(
        tmp_path,
        lambda d: d.update(
            rules=[{"name": "x", "match": {"keywords": ["a"]}, "action": {"inbox": "NOWHERE"}}]
        ),
    )
    assert 'rules[0].action.inbox: unknown inbox "NOWHERE"' in _error(good)


def test_jurisdiction_inbox_must_exist(tmp_path: Path) -> None:
    def bad(d):
        d["location"] = {"jurisdiction": [{"name": "Jl. X", "inbox": "NOPE", "reason": "r"}]}

    assert 'location.jurisdiction[0].inbox: unknown inbox "NOPE"' in _error(_config(tmp_path, bad))


def test_webhook_urls_are_checked_at_start_up(tmp_path: Path) -> None:
    def bad(d):
        d["agencies"][0].update(webhook_url="http://127.0.0.1:8080/hook")
        d["agencies"][1].update(webhook_url="ftp://example.org/x", webhook_secret_env="X_SECRET")
        d["agencies"][2].update(webhook_url="http://localhost/hook", webhook_secret_env="Y")

    message = _error(_config(tmp_path, bad))
    assert "agencies[0].webhook_url: webhook URL 'http://127.0.0.1:8080/hook' refused" in message
    assert "agencies[0].webhook_secret_env: a webhook needs the NAME" in message
    assert (
        "agencies[1].webhook_url: webhook URL 'ftp://example.org/x' refused: only http" in message
    )
    assert "agencies[2].webhook_url" in message and "this machine" in message

    def internal(d):
        d["delivery"] = {"allow_private_webhooks": True}
        d["agencies"][0].update(webhook_url="http://127.0.0.1:8080/hook", webhook_secret_env="S")

    assert load_settings(_config(tmp_path, internal)).agencies[0].webhook_secret_env == "S"


def test_privacy_section_names_roles_and_days(tmp_path: Path) -> None:
    settings = load_settings(CONFIG)
    assert [r.value for r in settings.privacy.original_text_roles] == ["admin", "operator"]
    assert settings.privacy.retention.not_complaint_days == 90

    def bad(d):
        d["privacy"]["original_text_roles"] = ["admin", "warga"]
        d["privacy"]["retention"]["raw_payload_days"] = 0

    message = _error(_config(tmp_path, bad))
    assert (
        f"{tmp_path / 'config.yaml'}: privacy.original_text_roles[1]: input should be 'admin', "
        "'operator', 'agency' or 'viewer', got \"warga\""
    ) in message
    assert "privacy.retention.raw_payload_days: must be a positive integer, got 0" in message

    def keep_forever(d):
        d["privacy"]["retention"]["access_log_days"] = None

    kept = load_settings(_config(tmp_path, keep_forever))
    assert kept.privacy.retention.access_log_days is None


def test_replay_batch_size_zero_is_refused_saying_what_to_give(tmp_path: Path) -> None:
    path = _config(tmp_path, lambda d: d["sources"][0]["options"].update(batch_size=0))
    message = _error(path)
    assert message.startswith(f"{path}: sources[0].options.batch_size: ")
    assert "batch_size 0 is no longer allowed" in message and "batch_size: 500" in message


def test_issue_14_sections_are_validated_and_name_the_key(tmp_path: Path) -> None:
    def bad(d):
        d["alerts"]["webhook_url"] = "https://alarm.example.org/aduan"
        d["incidents"]["p_value"] = 2
        d["escalation"]["digest_hour"] = 25
        pdam = next(a for a in d["agencies"] if a["code"] == "PDAM")
        pdam["escalation_webhook"] = "http://127.0.0.1:9/eskalasi"
        pdam["webhook_secret_env"] = "ADUAN_PDAM_SECRET"

    path = _config(tmp_path, bad)
    message = _error(path)
    assert f"{path}: incidents.p_value: must be a number from 0 to 1, got 2" in message
    assert f"{path}: escalation.digest_hour: " in message
    # the cross-field checks report once the fields are valid
    path = _config(
        tmp_path,
        lambda d: (
            d["alerts"].update(webhook_url="https://alarm.example.org/aduan"),
            next(a for a in d["agencies"] if a["code"] == "PDAM").update(
                escalation_webhook="http://127.0.0.1:9/eskalasi",
                webhook_secret_env="ADUAN_PDAM_SECRET",
            ),
        ),
    )
    message = _error(path)
    index = next(i for i, a in enumerate(bundled_config()["agencies"]) if a["code"] == "PDAM")
    assert f"{path}: agencies[{index}].escalation_webhook: " in message
    assert f"{path}: alerts.webhook_secret_env: a webhook needs the NAME" in message


def test_issue_14_defaults(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path))
    assert settings.routing.reopen_days == 14
    assert settings.escalation.second_level_days == 2
    assert settings.incidents.min_reports == 5
    assert settings.alerts.read_cap_warning == 0.8


def test_an_inbox_code_longer_than_the_store_holds_is_refused(tmp_path: Path) -> None:
    """The store keeps inbox codes in 40 characters; a longer one was accepted, then
    refused by PostgreSQL when the agencies were written (or cut by a bulk write)."""
    long_code = "DINAS_" + "X" * 35  # 41 characters

    def longer(d):
        d["agencies"][0]["code"] = long_code

    message = _error(_config(tmp_path, longer))
    assert "agencies[0].code: string should have at most 40 characters" in message
    assert long_code in message
