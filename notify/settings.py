"""What the outbox reads from configuration, declared once as Protocols.

The composition root's validated config (``aduan.settings.DeliveryConfig``,
``SmtpConfig`` and ``AgencyConfig``) satisfies these Protocols as it is: nothing is
copied field by field, and every default lives in one place, the config. Secrets are
read from the environment by the config's properties (``SmtpConfig.username``,
``AgencyConfig.webhook_secret``), never stored in it.

The lease rule is here, once: the config refuses a lease shorter than ``min_lease``
for its timeouts, and the worker reserves rows for ``lease(settings)`` seconds.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

#: how the SMTP connection is secured
SmtpSecurity = Literal["none", "starttls", "ssl"]
#: a claimed row's lease when none is configured, unless the timeouts need a longer one
DEFAULT_LEASE_SECONDS = 300.0


class SmtpSettings(Protocol):
    """The mail server notifications go through."""

    @property
    def host(self) -> str:
        """The SMTP server's host name."""
        ...

    @property
    def port(self) -> int:
        """Its port."""
        ...

    @property
    def security(self) -> SmtpSecurity:
        """none, starttls or ssl."""
        ...

    @property
    def from_address(self) -> str:
        """The sender of every message."""
        ...

    @property
    def timeout_seconds(self) -> float:
        """How long one socket operation may take."""
        ...

    @property
    def username(self) -> str | None:
        """The user to authenticate as (a secret from the environment), or None."""
        ...

    @property
    def password(self) -> str | None:
        """Its password (a secret from the environment), or None."""
        ...


class DeliverySettings(Protocol):
    """How to reach the SMTP server and webhooks, and how hard to retry."""

    @property
    def smtp(self) -> SmtpSettings:
        """The mail server."""
        ...

    @property
    def webhook_timeout_seconds(self) -> float:
        """How long connecting to a webhook, and each read of its answer, may take."""
        ...

    @property
    def allow_private_webhooks(self) -> bool:
        """Allow webhooks to loopback and private addresses (tests, an internal receiver)."""
        ...

    @property
    def max_attempts(self) -> int:
        """Attempts before a notification is dead-lettered."""
        ...

    @property
    def backoff_base_seconds(self) -> float:
        """The first retry's longest wait; each further one doubles it."""
        ...

    @property
    def backoff_max_seconds(self) -> float:
        """The longest wait between attempts."""
        ...

    @property
    def lease_seconds(self) -> float | None:
        """How long a claimed row stays reserved; None: see ``lease``."""
        ...

    @property
    def digest_hour(self) -> int:
        """The hour (WITA) from which the daily digests go out."""
        ...


class Recipient(Protocol):
    """Where one inbox's notifications go."""

    @property
    def code(self) -> str:
        """The inbox code."""
        ...

    @property
    def name(self) -> str:
        """The agency's name, for the greeting."""
        ...

    @property
    def email(self) -> str | None:
        """Its e-mail address, if it gets e-mail."""
        ...

    @property
    def webhook_url(self) -> str | None:
        """Its webhook, if it gets webhooks."""
        ...

    @property
    def webhook_secret(self) -> str | None:
        """The webhook's HMAC secret (from the environment); None refuses to send."""
        ...

    @property
    def digest(self) -> bool:
        """One e-mail a day (``notify.digest``) instead of one per complaint."""
        ...


@dataclass(frozen=True)
class Contact:
    """A further recipient of one inbox (escalation, head of agency) or the admins.

    Satisfies ``Recipient``; ``aduan.wiring.contacts`` builds them from the config.
    """

    code: str
    name: str
    email: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    #: contacts are never held for the daily digest
    digest: bool = False


def contact_key(recipient: str, agency_code: str | None) -> str:
    """How ``deliver_due``'s *contacts* mapping names a recipient of an inbox (or none)."""
    return f"{recipient}:{agency_code or ''}"


def email_in_digest(recipient: Recipient) -> bool:
    """Whether *recipient*'s e-mail rows wait for the daily digest (webhooks never do)."""
    return recipient.digest and bool(recipient.email)


def send_budget(*, smtp_timeout: float, webhook_timeout: float) -> float:
    """The longest one send is expected to take with these timeouts, in seconds."""
    # smtplib's timeout bounds each socket operation and one session makes several
    # (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA); requests' bounds connect
    # and each read.
    return max(6 * smtp_timeout, 3 * webhook_timeout)


def min_lease(*, smtp_timeout: float, webhook_timeout: float) -> float:
    """The shortest lease allowed: twice the send budget, so no send outlives its claim."""
    return 2 * send_budget(smtp_timeout=smtp_timeout, webhook_timeout=webhook_timeout)


def settings_budget(settings: DeliverySettings) -> float:
    """The send budget of *settings*' timeouts; none starts with less lease left."""
    return send_budget(
        smtp_timeout=settings.smtp.timeout_seconds,
        webhook_timeout=settings.webhook_timeout_seconds,
    )


def lease(settings: DeliverySettings) -> float:
    """Seconds a claimed row stays reserved: as configured, else 5 minutes or the minimum."""
    if settings.lease_seconds is not None:
        return settings.lease_seconds
    return max(DEFAULT_LEASE_SECONDS, 2 * settings_budget(settings))
