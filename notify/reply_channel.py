"""Posting a reply on the platform the citizen wrote on, and finding one posted before.

Each channel raises ``ReplyFailed`` saying what the delivery worker should do, the same
reading of platform errors the collectors make (``harvester.exceptions``; notify cannot
import harvester, so the tree is mirrored by the fields below):

* ``unknown``: the post may have been accepted (a 5xx, a timeout after sending): before
  trying again the worker looks for our reply to that post and records it if found;
* ``wait_until``: a platform limit (X's per-user 24-hour posting limit, Graph rate
  limits 4/17/32/613 and the business-use-case usage header, 368 temporarily blocked):
  the row waits without using up an attempt;
* ``gone``: the post is deleted or cannot be answered (X 404/403 "deleted", Graph 100):
  the reply is skipped, with the reason shown;
* ``credentials``: the token expired or was revoked (X 401, Graph 190/102): the
  source's reply channel is switched off with a plain message; reading goes on;
* ``permanent``: anything else another attempt cannot help.

The platform libraries load only when a reply is posted (they are heavy).
"""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from models.types import utcnow
from models.vocab import ReplyChannel
from notify.replies import ReplyAccount

#: Graph API host (facebook-sdk's too)
GRAPH_URL = "https://graph.facebook.com"
_TIMEOUT_S = 30
_GRAPH_TOKEN_CODES = frozenset({102, 190})
_GRAPH_LIMIT_CODES = frozenset({4, 17, 32, 341, 368, 613, *range(80000, 80015)})
_GRAPH_WAIT = timedelta(hours=1)
_X_WAIT = timedelta(minutes=15)
_DUPLICATE = re.compile(r"duplicate", re.IGNORECASE)
_X_GONE = re.compile(r"deleted|not visible|cannot reply|not allowed", re.IGNORECASE)


@dataclass
class ReplyFailed(Exception):
    """A reply could not be posted (see the module doc for what each flag means)."""

    message: str
    permanent: bool = False
    unknown: bool = False
    gone: bool = False
    credentials: bool = False
    duplicate: bool = False
    wait_until: datetime | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Target:
    """What is answered: the post's platform id and our number, which every reply shows."""

    reply_id: int
    post_id: str
    number: str
    text: str


def secret(account: ReplyAccount, name: str) -> str:
    """The secret *name* from the environment variable the config names for it."""
    env = account.secrets.get(name)
    value = os.environ.get(env) if env else None
    if not value:
        raise ReplyFailed(
            f"balasan {account.source}: variabel lingkungan {env or name} (rahasia {name}) "
            "kosong; isi lalu aktifkan lagi saluran balasan",
            credentials=True,
        )
    return value


def post(account: ReplyAccount, target: Target, http: requests.Session) -> str:
    """Post *target*'s reply; the platform's id of the new reply."""
    if account.channel == ReplyChannel.X:
        return _x_post(account, target)
    if account.channel == ReplyChannel.FACEBOOK:
        return _facebook_post(account, target, http)
    if account.channel == ReplyChannel.INSTAGRAM_GRAPH:
        return _instagram_post(account, target, http)
    if account.channel == ReplyChannel.LOG:
        return _log_post(account, target)
    raise ReplyFailed(f"saluran {account.channel} tidak bisa mengirim balasan", permanent=True)


def find_own(account: ReplyAccount, target: Target, http: requests.Session) -> str | None:
    """The id of our reply to *target*'s post (showing its number) if one exists."""
    if account.channel == ReplyChannel.X:
        return _x_find(account, target)
    if account.channel == ReplyChannel.FACEBOOK:
        return _facebook_find(account, target, http)
    if account.channel == ReplyChannel.INSTAGRAM_GRAPH:
        return _instagram_find(account, target, http)
    if account.channel == ReplyChannel.LOG:
        return _log_find(account, target)
    return None


# --- X ----------------------------------------------------------------------------------


def _x_client(account: ReplyAccount) -> tuple[Any, bool]:
    # tweepy loads only when an X reply is posted.
    import tweepy

    if "user_token" in account.secrets:
        # An OAuth 2.0 user-context token is sent as the bearer (the app-only one cannot post).
        return tweepy.Client(bearer_token=secret(account, "user_token")), False
    client = tweepy.Client(
        consumer_key=secret(account, "consumer_key"),
        consumer_secret=secret(account, "consumer_secret"),
        access_token=secret(account, "access_token"),
        access_token_secret=secret(account, "access_token_secret"),
    )
    return client, True


def _x_post(account: ReplyAccount, target: Target) -> str:
    import tweepy

    client, oauth1 = _x_client(account)
    try:
        response = client.create_tweet(
            text=target.text, in_reply_to_tweet_id=target.post_id, user_auth=oauth1
        )
    except tweepy.TweepyException as err:
        raise _x_failure(err) from None
    except requests.RequestException as err:
        raise ReplyFailed(f"X tidak terjangkau: {err}", unknown=True) from None
    return str(response.data["id"])


def _x_failure(err: Any) -> ReplyFailed:
    import tweepy

    said = _x_said(err)
    headers = getattr(getattr(err, "response", None), "headers", {}) or {}
    if isinstance(err, tweepy.TooManyRequests):
        if headers.get("x-user-limit-24hour-remaining") == "0":
            reset = _epoch(headers.get("x-user-limit-24hour-reset")) or utcnow() + _X_WAIT
            return ReplyFailed(
                f"X: batas kiriman 24 jam akun ini tercapai; dikirim lagi setelah "
                f"{reset:%Y-%m-%d %H:%M} UTC",
                wait_until=reset,
            )
        reset = _epoch(headers.get("x-rate-limit-reset")) or utcnow() + _X_WAIT
        return ReplyFailed(f"X: batas permintaan ({said})", wait_until=reset)
    if isinstance(err, tweepy.Unauthorized):
        return ReplyFailed(
            f"X menolak token akun (401: {said}); perbarui token pengguna lalu aktifkan "
            "lagi saluran balasan",
            credentials=True,
        )
    if isinstance(err, tweepy.Forbidden):
        if _DUPLICATE.search(said):
            return ReplyFailed(f"X: konten duplikat ({said})", duplicate=True)
        if _X_GONE.search(said):
            return ReplyFailed(f"X: kiriman tidak bisa dibalas ({said})", gone=True)
        return ReplyFailed(f"X menolak balasan (403: {said})", permanent=True)
    if isinstance(err, tweepy.NotFound):
        return ReplyFailed(f"X: kiriman sudah dihapus ({said})", gone=True)
    if isinstance(err, tweepy.TwitterServerError):
        return ReplyFailed(f"X gangguan server ({said}); hasil kiriman belum pasti", unknown=True)
    return ReplyFailed(f"X: {said}", unknown=True)


def _x_said(err: Any) -> str:
    status = getattr(getattr(err, "response", None), "status_code", None)
    parts = [str(m) for m in getattr(err, "api_messages", []) or []]
    return f"HTTP {status}: " + ("; ".join(parts) or str(err)) if status else str(err)


def _epoch(value: str | None) -> datetime | None:
    if not value or not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _x_find(account: ReplyAccount, target: Target) -> str | None:
    import tweepy

    user_id = str(account.options.get("user_id") or "")
    if not user_id:
        return None
    client, oauth1 = _x_client(account)
    try:
        response = client.get_users_tweets(
            id=user_id,
            max_results=100,
            tweet_fields=["referenced_tweets"],
            user_auth=oauth1,
        )
    except tweepy.TweepyException as err:
        raise _x_failure(err) from None
    except requests.RequestException as err:
        raise ReplyFailed(f"X tidak terjangkau: {err}", unknown=True) from None
    for tweet in response.data or []:
        refs = tweet.referenced_tweets or []
        answers = any(r.type == "replied_to" and str(r.id) == target.post_id for r in refs)
        if answers and target.number in (tweet.text or ""):
            return str(tweet.id)
    return None


# --- Facebook and Instagram (Graph API) ---------------------------------------------------


def _graph_failure(body: Any, headers: Mapping[str, str], status: int, what: str) -> ReplyFailed:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    said = str(error.get("message") or f"HTTP {status}")
    if code in _GRAPH_TOKEN_CODES:
        return ReplyFailed(
            f"{what}: token halaman ditolak (#{code}: {said}); perbarui token lalu aktifkan "
            "lagi saluran balasan (membaca tetap berjalan)",
            credentials=True,
        )
    if code in _GRAPH_LIMIT_CODES:
        until = utcnow() + _usage_wait(headers)
        blocked = "diblokir sementara" if code == 368 else "batas permintaan"
        return ReplyFailed(
            f"{what}: {blocked} (#{code}: {said}); dikirim lagi setelah {until:%Y-%m-%d %H:%M} UTC",
            wait_until=until,
        )
    if code == 100:
        return ReplyFailed(f"{what}: kiriman tidak ada lagi (#100: {said})", gone=True)
    if status >= 500 or code in (1, 2) or error.get("is_transient") is True:
        return ReplyFailed(f"{what}: gangguan sementara ({said}); hasil belum pasti", unknown=True)
    return ReplyFailed(f"{what}: #{code}: {said}", permanent=True)


def _usage_wait(headers: Mapping[str, str]) -> timedelta:
    """How long the business-use-case usage header says to wait (one hour if it does not)."""
    minutes: list[int] = []
    for name in ("x-business-use-case-usage", "x-app-usage"):
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        minutes += [m for m in _find_key(usage, "estimated_time_to_regain_access") if m > 0]
    return timedelta(minutes=max(minutes)) if minutes else _GRAPH_WAIT


def _find_key(value: Any, key: str) -> list[int]:
    if isinstance(value, dict):
        found = [int(v) for k, v in value.items() if k == key and isinstance(v, int | float)]
        return found + [x for v in value.values() for x in _find_key(v, key)]
    if isinstance(value, list):
        return [x for v in value for x in _find_key(v, key)]
    return []


def _graph_version(account: ReplyAccount) -> str:
    return str(account.options.get("api_version") or "v21.0")


def _facebook_post(account: ReplyAccount, target: Target, http: requests.Session) -> str:
    # facebook-sdk loads only when a Facebook reply is posted.
    import facebook

    seen: dict[str, Any] = {}

    def keep(response: requests.Response, *_: Any, **__: Any) -> None:
        seen["response"] = response

    http.hooks["response"] = [keep]
    graph = facebook.GraphAPI(
        access_token=secret(account, "page_access_token"), timeout=_TIMEOUT_S, session=http
    )
    # facebook-sdk 3.1 accepts versions only up to 3.1 in its constructor (see harvester).
    graph.version = _graph_version(account)
    try:
        answer = graph.put_object(target.post_id, "comments", message=target.text)
    except facebook.GraphAPIError as err:
        response = seen.get("response")
        headers = response.headers if response is not None else {}
        status = response.status_code if response is not None else 0
        raise _graph_failure(err.result, headers, status, "Facebook") from None
    except requests.RequestException as err:
        raise ReplyFailed(f"Facebook tidak terjangkau: {err}", unknown=True) from None
    finally:
        http.hooks["response"] = []
    return str(answer["id"])


def _graph_call(
    account: ReplyAccount, http: requests.Session, method: str, path: str, what: str, **params: Any
) -> dict[str, Any]:
    url = f"{GRAPH_URL}/{_graph_version(account)}/{path}"
    params["access_token"] = secret(account, "page_access_token")
    try:
        if method == "POST":
            response = http.post(url, data=params, timeout=_TIMEOUT_S)
        else:
            response = http.get(url, params=params, timeout=_TIMEOUT_S)
    except requests.RequestException as err:
        raise ReplyFailed(f"{what} tidak terjangkau: {err}", unknown=True) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict) or "error" in body:
        raise _graph_failure(body, response.headers, response.status_code, what)
    return body


def _facebook_find(account: ReplyAccount, target: Target, http: requests.Session) -> str | None:
    page_id = str(account.options.get("page_id") or "")
    body = _graph_call(
        account, http, "GET", f"{target.post_id}/comments", "Facebook", fields="from,message"
    )
    for comment in body.get("data") or []:
        author = str((comment.get("from") or {}).get("id") or "")
        if author == page_id and target.number in str(comment.get("message") or ""):
            return str(comment["id"])
    return None


def _instagram_post(account: ReplyAccount, target: Target, http: requests.Session) -> str:
    body = _graph_call(
        account, http, "POST", f"{target.post_id}/replies", "Instagram", message=target.text
    )
    return str(body["id"])


def _instagram_find(account: ReplyAccount, target: Target, http: requests.Session) -> str | None:
    body = _graph_call(
        account, http, "GET", f"{target.post_id}/replies", "Instagram", fields="id,text,username"
    )
    for reply in body.get("data") or []:
        own = str(reply.get("username") or "").lower() in account.own_handles
        if own and target.number in str(reply.get("text") or ""):
            return str(reply["id"])
    return None


# --- the demo sink ----------------------------------------------------------------------


def log_path(account: ReplyAccount) -> Path:
    """The JSON-lines file the demo sink appends replies to."""
    return Path(str(account.options.get("log_path") or "replies.jsonl"))


def _log_post(account: ReplyAccount, target: Target) -> str:
    path = log_path(account)
    path.parent.mkdir(parents=True, exist_ok=True)
    reply_id = f"log-{target.reply_id}"
    line = {
        "id": reply_id,
        "at": utcnow().isoformat(),
        "source": account.source,
        "in_reply_to": target.post_id,
        "text": target.text,
    }
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return reply_id


def _log_find(account: ReplyAccount, target: Target) -> str | None:
    path = log_path(account)
    if not path.exists():
        return None
    wanted = f"log-{target.reply_id}"
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line).get("id") == wanted:
                return wanted
        except ValueError:
            continue
    return None
