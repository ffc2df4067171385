"""A real SMTP server on loopback for tests (aiosmtpd), recording what it receives."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


class Mailbox:
    """An aiosmtpd handler that records messages and can answer with canned refusals."""

    def __init__(self) -> None:
        self.port = 0
        self.reset()

    def reset(self) -> None:
        self.messages: list[EmailMessage] = []
        self.rcpt_replies: list[str] = []
        self.data_replies: list[str] = []

    # aiosmtpd calls hooks by these names.
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"
