"""Webhook URL validation: only http(s) to public addresses, with clear reasons; no DNS used."""

import socket
from typing import Any

import pytest

from notify.urlcheck import (
    UnsafeWebhookURL,
    WebhookHostUnresolved,
    WebhookURLError,
    check_webhook_url,
    redact,
)

#: what the fake resolver answers; anything else must be a numeric host or fails
NAMES = {
    "example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "localhost": ["127.0.0.1", "::1"],
    "intranet.example": ["10.1.2.3"],
    "mixed.example": ["93.184.216.34", "192.168.1.10"],
}
_real_getaddrinfo = socket.getaddrinfo


def _fake_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
    if host in NAMES:
        out = []
        for address in NAMES[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out
    # Numeric hosts (e.g. 2130706433) are parsed locally; names fail: no DNS in tests.
    return _real_getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _fake_getaddrinfo)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.1.2.3:8080/hook", "loopback"),
        ("http://localhost/hook", "resolves to 127.0.0.1, which is a loopback"),
        ("http://10.0.0.1/hook", "private"),
        ("http://172.16.5.4/hook", "private"),
        ("http://192.168.0.1/hook", "private"),
        ("http://intranet.example/hook", "resolves to 10.1.2.3, which is a private"),
        ("http://mixed.example/hook", "resolves to 192.168.1.10"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "is a loopback address (embedded in ::ffff:7f00:1)"),
        ("http://[::ffff:10.0.0.1]/hook", "private"),
        ("http://[2002:7f00:1::]/hook", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("http://[64:ff9b::a9fe:a9fe]/hook", "link-local"),  # NAT64 of 169.254.169.254
        ("http://[fe80::1]/hook", "link-local"),
        ("http://[fc00::1]/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://[::]/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://[ff02::1]/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
        ("http://100.64.0.1/hook", "not a public address"),  # carrier-grade NAT
        ("http://2130706433/hook", "resolves to 127.0.0.1"),  # decimal form of 127.0.0.1
        ("ftp://x/hook", "only http and https are allowed, not 'ftp'"),
        ("javascript:alert(1)", "only http and https are allowed, not 'javascript'"),
        ("file:///etc/passwd", "only http and https"),
        ("example.com/hook", "not 'no scheme'"),
        ("http:///hook", "no host"),
        ("http://[::1/hook", "not a valid URL"),
        ("http://example.com:99999/hook", "not a valid URL"),
        ("http://example.com/ho ok", "spaces or control characters"),
        ("http://example.com/\r\nHost: evil", "spaces or control characters"),
    ],
)
def test_unsafe_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(UnsafeWebhookURL) as caught:
        check_webhook_url(url, allow_private=False)
    message = str(caught.value)
    assert reason in message
    assert message.startswith("webhook URL ")
    assert isinstance(caught.value, ValueError)  # usable in pydantic validators


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hooks/aduan",
        "http://example.com:8080/x?token=abc",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        "HTTPS://EXAMPLE.COM/hook",
    ],
)
def test_public_urls_pass(url: str) -> None:
    check_webhook_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://10.0.0.1/x"]
)
def test_private_addresses_pass_only_when_allowed(url: str) -> None:
    check_webhook_url(url, allow_private=True)
    with pytest.raises(UnsafeWebhookURL):
        check_webhook_url(url, allow_private=False)


def test_allow_private_still_requires_http_and_a_host() -> None:
    for url in ("ftp://127.0.0.1/x", "javascript:alert(1)", "http:///x"):
        with pytest.raises(UnsafeWebhookURL):
            check_webhook_url(url, allow_private=True)


def test_unresolvable_host_is_its_own_error() -> None:
    with pytest.raises(WebhookHostUnresolved) as caught:
        check_webhook_url("https://no-such-host.example/hook")
    assert "no-such-host.example" in str(caught.value)
    assert isinstance(caught.value, WebhookURLError)
    assert not isinstance(caught.value, UnsafeWebhookURL)


def test_messages_hide_credentials_and_query() -> None:
    with pytest.raises(UnsafeWebhookURL) as caught:
        check_webhook_url("http://user:s3cret@127.0.0.1/hook?token=abcdef")
    message = str(caught.value)
    assert "s3cret" not in message and "abcdef" not in message
    assert "http://***@127.0.0.1/hook?..." in message
    assert redact("https://[::1]:8443/a?b=c") == "https://[::1]:8443/a?..."
