"""Routing without a trained model: a keyword classifier and a two-agency policy."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from models.agencies import sync_agencies
from models.db import session_scope
from models.mentions import insert_mentions
from router.policy import RoutingPolicy
from tests.support.factories import agencies, mention


@dataclass(frozen=True)
class Guess:
    category: str
    confidence: float
    abstained: bool
    model_id: str = "test-model"
    terms: list[str] = field(default_factory=list)
    reason: str | None = None


class KeywordClassifier:
    """A deterministic test double: the category is spelled out in the text."""

    def predict(self, texts: Sequence[str]) -> list[Guess]:
        out = []
        for text in texts:
            if "lampu" in text:
                out.append(Guess("LPJU", 0.95, False, terms=["lampu"]))
            elif "makasih" in text:
                out.append(Guess("NOT_COMPLAINT", 0.9, False))
            elif "bingung" in text:
                out.append(Guess("PDAM", 0.3, True))
            else:
                out.append(Guess("PDAM", 0.9, False))
        return out


POLICY = RoutingPolicy(
    category_inbox={"PDAM": "PDAM", "LPJU": "LPJU"},
    triage_inbox="KOMINFO",
    channels={"LPJU": ("email",)},
)


def store_texts(engine: Engine, texts: list[str], *, first: int = 0) -> None:
    """Store *texts* as mentions numbered from *first* on."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s, mentions=[mention(first + i, text=t) for i, t in enumerate(texts)]
        )
