"""Who gets what: the category-to-inbox map and notification channels, from config."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RoutingPolicy:
    """The routing decisions that are configuration, not model output."""

    category_inbox: dict[str, str]
    triage_inbox: str
    #: outbox channels per inbox ("email", "webhook"), for inboxes that have them
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def inbox_for(self, category: str) -> str:
        """The inbox of *category*; unmapped categories go to triage."""
        return self.category_inbox.get(category, self.triage_inbox)
