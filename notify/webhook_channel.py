"""Signed JSON webhooks to agencies' own systems.

What a receiver gets, for every attempt::

    POST <webhook_url>
    Content-Type: application/json; charset=utf-8
    X-Aduan-Event-Id: aduan-42        the same on every retry of one notification
    X-Aduan-Event: complaint.filed
    X-Aduan-Timestamp: 1763600000     unix seconds when this attempt was signed
    X-Aduan-Signature: sha256=<hex>   HMAC-SHA256(secret, "<timestamp>." + raw body)

How to verify (``verify_signature`` does exactly this)::

    signed = timestamp_header.encode() + b"." + raw_body      # bytes as received
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, signature_header)
    fresh = abs(time.time() - int(timestamp_header)) <= 300

Reject the request unless both hold. The timestamp is inside the signature, so a
captured request replayed later cannot be given a new timestamp; rejecting old ones
(5 minutes is a good window) stops replays. Delivery is at least once: store the
event id and ignore one already seen.

Answer 2xx once the event is stored. aduan does not follow redirects (a 3xx is a
failure: configure the final URL); 408, 429 and 5xx are retried with backoff
(``Retry-After`` is honoured, capped), any other 4xx is final.
"""

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from models.exceptions import AduanError
from notify.urlcheck import (
    UnsafeWebhookURL,
    WebhookHostUnresolved,
    address_problem,
    check_webhook_url,
    parse_address,
    redact,
)

#: what precedes the hex digest in X-Aduan-Signature
SIGNATURE_PREFIX = "sha256="
#: how old a timestamp receivers should still accept, in seconds
DEFAULT_TOLERANCE = 300
_USER_AGENT = "aduan-webhook/1"


class WebhookFailed(AduanError):
    """A webhook attempt failed; *permanent* says whether retrying can help.

    Raised by ``post_event``; the delivery worker retries temporary failures with
    backoff (no sooner than *retry_after* seconds when the receiver asked) and
    dead-letters permanent ones.
    """

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class _UnsafePeer(UnsafeWebhookURL):
    """The connection reached a non-public address although the name checked out."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Aduan-Signature`` value for *body* sent at *timestamp*."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether a received request is authentic and fresh (the receiver's side of ``sign``)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


def encode_event(event: Mapping[str, Any]) -> bytes:
    """The JSON body of *event*: UTF-8, compact, keys sorted (so retries are byte-identical)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def post_event(
    url: str,
    event: Mapping[str, Any],
    *,
    secret: str,
    event_id: str,
    event_type: str,
    timeout: float,
    allow_private: bool,
    session: requests.Session | None = None,
) -> None:
    """POST *event* to *url*, signed with *secret*; raises WebhookFailed unless a 2xx came back."""
    shown = redact(url)
    try:
        check_webhook_url(url, allow_private)
    except WebhookHostUnresolved as err:
        raise WebhookFailed(str(err), permanent=False) from None
    except UnsafeWebhookURL as err:
        raise WebhookFailed(str(err), permanent=True) from None
    body = encode_event(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": _USER_AGENT,
        "X-Aduan-Event-Id": event_id,
        "X-Aduan-Event": event_type,
        "X-Aduan-Timestamp": str(timestamp),
        "X-Aduan-Signature": sign(secret, timestamp, body),
    }
    own_session = session is None
    http = webhook_session(allow_private) if session is None else session
    try:
        # stream=True: the body is read only as far as an error message needs, so a
        # receiver answering with a huge body cannot make the worker buffer it.
        with http.post(
            url,
            data=body,
            headers=headers,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
        ) as response:
            _check_response(shown, response)
    except _UnsafePeer as err:
        raise WebhookFailed(f"webhook URL {shown!r} refused: {err}", permanent=True) from None
    except requests.Timeout:
        raise WebhookFailed(
            f"webhook {shown} timed out after {timeout:g} s", permanent=False
        ) from None
    except requests.ConnectionError as err:
        raise WebhookFailed(
            f"webhook {shown}: cannot connect ({_root_cause(err)})", permanent=False
        ) from None
    except requests.RequestException as err:
        raise WebhookFailed(f"webhook {shown}: {err}", permanent=False) from None
    finally:
        if own_session:
            http.close()


def _check_response(shown: str, response: requests.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"webhook {shown} answered HTTP {status}"
    if 300 <= status < 400:
        target = redact(response.headers.get("Location", "")) or "nowhere"
        raise WebhookFailed(
            f"{reason} (redirect to {target}); redirects are not followed, configure the final URL",
            permanent=True,
        )
    snippet = _snippet(response)
    if snippet:
        reason = f"{reason}: {snippet}"
    if status in (408, 429) or status >= 500:
        raise WebhookFailed(
            reason, permanent=False, retry_after=_retry_after(response.headers.get("Retry-After"))
        )
    raise WebhookFailed(reason, permanent=True)


def _snippet(response: requests.Response, limit: int = 200) -> str:
    """The start of an error response's body, on one line, for last_error."""
    try:
        raw = response.raw.read(limit, decode_content=True) or b""
    except Exception:  # a diagnostic only: the status code has already decided
        return ""
    text = raw.decode("utf-8", errors="replace")
    return " ".join(text.split())[:limit]


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _root_cause(err: BaseException) -> str:
    """The innermost error's message: 'Connection refused' rather than urllib3's wrapping."""
    seen = err
    while seen.__cause__ is not None or seen.__context__ is not None:
        nxt = seen.__cause__ or seen.__context__
        assert nxt is not None
        seen = nxt
    if isinstance(seen, OSError) and seen.strerror:
        return seen.strerror
    text = str(seen)
    return text if len(text) <= 200 else text[:197] + "..."


# The address a connection actually reached is checked, not only what DNS said during
# check_webhook_url: a name can resolve to a public address for the check and to an
# internal one a moment later (DNS rebinding).


def _checked(sock: socket.socket) -> socket.socket:
    peer = sock.getpeername()[0]
    problem = address_problem(parse_address(str(peer)))
    if problem:
        sock.close()
        raise _UnsafePeer(f"the connection reached {peer}, {problem}")
    return sock


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    """Connections whose peer is loopback, private or otherwise internal are refused."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Use connection pools that check the peer address."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def webhook_session(allow_private: bool) -> requests.Session:
    """A requests session for webhooks: no proxies from the environment, peers checked.

    Proxies are ignored because the peer check must see the receiver itself, not a
    proxy; a receiver reached through a proxy would bypass the address policy.
    """
    session = requests.Session()
    session.trust_env = False
    if not allow_private:
        adapter = _PublicOnlyAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
