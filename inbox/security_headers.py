"""Security headers on every answer: a strict CSP, no framing, no sniffing, no referrers.

The Content-Security-Policy allows scripts, styles and images from this site only: no
inline script, no inline style, no ``eval``, nothing from another origin. Pages keep
their scripts and styles in ``/static`` (htmx is told not to inject its indicator
style, see ``base.html``). A route that sets its own policy (the SVG charts, the API
docs page) keeps it; ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` stop
any site from framing a page (clickjacking).
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the policy of every page
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
#: set on every answer (a route's own value wins)
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Our URLs name complaints; no other site learns them from a Referer header.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every HTTP answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the answer's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
