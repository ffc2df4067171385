"""The API's wire formats: pydantic schemas of /api/v1 and /open311/v2, and times.

Every time the APIs return is ISO 8601 in UTC (``2026-11-20T01:00:00Z``). Times they
accept are ISO 8601 too: a bare date (``2026-11-20``) means that calendar day in
Denpasar (WITA, UTC+8), a date-time without an offset is taken as UTC.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlmodel import SQLModel
from sqlmodel.main import SQLModelConfig

from models.complaint_search import MAX_PAGE_SIZE, ComplaintFilter, Sort
from models.notes import MAX_NOTE_LENGTH
from models.tables import ComplaintBase, StatusChangeBase
from models.types import MAX_ID
from models.vocab import CATEGORIES, ComplaintStatus, Platform
from models.wita import WITA


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store or compare NUL; nothing a person types contains it.
    return value.replace("\x00", "")


#: a complaint id in a path: 422 when out of range rather than a database error
ComplaintId = Annotated[int, Path(ge=1, le=MAX_ID, description="Complaint id")]
#: an aware datetime, always given out in UTC ("Z")
UtcTime = Annotated[datetime, AfterValidator(_utc)]
#: text from a client, without NUL characters
CleanText = Annotated[str, AfterValidator(_no_nul)]


def parse_when(value: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime; ValueError if it is not one.

    A date is a WITA calendar day: its first instant, or with *end_of_day* the first
    instant of the next day (so "until 2026-11-20" includes that whole day).
    """
    text = value.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime.combine(day + timedelta(days=int(end_of_day)), time(), tzinfo=WITA)
    else:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    if not 2000 <= moment.year <= 2100:
        raise ValueError(f"{value!r} is outside the years 2000-2100")
    return moment.astimezone(UTC)


# --- /api/v1 responses ---------------------------------------------------------------


class ErrorOut(BaseModel):
    """An error: what went wrong, in words."""

    detail: str = Field(description="Pesan kesalahan / what went wrong")


class CategoryOut(BaseModel):
    """A complaint category (a classifier label)."""

    code: str = Field(description="Kode kategori, e.g. PDAM")
    name: str = Field(description="Nama kategori dalam bahasa Indonesia")
    description: str = Field(description="Apa yang termasuk kategori ini")
    inbox: str | None = Field(
        description="Inbox the category is routed to; null when not filed or no policy is loaded"
    )
    is_complaint: bool = Field(description="False only for NOT_COMPLAINT, which is never filed")


#: Responses are built from stored rows with ``model_validate(row, update={...})``: read
#: by attribute, and every field is present in the output (so the OpenAPI schema marks
#: them required even where the row has a default). Class docstrings are the schema's
#: descriptions, so they speak to API clients.
PUBLIC = SQLModelConfig(from_attributes=True, json_schema_serialization_defaults_required=True)


class InboxOut(SQLModel):
    """An inbox (a city agency or an external body) and how many complaints it holds."""

    model_config = PUBLIC

    code: str = Field(description="Kode inbox")
    name: str = Field(description="Nama instansi")
    external: bool = Field(description="True for bodies outside the city government (PLN, ...)")
    counts: dict[str, int] = Field(description="Complaints per status")
    total: int = Field(description="All complaints in the inbox")
    overdue: int = Field(description="Open complaints past the deadline of their next step")


class ResponseTimeOut(SQLModel):
    """Response times of one inbox in one month (or year); hours count working days only."""

    model_config = PUBLIC

    inbox: str = Field(description="Kode inbox")
    month: str | None = Field(description="YYYY-MM (WITA); null for the whole year")
    received: int = Field(description="Complaints received (refused ones left out)")
    response_median_hours: float | None = Field(description="Median hours to initial response")
    response_p90_hours: float | None = Field(description="90th percentile, initial response")
    response_on_time_pct: float | None = Field(
        description="% of decided initial responses given by the deadline"
    )
    follow_up_median_hours: float | None = Field(description="Median hours to field follow-up")
    follow_up_p90_hours: float | None = Field(description="90th percentile, field follow-up")
    follow_up_on_time_pct: float | None = Field(
        description="% of decided follow-ups done by the deadline"
    )
    reopened: int = Field(description="Reopenings (selesai -> ditindaklanjuti)")


class LocationOut(SQLModel):
    """Where the complaint is, as far as its text says."""

    model_config = PUBLIC

    kecamatan: str | None = Field(description="Kecamatan (district)")
    desa: str | None = Field(description="Desa or kelurahan")
    street: str | None = Field(description="Street named in the text")
    span: str | None = Field(
        validation_alias="location_span",
        description="The words of the text that named the place",
    )
    inside_city: bool | None = Field(
        description="False when the text names a place outside Denpasar; null when unknown"
    )


class DeadlinesOut(SQLModel):
    """Service deadlines (working days) and when each step was reached."""

    model_config = PUBLIC

    respond_by: UtcTime | None = Field(description="Initial response due (UTC)")
    follow_up_by: UtcTime | None = Field(description="Field follow-up due (UTC)")
    responded_at: UtcTime | None = Field(description="First response (UTC)")
    followed_up_at: UtcTime | None = Field(description="First follow-up (UTC)")
    resolved_at: UtcTime | None = Field(description="Resolved (UTC); cleared when reopened")
    overdue_step: ComplaintStatus | None = Field(
        description="The step whose deadline was missed (respon_awal or ditindaklanjuti)"
    )


class ComplaintPublic(ComplaintBase):
    """A stored complaint as every API response shows it: ``ComplaintBase`` with its id."""

    model_config = PUBLIC

    id: int = Field(description="Complaint id")
    created_at: UtcTime = Field(description="Filed (UTC)")
    updated_at: UtcTime = Field(description="Last change (UTC)")


class ComplaintSummary(ComplaintPublic):
    """A complaint as the inbox list shows it."""

    platform: str | None = Field(description="Platform of the first report")
    text: str | None = Field(
        description="Text of the first report (a citizen's post); personal data masked "
        "unless original=true"
    )
    kecamatan: str | None = Field(description="Kecamatan, when known")
    desa: str | None = Field(description="Desa or kelurahan, when known")
    respond_by: UtcTime | None = Field(description="Initial response due (UTC)")
    follow_up_by: UtcTime | None = Field(description="Field follow-up due (UTC)")
    overdue_step: ComplaintStatus | None = Field(description="The step whose deadline was missed")


class ComplaintPageOut(BaseModel):
    """One page of a complaint search."""

    items: list[ComplaintSummary] = Field(description="The complaints on this page")
    total: int = Field(description="Complaints matching the filters, on all pages")
    page: int = Field(description="This page's number, from 1")
    page_size: int = Field(description="Complaints per page")
    pages: int = Field(description="Number of pages")


class MentionOut(SQLModel):
    """A social-media post reporting the complaint."""

    model_config = PUBLIC

    id: int = Field(description="Mention id")
    platform: str = Field(description="twitter, facebook or instagram")
    author_handle: str = Field(description="The author's handle on the platform")
    author_name: str = Field(description="The author's display name")
    text: str = Field(
        description="The post's text (untrusted); personal data masked unless original=true"
    )
    url: str | None = Field(description="Link to the post; only http(s) links are given")
    created_at: UtcTime = Field(description="Posted (UTC)")
    link_reason: str = Field(description="Why it belongs here: origin, reply, duplicate, manual")


class HistoryEntryOut(StatusChangeBase):
    """One history entry: a status change, or what became of a reply to the citizen."""

    model_config = PUBLIC

    at: UtcTime = Field(description="When (UTC)")


class NoteOut(SQLModel):
    """An internal note by agency or Kominfo staff."""

    model_config = PUBLIC

    id: int = Field(description="Note id")
    at: UtcTime = Field(description="Written (UTC)")
    author: str = Field(description="User name of the writer")
    text: str = Field(description="The note")


class ComplaintDetail(ComplaintPublic):
    """A complaint with everything an inbox user may see of it."""

    inbox_name: str | None = Field(description="Name of the inbox's agency")
    assignee: str | None = Field(description="Username of its petugas, or null")
    next_statuses: list[ComplaintStatus] = Field(
        description="Statuses this API can move it to now (bukan_wewenang needs a reason)"
    )
    confidence: float | None = Field(description="Classifier confidence; null for rules/triage")
    routed_by: str = Field(description="What filed it: the model, a rule, or triage")
    route_reason: str | None = Field(description="Why this inbox, in words")
    terms: list[str] | None = Field(description="The words that decided the category")
    location: LocationOut
    deadlines: DeadlinesOut
    mentions: list[MentionOut] = Field(description="The posts reporting it, oldest first")
    history: list[HistoryEntryOut] = Field(
        description="Status changes and reply entries (kind balasan), oldest first"
    )
    notes: list[NoteOut] = Field(description="Internal notes, oldest first")


class StatusResult(SQLModel):
    """A complaint's status after a change."""

    model_config = PUBLIC

    id: int = Field(description="Complaint id")
    status: ComplaintStatus = Field(description="The new status")
    inbox: str = Field(description="Inbox now holding it (bukan_wewenang: the triage inbox)")
    updated_at: UtcTime = Field(description="When it changed (UTC)")


# --- /api/v1 requests ----------------------------------------------------------------


class StatusChangeIn(BaseModel):
    """A status change. ``bukan_wewenang`` needs ``reason`` and ``suggested_category``."""

    model_config = ConfigDict(extra="forbid")

    status: ComplaintStatus = Field(description="The new status")
    note: CleanText = Field(
        default="",
        max_length=MAX_NOTE_LENGTH,
        description="Note for the history; required when reopening (selesai → ditindaklanjuti)",
    )
    reason: CleanText | None = Field(
        default=None,
        max_length=MAX_NOTE_LENGTH,
        description="bukan_wewenang only: why it is not this agency's authority",
    )
    suggested_category: str | None = Field(
        default=None, description="bukan_wewenang only: the category it belongs to"
    )

    @field_validator("suggested_category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; known: {', '.join(CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _refusal_needs_reason(self) -> "StatusChangeIn":
        refusing = self.status == ComplaintStatus.BUKAN_WEWENANG
        if refusing and (not (self.reason or "").strip() or not self.suggested_category):
            raise ValueError("bukan_wewenang needs a reason and a suggested_category")
        if not refusing and (self.reason is not None or self.suggested_category is not None):
            raise ValueError("reason and suggested_category are only for bukan_wewenang")
        return self


class AssigneeIn(BaseModel):
    """Who works a complaint: an agency user of its inbox, or null to unassign."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    assignee: str | None = Field(
        max_length=100, description="Username of an active agency user of the complaint's inbox"
    )


class BulkIn(BaseModel):
    """One action for several complaints: all of them change, or none."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        description="Complaint ids (at most 100 different ones)"
    )
    action: str = Field(description="status | petugas | catatan")
    status: str = Field(default="", description="action=status: the status to move to")
    note: str = Field(
        default="",
        max_length=MAX_NOTE_LENGTH,
        description="action=status: the note of every change; action=catatan: the note",
    )
    assignee: str | None = Field(
        default=None, max_length=100, description="action=petugas: username, or null to unassign"
    )


class BulkRefusal(BaseModel):
    """A complaint a bulk action could not change, and why (Indonesian)."""

    id: int = Field(description="Complaint id")
    reason: str = Field(description="Why it was refused")


class BulkOut(BaseModel):
    """The answer to a bulk action: what changed, or (409) what was refused."""

    detail: str = Field(description="Summary in Indonesian")
    changed: list[int] = Field(description="Complaints changed (empty when refused)")
    refused: list[BulkRefusal] = Field(description="Complaints refused; nothing changed then")


class AssigneeResult(BaseModel):
    """A complaint's petugas after a change."""

    id: int = Field(description="Complaint id")
    inbox: str = Field(description="Inbox holding it")
    assignee: str | None = Field(description="Username of its petugas, or null")
    updated_at: UtcTime = Field(description="Last change (UTC)")


class NoteIn(BaseModel):
    """A new internal note."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: CleanText = Field(min_length=1, max_length=MAX_NOTE_LENGTH, description="The note")


class ComplaintQuery(BaseModel):
    """The filters of ``GET /api/v1/complaints``: the inbox page's, as query parameters."""

    model_config = ConfigDict(extra="forbid")

    inbox: CleanText | None = Field(
        default=None,
        max_length=40,
        description="Inbox code. Agency tokens see only their own inbox (another one: 404)",
    )
    status: ComplaintStatus | None = Field(default=None, description="Lifecycle status")
    category: str | None = Field(
        default=None, description="Category code: " + ", ".join(CATEGORIES)
    )
    kecamatan: CleanText | None = Field(default=None, max_length=100, description="Kecamatan")
    platform: Platform | None = Field(default=None, description="Platform of the first report")
    since: datetime | None = Field(
        default=None, description="Filed at or after: a date (a WITA day) or an ISO date-time"
    )
    until: datetime | None = Field(
        default=None, description="Filed before: a date (that WITA day included) or a date-time"
    )
    overdue: bool = Field(default=False, description="Only complaints past a deadline")
    q: CleanText | None = Field(
        default=None, max_length=200, description="Words in any report's text (no wildcards)"
    )
    sort: Sort = Field(default="newest", description="Order of the results")
    page: int = Field(default=1, ge=1, le=100_000, description="Page number, from 1")
    page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE, description="Complaints per page")
    original: bool = Field(
        default=False,
        description="Texts as written, personal data unmasked: only for roles in "
        "privacy.original_text_roles; recorded in the access log",
    )

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; known: {', '.join(CATEGORIES)}")
        return value

    @field_validator("since", "until", mode="before")
    @classmethod
    def _when(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            return parse_when(value, end_of_day=info.field_name == "until")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "ComplaintQuery":
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("since must be before until")
        return self

    def to_filter(self, inbox: str | None) -> ComplaintFilter:
        """The store filter for these parameters, confined to *inbox*."""
        return ComplaintFilter(
            inbox=inbox,
            status=self.status,
            category=self.category,
            kecamatan=(self.kecamatan or "").strip() or None,
            platform=self.platform,
            since=self.since,
            until=self.until,
            overdue=self.overdue,
            text=(self.q or "").strip() or None,
            sort=self.sort,
            page=self.page,
            page_size=self.page_size,
        )


# --- /open311/v2 ---------------------------------------------------------------------


class GeoReportError(BaseModel):
    """A GeoReport v2 error; responses carry a list of these."""

    code: int = Field(description="HTTP status code")
    description: str = Field(description="What went wrong")


class Service(BaseModel):
    """A GeoReport v2 service: one complaint category."""

    service_code: str = Field(description="Category code")
    service_name: str = Field(description="Category name in Indonesian")
    description: str = Field(description="What the category covers and who handles it")
    metadata: bool = Field(default=False, description="Always false: no extra attributes")
    type: str = Field(default="realtime", description="Always realtime")
    keywords: str = Field(description="Comma-separated keywords")
    group: str = Field(description="Broader group of services")


class ServiceRequest(BaseModel):
    """A GeoReport v2 service request: one complaint, without who reported it."""

    service_request_id: str = Field(description="Complaint id")
    public_number: str = Field(
        description="The public complaint number citizens quote (DPS-26-00123); "
        "requests/{public_number}.json finds the same request"
    )
    status: str = Field(description="open or closed (closed = selesai)")
    status_notes: str | None = Field(description="The note of the latest status change")
    service_name: str = Field(description="Category name in Indonesian")
    service_code: str = Field(description="Category code")
    description: str | None = Field(description="Text of the first report (a citizen's post)")
    agency_responsible: str | None = Field(description="The agency whose inbox holds it")
    service_notice: str | None = Field(default=None, description="Not used")
    requested_datetime: UtcTime = Field(description="Filed (UTC)")
    updated_datetime: UtcTime = Field(description="Last change (UTC)")
    expected_datetime: UtcTime | None = Field(
        description="Field follow-up due, until followed up (UTC)"
    )
    address: str | None = Field(description="Street, desa and kecamatan as far as known")
    address_id: str | None = Field(default=None, description="Not used")
    zipcode: str | None = Field(default=None, description="Not used")
    lat: float | None = Field(default=None, description="Not known: always null")
    long: float | None = Field(default=None, description="Not known: always null")
    media_url: str | None = Field(default=None, description="Not given (links name authors)")
