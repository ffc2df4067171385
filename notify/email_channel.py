"""Notification e-mails to agencies: plain text in Indonesian, sent with smtplib.

The messages are ``text/plain`` only: what citizens wrote is quoted as data, indented
line by line, and never interpreted as HTML by a mail client. Every message carries a
stable ``Message-ID`` and ``X-Aduan-Event`` header built from the event id, so a
receiving system can drop the duplicate an at-least-once retry may produce.
"""

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from models.bidi import strip_bidi_controls
from models.exceptions import AduanError
from models.wita import format_wita
from notify.settings import SmtpSecurity

#: e-mail titles of outbox event types
EVENT_TITLES = {
    "complaint.filed": "Pengaduan baru",
    "complaint.reassigned": "Pengaduan dialihkan",
    "complaint.escalated": "Eskalasi: batas waktu terlewati",
    "complaint.reopened": "Pengaduan dibuka kembali",
    "overdue.digest": "Ringkasan pengaduan terlambat",
    "source.alert": "Peringatan sumber data",
    "source.recovered": "Sumber data pulih",
    "incident.opened": "Insiden: lonjakan laporan",
}

_FOOTER = (
    "Pesan ini dikirim otomatis oleh aduan, sistem pengaduan media sosial Kota Denpasar.\n"
    "Teks laporan dikutip apa adanya dari media sosial; periksa tautan sebelum membukanya."
)


class EmailFailed(AduanError):
    """An SMTP attempt failed; *permanent* says whether retrying can help.

    Raised by ``send_email``. Permanent: the server refused this recipient or this
    message with a 5xx. Temporary: 4xx answers, connection and TLS errors, and
    configuration-wide refusals (authentication, sender), which would refuse every
    message until an operator fixes them; the worker retries those with backoff.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _one_line(text: str, limit: int) -> str:
    """*text* on one line (no header injection), shortened to *limit* characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _quoted(text: str) -> list[str]:
    """Citizen text indented line by line, so no line of it can pose as part of the form."""
    return ["    " + line for line in (text.splitlines() or [""])]


def _location(loc: Mapping[str, Any] | None) -> str:
    if not loc:
        return "-"
    parts = []
    if loc.get("street"):
        parts.append(str(loc["street"]))
    if loc.get("desa"):
        parts.append(f"Desa/Kel. {loc['desa']}")
    if loc.get("kecamatan"):
        parts.append(f"Kec. {loc['kecamatan']}")
    text = ", ".join(parts) or "-"
    if loc.get("inside_city") is False:
        text += " (di luar Kota Denpasar)"
    if loc.get("span"):
        text += f' (dari teks: "{_one_line(str(loc["span"]), 120)}")'
    return text


def _safe_link(url: str | None) -> str | None:
    """Only plain http(s) links are printed; anything else is left out."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return _one_line(url, 2000)
    return None


def _number(complaint: Mapping[str, Any]) -> str:
    """The public number and the inbox's id: ``DPS-26-00123 (#57)``."""
    number = complaint.get("public_number")
    return f"{number} (#{complaint['id']})" if number else f"#{complaint['id']}"


def describe_complaint(complaint: Mapping[str, Any]) -> list[str]:
    """The lines describing one complaint and every mention reporting it."""
    lines = [
        f"Nomor pengaduan : {_number(complaint)}",
        f"Kategori        : {complaint['category']}",
        f"Kotak masuk     : {complaint['inbox']}",
        f"Status          : {complaint['status']}",
        f"Dibuat          : {format_wita(complaint.get('created_at'))}",
        f"Lokasi          : {_location(complaint.get('location'))}",
    ]
    if complaint.get("respond_by"):
        lines.append(f"Batas respon awal   : {format_wita(complaint['respond_by'])}")
    if complaint.get("follow_up_by"):
        lines.append(f"Batas tindak lanjut : {format_wita(complaint['follow_up_by'])}")
    mentions = complaint.get("mentions") or []
    count = f"{len(mentions)} laporan, {complaint.get('reporters', 1)} pelapor"
    lines += ["", f"Laporan warga ({count}):"]
    for n, m in enumerate(mentions, start=1):
        who = f"@{m['author_handle']}" if m.get("author_handle") else "(tanpa nama akun)"
        if m.get("author_name"):
            who += f" ({_one_line(str(m['author_name']), 100)})"
        lines.append("")
        lines.append(f"[{n}] {m.get('platform', '')} - {who} - {format_wita(m.get('created_at'))}")
        link = _safe_link(m.get("url"))
        if link:
            lines.append(f"Tautan: {link}")
        lines.extend(_quoted(str(m.get("text", ""))))
    return lines


def _message(*, subject: str, body: str, to: str, from_address: str, event_id: str) -> EmailMessage:
    # Citizens' text may carry bidi controls (an unclosed U+202E reverses the rest of a
    # line in the mail client); the message is plain text, so they are removed.
    subject, body = strip_bidi_controls(subject), strip_bidi_controls(body)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = from_address
    msg["To"] = to
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = from_address.rpartition("@")[2].strip("<> ") or "aduan.local"
    msg["Message-ID"] = f"<{event_id}@{domain}>"
    msg["X-Aduan-Event"] = event_id
    # RFC 3834: out-of-office robots should not answer a notification.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body, subtype="plain", charset="utf-8")
    return msg


def complaint_email(
    event: Mapping[str, Any], *, to: str, from_address: str, agency_name: str
) -> EmailMessage:
    """The e-mail announcing one complaint event (filed, reassigned) to an agency."""
    complaint = event["complaint"]
    notice = event.get("notice") or {}
    title = str(notice.get("title") or EVENT_TITLES.get(event["event"], "Pemberitahuan pengaduan"))
    first = (complaint.get("mentions") or [{}])[0].get("text", "")
    number = complaint.get("public_number") or f"#{complaint['id']}"
    subject = f"[Aduan {number}] {title} {complaint['category']}"
    if first:
        subject += f": {_one_line(str(first), 60)}"
    body = "\n".join(
        [
            f"{title} untuk {agency_name}.",
            "",
            *[str(line) for line in notice.get("lines") or []],
            *([""] if notice.get("lines") else []),
            *describe_complaint(complaint),
            "",
            "-- ",
            _FOOTER,
            f"ID peristiwa: {event['event_id']}",
            "",
        ]
    )
    return _message(
        subject=subject, body=body, to=to, from_address=from_address, event_id=event["event_id"]
    )


def notice_email(
    event: Mapping[str, Any], *, to: str, from_address: str, agency_name: str
) -> EmailMessage:
    """The e-mail of an event that announces no single complaint: an alert, an incident.

    The title and lines were written (in Indonesian, citizens' text masked) when the
    outbox row was; they are printed as they are.
    """
    notice = event.get("notice") or {}
    title = str(notice.get("title") or EVENT_TITLES.get(event["event"], "Pemberitahuan"))
    lines = [str(line) for line in notice.get("lines") or []]
    body = "\n".join(
        [
            f"{title} untuk {agency_name}.",
            "",
            *lines,
            "",
            "-- ",
            _FOOTER,
            f"ID peristiwa: {event['event_id']}",
            "",
        ]
    )
    return _message(
        subject=_one_line(f"[Aduan] {title}", 200),
        body=body,
        to=to,
        from_address=from_address,
        event_id=event["event_id"],
    )


def digest_email(
    events: Sequence[Mapping[str, Any]],
    *,
    to: str,
    from_address: str,
    agency_name: str,
    digest_id: str,
    day: date,
) -> EmailMessage:
    """One e-mail listing several complaint events: an agency's daily digest."""
    when = day.strftime("%d-%m-%Y")
    subject = f"[Aduan] Ringkasan harian {when}: {len(events)} pengaduan untuk {agency_name}"
    lines = [
        f"Ringkasan harian pengaduan untuk {agency_name}, {when}.",
        f"Jumlah pemberitahuan: {len(events)}",
    ]
    for n, event in enumerate(events, start=1):
        title = EVENT_TITLES.get(event["event"], "Pemberitahuan pengaduan")
        lines += ["", "=" * 60, f"{n}. {title} (ID peristiwa: {event['event_id']})", ""]
        lines += describe_complaint(event["complaint"])
    lines += ["", "-- ", _FOOTER, f"ID ringkasan: {digest_id}", ""]
    return _message(
        subject=_one_line(subject, 200),
        body="\n".join(lines),
        to=to,
        from_address=from_address,
        event_id=digest_id,
    )


def send_email(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    security: SmtpSecurity,
    username: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Send *message* to its To address through the SMTP server; raises EmailFailed."""
    context = ssl.create_default_context()
    to = parseaddr(str(message["To"]))[1]
    try:
        client: smtplib.SMTP
        if security == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if security == "starttls":
                client.starttls(context=context)
            if username:
                client.login(username, password or "")
            client.send_message(message, to_addrs=[to])
    except smtplib.SMTPRecipientsRefused as err:
        code, reply = next(iter(err.recipients.values()), (0, b""))
        raise EmailFailed(
            f"SMTP server {host}:{port} refused recipient {to}: {code} {_text(reply)}",
            permanent=code >= 500,
        ) from None
    except smtplib.SMTPDataError as err:
        raise EmailFailed(
            f"SMTP server {host}:{port} refused the message: {err.smtp_code} "
            f"{_text(err.smtp_error)}",
            permanent=err.smtp_code >= 500,
        ) from None
    except smtplib.SMTPAuthenticationError as err:
        raise EmailFailed(
            f"SMTP server {host}:{port} refused the login of {username!r}: {err.smtp_code} "
            f"{_text(err.smtp_error)} (check the SMTP credentials)",
            permanent=False,
        ) from None
    except smtplib.SMTPResponseException as err:
        raise EmailFailed(
            f"SMTP server {host}:{port} answered {err.smtp_code} {_text(err.smtp_error)}",
            permanent=False,
        ) from None
    except smtplib.SMTPNotSupportedError as err:
        raise EmailFailed(
            f"SMTP server {host}:{port} does not support {security}: {err}", permanent=False
        ) from None
    except (smtplib.SMTPException, OSError) as err:
        # Connection refused, timeouts, TLS failures, a server hanging up: all may pass.
        kind = "timed out" if isinstance(err, TimeoutError) else f"failed: {err}"
        raise EmailFailed(f"SMTP server {host}:{port} {kind}", permanent=False) from None


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply
    return _one_line(text, 300)
