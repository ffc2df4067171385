"""The tracking store's tables.

A mention is stored raw and whole first; classification, filing and delivery are
later steps recorded beside it, so each can be re-run from the store.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import ComplaintStatusType, JSONDoc, UTCDateTime, utcnow
from models.vocab import ComplaintStatus, HistoryKind, MentionState, OutboxStatus, SourceState

# Named constraints let later migrations alter them on SQLite (batch mode) and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class MentionBase(SQLModel):
    """What a collector knows about one post, comment or reply."""

    platform: str = Field(max_length=20)
    platform_id: str = Field(max_length=100)
    source: str = Field(max_length=100, description="name of the configured source")
    author_handle: str = Field(default="", max_length=200)
    author_name: str = Field(default="", max_length=400)
    text: str
    url: str = Field(default="", max_length=2000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    conversation_id: str | None = Field(default=None, max_length=100)
    reply_to_id: str | None = Field(default=None, max_length=100)


class MentionIn(MentionBase):
    """The normalised mention every collector returns, with the platform's raw payload."""

    raw: dict[str, Any] = Field(default_factory=dict)


class Mention(MentionBase, table=True):
    """A stored mention and the outcome of routing it."""

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id", name="uq_mention_platform_id"),
        Index("ix_mention_state_id", "state", "id"),
        Index("ix_mention_conversation", "platform", "conversation_id"),
        # The inbox's platform filter (origin mention's platform) as an index-only scan.
        Index("ix_mention_platform", "platform", "id"),
        # A source's newest mention, for the silent-source alert.
        Index("ix_mention_source_fetched", "source", "fetched_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fetched_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
    state: str = Field(default=MentionState.PENDING, max_length=20)
    category: str | None = Field(default=None, max_length=40)
    confidence: float | None = None
    abstained: bool | None = None
    model_id: str | None = Field(default=None, max_length=100)
    terms: list[str] | None = Field(default=None, sa_type=JSONDoc)
    #: why the model abstained (shown in triage), e.g. "teks tidak mirip data latih"
    abstain_reason: str | None = Field(default=None, max_length=200)
    routed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: when retention emptied ``raw`` (the platform's payload); None while it is kept
    raw_purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: when the text was removed (retention or an erasure request); it reads ERASED_TEXT
    text_purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: when the author's handle, name and the post's link were removed
    author_purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


#: Indexes that migrations create only where the database supports them, so they are
#: not declared on the models (model/migration comparisons skip them):
#: ix_mention_text_trgm, a pg_trgm trigram index for the inbox's text search
#: (ILIKE '%...%') over filed mentions, created by migrations 0005 and 0014 on
#: PostgreSQL when pg_trgm is available.
OPTIONAL_INDEXES = frozenset({"ix_mention_text_trgm"})


class Agency(SQLModel, table=True):
    """An inbox: a city agency or an external body that receives complaints."""

    __tablename__ = "agency"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=300)
    email: str | None = Field(default=None, max_length=300)
    webhook_url: str | None = Field(default=None, max_length=2000)
    external: bool = False


class ComplaintBase(SQLModel):
    """What every view of a complaint shares: the table and the API's summaries and details.

    ``inbox.api_models`` builds its responses from a stored complaint with
    ``model_validate``; the descriptions here are the API's documentation too.
    """

    id: int | None = Field(default=None, primary_key=True, description="Complaint id")
    #: what the citizen quotes (``models.public_number``); given when filed, never changed
    public_number: str = Field(
        default="",
        max_length=30,
        description="Public complaint number, e.g. DPS-26-00123: the city prefix, the "
        "year (WITA) and that year's sequence; never reused, kept across merges",
    )
    category: str = Field(max_length=40, description="Category code")
    inbox: str = Field(foreign_key="agency.code", max_length=40, description="Inbox code")
    status: ComplaintStatus = Field(
        default=ComplaintStatus.BARU, sa_type=ComplaintStatusType, description="Lifecycle status"
    )
    #: mentions reporting this problem (kept with the links, shown in the inbox)
    reporters: int = Field(default=1, description="Different people reporting it")
    #: reporting a neighbour, domestic violence, corruption: see models.confidential
    confidential: bool = Field(
        default=False,
        description="Confidential: only its inbox and Kominfo staff see it; never in "
        "Open311 or public pages, and its text is never sent in notifications",
    )


#: percent of a complaint table page that inserts fill on PostgreSQL (migration 0015)
COMPLAINT_FILLFACTOR = 80


class Complaint(ComplaintBase, table=True):
    """One problem filed to one inbox; reported by one or more mentions."""

    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_inbox_status_created", "inbox", "status", "created_at"),
        Index("ix_complaint_created", "created_at"),
        Index("ix_complaint_status_respond_by", "status", "respond_by"),
        Index("ix_complaint_kecamatan", "kecamatan"),
        # An inbox's list newest first, its deep pages and date ranges, without a sort.
        Index("ix_complaint_inbox_created", "inbox", "created_at"),
        # The kecamatan filter, its choices and its per-status counts, per inbox.
        Index("ix_complaint_inbox_kecamatan_status", "inbox", "kecamatan", "status"),
        # The platform filter (and its per-status counts) reads only this index for the
        # complaint side of the join to the origin mention.
        Index("ix_complaint_inbox_status_origin", "inbox", "status", "origin_mention_id"),
        UniqueConstraint("public_number", name="uq_complaint_public_number"),
        # "Pengaduan saya": a petugas's complaints by status.
        Index("ix_complaint_assignee_status", "assignee_id", "status"),
        # Room on each page for updates in place (migration 0015): reporters and update
        # times change after filing, and none of them is indexed.
        {"postgresql_with": {"fillfactor": COMPLAINT_FILLFACTOR}},
    )

    # Unique: filing the same mention twice cannot create a second complaint,
    # even when two routers race.
    origin_mention_id: int = Field(foreign_key="mention.id", unique=True)
    confidence: float | None = None
    routed_by: str = Field(max_length=200)
    #: why this inbox: the rule or jurisdiction that decided, in words
    route_reason: str | None = None
    #: the prediction's top terms (or the rule's match), for agency staff
    terms: list[str] | None = Field(default=None, sa_type=JSONDoc)
    kecamatan: str | None = Field(default=None, max_length=100)
    desa: str | None = Field(default=None, max_length=100)
    street: str | None = Field(default=None, max_length=200)
    location_span: str | None = Field(default=None, max_length=300)
    #: False when the text names a place outside the city; None when no place was found
    inside_city: bool | None = None
    #: service deadlines in working days (SP4N-LAPOR! practice), set when filed
    respond_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    follow_up_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    followed_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    #: the closed complaint this one continues: a citizen's reply after the reopen window
    #: (no foreign key: adding one would make SQLite rebuild the complaint table)
    previous_complaint_id: int | None = Field(default=None)
    #: the agency user (petugas) working it; an active user of this inbox's agency
    #: (no foreign key, like previous_complaint_id: SQLite would rebuild the table)
    assignee_id: int | None = Field(default=None)


class ComplaintAssignment(SQLModel, table=True):
    """One change of a complaint's petugas: assigned, reassigned or unassigned."""

    __tablename__ = "complaint_assignment"
    # Round-robin auto-assignment reads each petugas's latest assignment.
    __table_args__ = (Index("ix_complaint_assignment_to_user_at", "to_user_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    #: the petugas before and after (None: nobody)
    from_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    to_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(max_length=200)
    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    #: how the new petugas was told: the outbox channels queued ("email", "email,webhook"),
    #: "none" when they could not be (no e-mail address); None for an unassignment
    notified: str | None = Field(default=None, max_length=40)


class PublicNumberCounter(SQLModel, table=True):
    """The last public number drawn for a (prefix, WITA year): see ``models.public_number``."""

    __tablename__ = "public_number_counter"

    prefix: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    last_value: int = 0


class ComplaintMerge(SQLModel, table=True):
    """A mention joined to an existing complaint as a further report, undoable."""

    __tablename__ = "complaint_merge"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    #: the complaint the mention had before, when two complaints were merged by hand
    from_complaint_id: int | None = Field(default=None, foreign_key="complaint.id")
    #: reply | duplicate | manual
    reason: str = Field(max_length=30)
    detail: str | None = None
    actor: str = Field(max_length=200)
    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    undone_by: str | None = Field(default=None, max_length=200)


class ComplaintNote(SQLModel, table=True):
    """An internal note on a complaint, by agency or Kominfo staff."""

    __tablename__ = "complaint_note"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    author: str = Field(max_length=200)
    text: str
    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ComplaintMention(SQLModel, table=True):
    """Links a mention to the complaint it reports; a mention joins one complaint at most."""

    __tablename__ = "complaint_mention"

    mention_id: int = Field(foreign_key="mention.id", primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    linked_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    reason: str = Field(default="origin", max_length=40)


class StatusChangeBase(SQLModel):
    """One step in a complaint's history, as the table and the API's history show it."""

    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow, description="When (UTC)")
    actor: str = Field(max_length=200, description="Who: a user name, or the router")
    from_status: ComplaintStatus | None = Field(
        default=None, sa_type=ComplaintStatusType, description="Status before; null when filed"
    )
    to_status: ComplaintStatus = Field(sa_type=ComplaintStatusType, description="Status after")
    note: str = Field(default="", description="The note given with the change")
    kind: str = Field(
        default=HistoryKind.STATUS,
        max_length=20,
        sa_column_kwargs={"server_default": HistoryKind.STATUS.value},
        description=(
            "status: a status change; balasan: what became of a reply to the citizen "
            "(approved, discarded, sent, to write by hand, blocked), status unchanged"
        ),
    )


class StatusChange(StatusChangeBase, table=True):
    """One step in a complaint's history."""

    __tablename__ = "status_change"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)


class SourceCursor(SQLModel, table=True):
    """Where a source's next run starts; written in the transaction that stores its mentions."""

    __tablename__ = "source_cursor"

    source: str = Field(primary_key=True, max_length=100)
    cursor: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class SourceHealth(SQLModel, table=True):
    """How a source is doing, for operators: last success, last error, limits."""

    __tablename__ = "source_health"

    source: str = Field(primary_key=True, max_length=100)
    platform: str = Field(max_length=20)
    state: str = Field(default=SourceState.IDLE, max_length=20)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    last_error_class: str | None = Field(default=None, max_length=100)
    consecutive_failures: int = 0
    rate_limited_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = None
    reads_month: str | None = Field(default=None, max_length=7)
    reads_this_month: int = 0
    last_run_ingested: int = 0
    total_ingested: int = 0
    #: records set aside (``quarantine`` table) by the last run, and ever
    last_run_quarantined: int = 0
    total_quarantined: int = 0
    usage: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class QuarantinedRecord(SQLModel, table=True):
    """A collected record the store could not take, kept whole so it can be retried.

    Stored in the transaction that stores the rest of its batch and moves the cursor
    past it, so one bad record never stops its source.
    """

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_source_id", "source", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    #: the mention's platform as the record gave it (cut to fit), "" when unknown
    platform: str = Field(default="", max_length=20)
    platform_id: str = Field(default="", max_length=100)
    #: why it was set aside (the field and the rule, or the store's refusal)
    reason: str
    #: the mention fields the collector built (strings only, control characters removed)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
    #: the platform's payload or the file's record, control characters removed
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
    quarantined_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    retried_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retries: int = 0


class Outbox(SQLModel, table=True):
    """A notification to deliver, written in the same transaction as what it announces.

    Most rows announce a complaint to its inbox (``recipient`` "inbox"). Escalations go
    to an agency's escalation or head contacts; alerts about sources (no complaint, no
    agency) to the administrators; see ``models.vocab.OutboxRecipient``. A row with a
    ``dedupe_key`` is written at most once (the overdue digest of an agency and day).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    agency_code: str | None = Field(default=None, foreign_key="agency.code", max_length=40)
    channel: str = Field(max_length=20)
    #: who gets it: a models.vocab.OutboxRecipient value
    recipient: str = Field(default="inbox", max_length=20)
    #: unique when given: the same notification is never written twice
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
    status: str = Field(default=OutboxStatus.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    last_error: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Escalation(SQLModel, table=True):
    """A complaint's missed deadline, announced once per deadline (step, due time) and level."""

    __tablename__ = "escalation"
    __table_args__ = (
        # One announcement per missed deadline and level; a reassigned complaint's new
        # deadline (another due_at) is a new one.
        UniqueConstraint("complaint_id", "deadline", "due_at", "level", name="uq_escalation_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    #: the missed step: respon_awal or ditindaklanjuti (models.vocab.STEP_LABELS)
    deadline: str = Field(max_length=30)
    #: 1: the inbox's escalation contacts and Kominfo; 2: the head of the agency
    level: int
    #: the deadline that was missed
    due_at: datetime = Field(sa_type=UTCDateTime)
    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    inbox: str = Field(max_length=40)
    #: who was notified, in words (for the complaint's history)
    notified: str = Field(default="", max_length=500)


class SourceAlert(SQLModel, table=True):
    """An episode of a source being broken, announced when it opens and when it closes."""

    __tablename__ = "source_alert"
    __table_args__ = (Index("ix_source_alert_source_opened", "source", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    #: a models.vocab.AlertCause value
    cause: str = Field(max_length=30)
    #: "<source>:<cause>" while open, NULL once closed: one open alert per source and cause
    open_key: str | None = Field(default=None, max_length=140, unique=True)
    detail: str = ""
    opened_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Incident(SQLModel, table=True):
    """A burst of reports of one category at one place, announced once as one alert."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_opened", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=40)
    kecamatan: str = Field(max_length=100)
    desa: str | None = Field(default=None, max_length=100)
    inbox: str = Field(max_length=40)
    #: "<category>|<kecamatan>|<desa>" while open, NULL once closed: one open per place
    open_key: str | None = Field(default=None, max_length=300, unique=True)
    #: reports in the window when opened, and the most seen since
    reports: int = 0
    #: the reports the place's usual rate predicts for one window
    expected: float = 0.0
    first_report_at: datetime = Field(sa_type=UTCDateTime)
    last_report_at: datetime = Field(sa_type=UTCDateTime)
    opened_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IncidentComplaint(SQLModel, table=True):
    """A complaint grouped into an incident."""

    __tablename__ = "incident_complaint"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True, index=True)


class CitizenReply(SQLModel, table=True):
    """A public reply to a citizen's post, drafted with the event it announces.

    At most one per (mention, complaint, event, occurrence): the unique constraint holds
    across routers, daemons and retries. The occurrence counts how often the complaint
    reached the event's status before (0 the first time; 1 after a reopening, or for the
    second agency's response after triage gave it on), so a complaint worked again is
    answered again, once per round; the complaint is in the key so a report split off
    by an undone merge is acknowledged with its new number. Sending goes through the
    outbox (channel ``reply``); this row keeps what the citizen sees, who approved it,
    and the platform's id of the posted reply.
    """

    __tablename__ = "citizen_reply"
    __table_args__ = (
        UniqueConstraint(
            "mention_id", "complaint_id", "event", "occurrence", name="uq_citizen_reply_occurrence"
        ),
        Index("ix_citizen_reply_status_id", "status", "id"),
        Index("ix_citizen_reply_source_sent", "source", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    mention_id: int = Field(foreign_key="mention.id")
    #: a models.vocab.ReplyEvent value
    event: str = Field(max_length=30)
    #: how many times the complaint had reached the event's status before (see above)
    occurrence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: the configured source whose account answers (the mention's source)
    source: str = Field(max_length=100)
    #: how it is posted: a models.vocab.ReplyChannel value
    channel: str = Field(max_length=20)
    #: a models.vocab.ReplyStatus value
    status: str = Field(max_length=20)
    #: the reply's text, masked; empty for a skipped reply
    text: str = ""
    #: why it was skipped, blocked or failed, in Indonesian
    reason: str | None = None
    #: the id the platform gave the posted reply
    platform_reply_id: str | None = Field(default=None, max_length=100)
    approved_by: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: set just before a post is attempted: an attempt after it first looks for our reply
    attempted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ReplyAccountState(SQLModel, table=True):
    """A source's reply channel switched off (token expired): reading may go on."""

    __tablename__ = "reply_account_state"

    source: str = Field(primary_key=True, max_length=100)
    disabled_reason: str | None = None
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Correction(SQLModel, table=True):
    """A human decision about a mention's category: a training label for the classifier."""

    __tablename__ = "correction"

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int | None = Field(default=None, foreign_key="mention.id", index=True)
    text: str
    category: str = Field(max_length=40)
    #: triage | recategorise | bukan_wewenang
    kind: str = Field(max_length=30)
    actor: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class User(SQLModel, table=True):
    """A person who signs in to the web inbox or uses the API."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    display_name: str = Field(default="", max_length=200)
    #: argon2 hash; never the password
    password_hash: str = Field(max_length=300)
    #: admin | operator | agency | viewer
    role: str = Field(max_length=20)
    #: the only inbox an agency user may see
    agency_code: str | None = Field(default=None, foreign_key="agency.code", max_length=40)
    #: where they hear of complaints assigned to them (``models.accounts.normalize_email``)
    email: str | None = Field(default=None, max_length=254)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SavedView(SQLModel, table=True):
    """A named set of list filters and sort, personal or shared with the owner's agency.

    Filters hold codes (category, status, inbox), never names, so a view survives a
    category's rename.
    """

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_view_owner_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    #: the owner's agency when saved (None: Kominfo staff); sharing reaches its users
    owner_agency: str | None = Field(default=None, max_length=40, index=True)
    #: the inbox list it filters (None: the list of every inbox)
    inbox: str | None = Field(default=None, max_length=40)
    #: the list's GET parameters (q, status, category, ..., sort), empty ones left out
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
    shared: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """A signed-in browser session; logout or expiry ends it on the server too."""

    __tablename__ = "web_session"

    #: SHA-256 of the random session id the cookie carries
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    csrf_token: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A revocable API token; only its hash is stored, the token is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=200)
    #: the first characters, to tell tokens apart in lists
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """A sign-in attempt, for rate limiting per account and per address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100)
    address: str = Field(max_length=100)
    success: bool
    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ExampleImport(SQLModel, table=True):
    """One run of ``aduan corpus import``: which file, when, by whom, and what it counted."""

    __tablename__ = "example_import"

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=500)
    #: sha256 of the file's bytes, so the same export can be recognised
    file_sha256: str = Field(max_length=64)
    actor: str = Field(max_length=200)
    imported_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    #: rows read, stored, and skipped by reason (empty, duplicate, unmapped)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)


class TrainingExample(SQLModel, table=True):
    """A labelled text imported from the city's own history: its own training source.

    The text is stored with NIK, phone numbers and e-mail addresses masked; ``row`` is
    the line or row of the imported file it came from.
    """

    __tablename__ = "training_example"
    __table_args__ = (UniqueConstraint("text_sha256", name="uq_training_example_text_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="example_import.id", index=True)
    row: int
    text: str
    #: sha256 of the normalised masked text: one example per text across imports
    text_sha256: str = Field(max_length=64)
    category: str = Field(max_length=40)
    #: the label as the file had it (an agency or topic name before mapping)
    source_label: str = Field(max_length=300)
    #: train, dev or test: fixed by a hash of the text
    split: str = Field(max_length=10)


class AccessLogEntry(SQLModel, table=True):
    """One audited action: who read personal data, exported, or changed who may read it.

    Append-only: the store refuses an UPDATE (a trigger on both databases); entries
    leave only through retention (``models.access_log.purge_access_log``).
    """

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_at", "at"),
        Index("ix_access_log_action_at", "action", "at"),
        Index("ix_access_log_actor_at", "actor", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    #: a user name, ``cli:<system user>`` for commands, or ``system`` for jobs
    actor: str = Field(max_length=200)
    #: a models.vocab.AccessAction value
    action: str = Field(max_length=40)
    #: what it was done to: ``complaint:12``, ``user:budi``, ``author:twitter:budi``, ...
    target: str = Field(default="", max_length=300)
    #: filters and row counts of exports, counts of erasures, ...
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDoc)
