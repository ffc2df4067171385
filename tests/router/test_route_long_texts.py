"""Routing a 5 MB text: the deciding part is classified, located and compared; the whole
text stays stored (issue 19, memory)."""

from collections.abc import Sequence
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import router.dedupe
import router.route
from classifier.normalize import DECIDING_CHARS, normalize
from models.tables import Complaint, Mention
from router.location import Location
from router.route import route_pending
from tests.support.routing import POLICY, Guess, KeywordClassifier, store_texts

HUGE = "lampu jalan mati di sesetan, gelap total. " + "lampiran " * 600_000  # 5.4 MB


class Recording(KeywordClassifier):
    """The keyword double, remembering how long each text it was given was."""

    def __init__(self) -> None:
        self.lengths: list[int] = []

    def predict(self, texts: Sequence[str]) -> list[Guess]:
        self.lengths += [len(t) for t in texts]
        return super().predict(texts)


def test_a_huge_text_is_routed_by_its_start_and_stored_whole(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    normalised: list[int] = []

    def spy(text: str) -> str:
        normalised.append(len(text))
        return normalize(text)

    located: list[int] = []

    def locate(text: str) -> Location:
        located.append(len(text))
        return Location()

    monkeypatch.setattr(router.route, "normalize", spy)
    monkeypatch.setattr(router.dedupe, "normalize", spy)
    store_texts(engine, [HUGE, "lampu jalan mati di sesetan, gelap total."])
    recording = Recording()
    result = route_pending(
        engine=engine, classifier=recording, policy=replace(POLICY, locate=locate)
    )
    assert result.filed + result.attached == 2
    assert recording.lengths and max(recording.lengths) <= DECIDING_CHARS
    assert normalised and max(normalised) <= DECIDING_CHARS
    assert located and max(located) <= DECIDING_CHARS
    with Session(engine) as s:
        stored = s.exec(select(Mention).where(Mention.platform_id == "1000")).one()
        assert stored.text == HUGE and stored.category == "LPJU"
        assert s.exec(select(Complaint)).first() is not None
