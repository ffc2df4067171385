"""The public and replies sections of the config: validated with the key path and value."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from aduan.settings import load_settings
from aduan.wiring import policy_for, reply_policy_for
from models.exceptions import ConfigError
from models.vocab import ReplyChannel
from tests.support.config import bundled_config, write_config


def _load(tmp_path: Path, **changes: Any) -> Any:
    data = bundled_config()
    for key, value in changes.items():
        data[key] = value
    return load_settings(write_config(tmp_path, data))


def _error(tmp_path: Path, **changes: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, **changes)
    return str(caught.value)


def test_the_bundled_demo_answers_the_replay_source_into_a_log(tmp_path: Path) -> None:
    settings = _load(tmp_path)
    policy = reply_policy_for(settings)
    assert policy is not None
    demo = policy.accounts["demo-replay"]
    assert (demo.channel, demo.mode) == (ReplyChannel.LOG, "auto")
    assert demo.options["log_path"] == str(settings.data_dir / "replies.jsonl")
    assert policy.tracking_url == "http://127.0.0.1:8000/lacak/"
    assert policy_for(settings).replies == policy
    assert policy_for(settings).number_prefix == "DPS"


def test_accounts_name_known_sources_with_posting_credentials(tmp_path: Path) -> None:
    message = _error(tmp_path, replies={"accounts": [{"source": "nope"}]})
    assert 'replies.accounts[0].source: unknown source "nope"' in message
    bearer_only = {"source": "x-prodenpasar", "secrets": {"bearer_token": "X"}}
    message = _error(tmp_path, replies={"accounts": [bearer_only]})
    assert "replies.accounts[0].secrets" in message and "user-context" in message
    message = _error(tmp_path, replies={"accounts": [{"source": "fb-pemkot-denpasar"}]})
    assert "page_access_token" in message


def test_channels_follow_the_source_platform_unless_named(tmp_path: Path) -> None:
    accounts = [
        {"source": "x-prodenpasar", "secrets": {"user_token": "ADUAN_X_USER_TOKEN"}},
        {"source": "ig-denpasar"},
        {"source": "ig-graph-denpasar", "secrets": {"page_access_token": "T"}},
    ]
    policy = reply_policy_for(_load(tmp_path, replies={"accounts": accounts}))
    assert policy is not None
    channels = {s: a.channel for s, a in policy.accounts.items()}
    assert channels == {
        "x-prodenpasar": "x",
        "ig-denpasar": "manual",
        "ig-graph-denpasar": "instagram_graph",
    }
    # The account a source reads is its own: never answered.
    assert "prodenpasar" in policy.accounts["x-prodenpasar"].own_handles
    assert policy.accounts["x-prodenpasar"].mode == "review"


@pytest.mark.parametrize(
    ("templates", "words"),
    [
        ({"diterima": "Terima kasih"}, "nomor"),
        ({"selesai": "{{ nomor }} {{ penulis }}"}, "penulis"),
        ({"ucapan": "{{ nomor }}"}, "unknown template"),
        ({"selesai": "{{ nomor "}, "selesai"),
    ],
)
def test_bad_templates_are_refused_by_name(
    tmp_path: Path, templates: dict[str, str], words: str
) -> None:
    message = _error(tmp_path, replies={"templates": templates})
    assert "replies.templates" in message and words in message


def test_public_settings_are_checked(tmp_path: Path) -> None:
    assert "public.number_prefix" in _error(tmp_path, public={"number_prefix": "dps-1"})
    assert "public.base_url" in _error(tmp_path, public={"base_url": "javascript:alert(1)"})
    settings = _load(tmp_path, public={"number_prefix": "BDG", "base_url": "https://a.id/x/"})
    assert settings.public.tracking_url == "https://a.id/x/lacak/"
    assert yaml.safe_dump(settings.public.model_dump())
