"""Replies to citizens: what each event's reply says, whom it answers, when it waits.

Drafting runs in the transaction of the event it announces (filing, a further report
joining, a status change, triage giving a refused complaint to the right agency): the
reply row and, unless the source is in review mode, its outbox row commit with the
event or not at all. ``notify.reply_delivery`` posts them.

What a reply may say: the templates in config (sandboxed Jinja, variables ``nomor``,
``instansi``, ``status``, ``tautan``, ``catatan``); the one variable that may carry
someone's personal data, the agency's note (``catatan``), is masked
(``models.masking.mask_personal``), and so is a text the team edits before approving.
A confidential complaint's reply is the ``rahasia`` template, which has only the
number. A reply never quotes a post; the agency's status note (``catatan``) is offered
only to drafts a person approves.

Whom it answers: each reporter's first post (one reply per person and event, and per
round of the event: a complaint reopened and worked again is answered again), never
the city's own accounts, never one of our replies, never a deleted or hidden post
(a skipped row records why).
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlmodel import Session

from models.complaints import mentions_of
from models.masking import mask_personal
from models.replies import acknowledged, insert_reply, own_reply_ids
from models.reply_history import event_status, occurrence
from models.tables import Complaint, Mention
from models.vocab import STATUS_LABELS, ReplyChannel, ReplyEvent, ReplyStatus

log = logging.getLogger(__name__)

ReplyMode = Literal["auto", "review"]

#: the template a confidential complaint's replies use, whatever the event
CONFIDENTIAL_TEMPLATE = "rahasia"

#: the templates when config gives none (Indonesian; config may change every one)
DEFAULT_TEMPLATES: dict[str, str] = {
    ReplyEvent.DITERIMA: (
        "Terima kasih, laporan Anda kami terima dengan nomor {{ nomor }} dan diteruskan ke "
        "{{ instansi }}. Pantau perkembangannya di {{ tautan }}"
    ),
    ReplyEvent.RESPON_AWAL: (
        "Laporan {{ nomor }} sudah ditanggapi oleh {{ instansi }}.{% if catatan %} "
        "{{ catatan }}{% endif %} Pantau di {{ tautan }}"
    ),
    ReplyEvent.DITINDAKLANJUTI: (
        "Laporan {{ nomor }} sedang ditindaklanjuti di lapangan oleh {{ instansi }}."
        "{% if catatan %} {{ catatan }}{% endif %} Pantau di {{ tautan }}"
    ),
    ReplyEvent.SELESAI: (
        "Laporan {{ nomor }} sudah selesai ditangani oleh {{ instansi }}. Terima kasih atas "
        "laporan Anda.{% if catatan %} {{ catatan }}{% endif %} Rincian: {{ tautan }}"
    ),
    ReplyEvent.BUKAN_WEWENANG: (
        "Laporan {{ nomor }} kami teruskan ke {{ instansi }} yang berwenang menanganinya. "
        "Pantau di {{ tautan }}"
    ),
    CONFIDENTIAL_TEMPLATE: "Laporan Anda tercatat dengan nomor {{ nomor }}.",
}

#: the variables a template may use (anything else is refused when config is read)
TEMPLATE_VARIABLES = ("nomor", "instansi", "status", "tautan", "catatan")

#: longest reply per channel (X: 280 characters; Graph comments allow far more)
MAX_LENGTH: dict[str, int] = {ReplyChannel.X: 280}
_DEFAULT_MAX_LENGTH = 2000

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check_template(name: str, text: str) -> None:
    """Raise ValueError naming *name* when *text* does not render with the known variables."""
    try:
        _ENV.from_string(text).render(**{v: "x" for v in TEMPLATE_VARIABLES})
    except TemplateError as err:
        raise ValueError(
            f"template {name}: {err} (variables: {', '.join(TEMPLATE_VARIABLES)})"
        ) from None
    if name != CONFIDENTIAL_TEMPLATE and "nomor" not in text:
        raise ValueError(f"template {name}: must show {{{{ nomor }}}}, the complaint number")


@dataclass(frozen=True)
class ReplyAccount:
    """One source's account that answers its mentions."""

    source: str
    channel: ReplyChannel
    mode: ReplyMode = "review"
    max_per_hour: int = 30
    #: the account's own handles/usernames, lower case without @: never answered
    own_handles: frozenset[str] = frozenset()
    #: secret name -> the environment variable holding it
    secrets: Mapping[str, str] = field(default_factory=dict)
    #: page_id, user_id, ig_user_id, api_version, log_path, ...
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyPolicy:
    """Which sources answer, how, and with what words."""

    accounts: Mapping[str, ReplyAccount]
    tracking_url: str
    templates: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    #: inbox code -> agency name
    agency_names: Mapping[str, str] = field(default_factory=dict)


def render(
    policy: ReplyPolicy,
    *,
    complaint: Complaint,
    event: str,
    channel: str,
    note: str = "",
) -> str:
    """The masked text of *event*'s reply for *complaint*."""
    name = CONFIDENTIAL_TEMPLATE if complaint.confidential else event
    template = policy.templates.get(name) or DEFAULT_TEMPLATES[name]
    values = {
        "nomor": complaint.public_number,
        "instansi": policy.agency_names.get(complaint.inbox, complaint.inbox),
        "status": STATUS_LABELS.get(complaint.status, str(complaint.status)),
        "tautan": policy.tracking_url + complaint.public_number,
        # The note is staff's free text and may quote a citizen: masked. The rest is the
        # city's own words (config) and aduan's (number, link), left as written: a
        # template may give the city's hotline number, which masking would hide.
        "catatan": "" if complaint.confidential or not note.strip() else mask_personal(note),
    }
    text = " ".join(_compiled(template).render(**values).split())
    return clip(text, MAX_LENGTH.get(channel, _DEFAULT_MAX_LENGTH))


@lru_cache(maxsize=64)
def _compiled(template: str) -> Template:
    """A template compiled once (compiling costs milliseconds, rendering microseconds)."""
    return _ENV.from_string(template)


def clip(text: str, limit: int) -> str:
    """*text* cut to *limit* characters at a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def draft_replies(
    *,
    session: Session,
    policy: ReplyPolicy | None,
    complaint: Complaint,
    event: str,
    mentions: Sequence[Mention] | None = None,
    note: str = "",
    new_complaint: bool = False,
    routed: bool = False,
) -> list[int]:
    """Draft *event*'s replies in the session's transaction; the ids of new rows.

    *mentions*: the posts to answer (a new report's); None answers each reporter's
    first post of the complaint. The note is offered only to reviewed drafts.
    *new_complaint*: filed in this transaction, so nobody was acknowledged yet; *routed*:
    the mentions came through routing, which keeps our own replies out. Each saves a
    query per filing.
    """
    if policy is None or not policy.accounts:
        return []
    assert complaint.id is not None
    if mentions is None:
        session.flush()
        mentions = _first_per_reporter(
            mentions_of(session=session, complaint_ids=[complaint.id])[complaint.id]
        )
    answered = [m for m in mentions if m.source in policy.accounts]
    if not answered:
        return []
    if event == ReplyEvent.DITERIMA and not new_complaint:
        # Every reporter is acknowledged once, however many posts they add.
        done = acknowledged(session=session, complaint_id=complaint.id)
        answered = [m for m in answered if _who(m) not in done]
        if not answered:
            return []
    ours = (
        set()
        if routed
        else own_reply_ids(session=session, platform_ids=[m.platform_id for m in answered])
    )
    if event_status(event) is not None:
        session.flush()  # the status change this reply announces counts in its round
    conn = session.connection()
    round_no = occurrence(conn, complaint_id=complaint.id, event=event)
    new: list[int] = []
    for mention in answered:
        account = policy.accounts[mention.source]
        status, reason = _verdict(account, mention, ours)
        text = ""
        if status != ReplyStatus.SKIPPED:
            reviewed = account.mode == "review"
            text = render(
                policy,
                complaint=complaint,
                event=event,
                channel=account.channel,
                note=note if reviewed else "",
            )
        reply_id = insert_reply(
            conn,
            complaint=complaint,
            mention=mention,
            event=event,
            channel=account.channel,
            status=status,
            text=text,
            reason=reason,
            occurrence=round_no,
        )
        if reply_id is not None:
            new.append(reply_id)
    return new


def acknowledge(
    *,
    session: Session,
    policy: ReplyPolicy | None,
    complaint: Complaint,
    mention: Mention,
    new_complaint: bool = False,
    routed: bool = False,
) -> None:
    """Draft the acknowledgement (number and tracking link) of a new or joining report."""
    if policy is None or mention.source not in policy.accounts:
        return
    draft_replies(
        session=session,
        policy=policy,
        complaint=complaint,
        event=ReplyEvent.DITERIMA,
        mentions=[mention],
        new_complaint=new_complaint,
        routed=routed,
    )


def _who(m: Mention) -> str:
    return f"{m.platform}:{m.author_handle.lower()}"


def _first_per_reporter(mentions: Sequence[Mention]) -> list[Mention]:
    seen: set[str] = set()
    out = []
    for m in mentions:  # oldest first
        who = _who(m)
        if who not in seen:
            seen.add(who)
            out.append(m)
    return out


def _verdict(
    account: ReplyAccount, mention: Mention, ours: set[str]
) -> tuple[ReplyStatus, str | None]:
    handle = mention.author_handle.lower().lstrip("@")
    if handle and handle in account.own_handles:
        return ReplyStatus.SKIPPED, "kiriman akun kota sendiri: tidak dibalas"
    if mention.platform_id in ours:
        return ReplyStatus.SKIPPED, "kiriman ini balasan kita sendiri: tidak dibalas"
    if mention.text_purged_at is not None or mention.author_purged_at is not None:
        return ReplyStatus.SKIPPED, "kiriman atau identitas penulis sudah dihapus"
    raw = mention.raw or {}
    if raw.get("is_hidden") or raw.get("hidden"):
        return ReplyStatus.SKIPPED, "kiriman disembunyikan di platform"
    if account.channel == ReplyChannel.MANUAL:
        return ReplyStatus.MANUAL, "sumber ini tidak bisa membalas lewat API: balas manual"
    if account.mode == "review":
        return ReplyStatus.DRAFT, None
    return ReplyStatus.QUEUED, None
