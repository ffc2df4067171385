"""Webhook URL validation: http(s) only, and never to loopback or private addresses.

Webhook URLs come from configuration, so a mistaken or malicious entry could make the
daemon probe services inside the city's network (a cloud metadata endpoint at
169.254.169.254, an admin page on localhost, a database on 10.x). ``check_webhook_url``
refuses such URLs when settings are loaded and again before every send, because DNS
answers change. The webhook channel also checks the address it actually connected to
(``address_problem`` on the socket's peer), which closes the gap between this check
and the connection that DNS rebinding would otherwise use.

Receivers on internal addresses (tests, a receiver on the same host) need
``allow_private`` set explicitly.
"""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

#: an IPv4 or IPv6 address
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class WebhookURLError(ValueError):
    """A webhook URL that cannot be used; the message names the URL and the reason."""


class UnsafeWebhookURL(WebhookURLError):
    """Not http(s), no host, or a host that is or resolves to a non-public address.

    Permanent: sending again will not help until the configuration changes.
    """


class WebhookHostUnresolved(WebhookURLError):
    """The webhook's host name did not resolve; DNS may be down, so this may pass."""


def redact(url: str) -> str:
    """*url* fit for logs and the dashboard: credentials and the query string hidden.

    Receivers often put a token in the query (``?token=...``) or the userinfo.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url[:200]
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    if parts.username or parts.password:
        netloc = "***@" + netloc
    return urlunsplit((parts.scheme, netloc, parts.path, "..." if parts.query else "", ""))


def address_problem(address: IPAddress) -> str | None:
    """Why *address* must not receive webhooks ("a loopback address", ...), or None."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        problem = address_problem(embedded)
        return f"{problem} (embedded in {address})" if problem else None
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "the unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    # What remains non-global: shared carrier-grade NAT (100.64/10) and similar ranges.
    if not address.is_global:
        return "not a public address"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_address(text: str) -> IPAddress:
    """An address as reported by getaddrinfo or getpeername (an IPv6 zone id is dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address *host* resolves to; raises WebhookHostUnresolved."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise WebhookHostUnresolved(f"host {host!r} did not resolve: {err}") from None
    addresses = [parse_address(str(info[4][0])) for info in infos]
    if not addresses:
        raise WebhookHostUnresolved(f"host {host!r} resolved to no address")
    return addresses


def check_webhook_url(url: str, allow_private: bool = False, *, resolve: bool = True) -> None:
    """Refuse *url* unless it is http(s) with a host whose every address is public.

    Raises UnsafeWebhookURL (permanent) or WebhookHostUnresolved (DNS failed, perhaps
    for now); both are ValueErrors naming the URL and the reason. With *allow_private*
    only the scheme and host are checked. Without *resolve* (checking config at
    start-up) a host name is not looked up: the send-time check does that.
    """
    shown = redact(url)

    def unsafe(reason: str) -> UnsafeWebhookURL:
        return UnsafeWebhookURL(f"webhook URL {shown!r} refused: {reason}")

    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise unsafe("it contains spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as err:
        raise unsafe(f"not a valid URL ({err})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise unsafe(f"only http and https are allowed, not {scheme or 'no scheme'!r}")
    if not host:
        raise unsafe("it has no host")
    if allow_private:
        return
    literal = True
    try:
        addresses = [parse_address(host)]
    except ValueError:
        literal = False
        if not resolve:
            if host == "localhost" or host.endswith(".localhost"):
                raise unsafe(
                    f"host {host!r} is this machine; internal receivers need allow_private_webhooks"
                ) from None
            return
        try:
            addresses = resolve_host(host, port or (443 if scheme == "https" else 80))
        except WebhookHostUnresolved as err:
            raise WebhookHostUnresolved(f"webhook URL {shown!r}: {err}") from None
    for address in addresses:
        problem = address_problem(address)
        if problem:
            via = "" if literal else f" resolves to {address}, which"
            raise unsafe(
                f"host {host!r}{via} is {problem}; internal receivers need allow_private_webhooks"
            )
