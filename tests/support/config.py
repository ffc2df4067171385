"""The bundled config, adapted for tests: its replay path made absolute, fake secrets set."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from aduan.settings import Settings, load_settings
from tests.support.paths import CONFIG, SAMPLE


def bundled_config() -> dict[str, Any]:
    """The bundled config.yaml as data, its replay source reading the sample by full path."""
    data: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    data["sources"][0]["options"]["path"] = str(SAMPLE)
    return data


def write_config(folder: Path, data: dict[str, Any]) -> Path:
    """*data* written as *folder*/config.yaml; that file's path."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


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
    data = bundled_config()
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
    return load_settings(write_config(tmp_path, data))
