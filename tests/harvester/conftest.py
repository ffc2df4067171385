"""Fixtures the collector tests share."""

import pickle
from pathlib import Path

import pytest

from tests.support.instagram import LOGIN


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    """A session file as `instaloader -l kominfodenpasar` saves it: a pickled cookie dict."""
    path = tmp_path / f"session-{LOGIN}"
    cookies = {
        "csrftoken": "Hq3TestCsrfToken0000000000000000",
        "sessionid": "5550001%3AtestSessionId%3A12%3AAYc-test",
        "ds_user_id": "5550001",
        "mid": "ZzTestMidAAE",
        "ig_did": "0B1C2D3E-0000-4000-8000-000000000000",
        "rur": "CLN",
    }
    with path.open("wb") as handle:
        pickle.dump(cookies, handle)
    return path
