"""Who gets what: the routing decisions that are configuration, not model output."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from models.tables import Complaint
from notify.replies import ReplyPolicy
from router.location import Location
from router.rules import Rule

#: (filed at) -> (respond by, follow up by)
DeadlineFn = Callable[[datetime], tuple[datetime, datetime]]
#: (location, text) -> (owner inbox, reason) for roads the city does not own
OwnerFn = Callable[[Location, str], tuple[str, str] | None]
#: (session, complaints that just entered their inbox, policy) -> None, in their transaction
InboxEntryHook = Callable[[Session, Sequence[Complaint], "RoutingPolicy"], object]


@dataclass(frozen=True)
class RoutingPolicy:
    """The category-to-inbox map, rules, places, jurisdiction, dedupe and deadlines."""

    category_inbox: dict[str, str]
    triage_inbox: str
    #: outbox channels per inbox ("email", "webhook"), for inboxes that have them
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    locate: Callable[[str], Location] | None = None
    owner_of: OwnerFn | None = None
    #: the category whose complaints about another government's road are forwarded
    roads_category: str = "PUPR"
    dedupe_window: timedelta = timedelta(hours=48)
    dedupe_min_similarity: float = 0.3
    deadlines: DeadlineFn | None = None
    #: a citizen's reply in a closed complaint's conversation within this time reopens it;
    #: None: never (a later reply files a new complaint linked to the closed one)
    reopen_window: timedelta | None = timedelta(days=14)
    #: the city prefix of public complaint numbers (``DPS`` in DPS-26-00123)
    number_prefix: str = "DPS"
    #: replies to citizens (None: nobody is answered)
    replies: ReplyPolicy | None = None
    #: the web inbox's address, for the link in a petugas's notice ("": a bare path)
    web_base_url: str = ""
    #: automatic assignment per inbox: inbox code -> "round_robin" | "least_loaded"
    auto_assign: Mapping[str, str] = field(default_factory=dict)
    #: called once per routing batch, and by triage and redirects, with the complaints
    #: that just entered an inbox, in the transaction that put them there (the
    #: composition root sets ``lifecycle.auto_assign.assign_entered``; None: nothing)
    on_inbox_entry: InboxEntryHook | None = None

    def inbox_for(self, category: str) -> str:
        """The inbox of *category*; unmapped categories go to triage."""
        return self.category_inbox.get(category, self.triage_inbox)

    def deadline_details(self, filed_at: datetime) -> dict[str, datetime]:
        """Complaint fields for the deadlines of a complaint filed at *filed_at*."""
        if self.deadlines is None:
            return {}
        respond_by, follow_up_by = self.deadlines(filed_at)
        return {"respond_by": respond_by, "follow_up_by": follow_up_by}


def enter_inbox(session: Session, complaint: Complaint, policy: RoutingPolicy) -> None:
    """Tell *policy*'s inbox-entry hook (auto-assignment) that *complaint* just entered
    its inbox, in *session*'s transaction; nothing when no hook is set."""
    if policy.on_inbox_entry is not None:
        policy.on_inbox_entry(session, [complaint], policy)
