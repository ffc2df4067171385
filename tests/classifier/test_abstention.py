"""Knowing when unsure: unfamiliar text, NOT_COMPLAINT gating, service questions, routing."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from classifier.model import (
    SERVICE_INQUIRY,
    UNFAMILIAR_TEXT,
    UNSURE_NOT_COMPLAINT,
    Predictor,
    load_active,
)
from classifier.persist import active_id, load_model
from classifier.pipeline import INQUIRY, KEEP, LOW, UNFAMILIAR
from models.agencies import sync_agencies
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Agency, Mention, MentionIn
from models.types import utcnow
from models.vocab import NOT_COMPLAINT, MentionState
from router.policy import RoutingPolicy
from router.route import route_pending

OUT_OF_STYLE = [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
    "Quarterly semiconductor revenue exceeded analyst consensus despite currency headwinds.",
    "Die Bundesregierung beschließt heute das neue Haushaltsgesetz für das kommende Jahr.",
]
PRAISE = "terima kasih banyak atas pelayanannya, mantap pemkot"


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> Predictor:
    return load_active(model_dir)


def test_text_unlike_the_training_data_abstains_with_the_reason(predictor: Predictor) -> None:
    for p in predictor.predict(OUT_OF_STYLE):
        assert p.abstained
        assert p.reason == UNFAMILIAR_TEXT


def test_familiar_complaint_is_routed_without_a_reason(predictor: Predictor) -> None:
    p = predictor.predict(["lampu jalan di gang kami mati total sudah seminggu, gelap sekali"])[0]
    assert (p.category, p.abstained, p.reason) == ("LPJU", False, None)


def test_not_complaint_must_itself_be_confident(model_dir: Path) -> None:
    unsure = load_active(model_dir, threshold_overrides={NOT_COMPLAINT: 1.0}).predict([PRAISE])[0]
    assert (unsure.category, unsure.abstained, unsure.reason) == (
        NOT_COMPLAINT,
        True,
        UNSURE_NOT_COMPLAINT,
    )
    sure = load_active(model_dir, threshold_overrides={NOT_COMPLAINT: 0.0}).predict([PRAISE])[0]
    assert (sure.category, sure.abstained, sure.reason) == (NOT_COMPLAINT, False, None)


def test_a_question_about_a_city_service_is_never_kept_out(predictor: Predictor) -> None:
    judged = predictor.assess(["syarat bikin KIA buat anak apa aja ya min?"])
    assert judged.service_inquiry[0]
    nc = predictor.classes.index(NOT_COMPLAINT)
    sure_nc = replace(judged, best=np.asarray([nc]), confidence=np.asarray([1.0]))
    assert predictor.model.decide(sure_nc, {NOT_COMPLAINT: 0.5})[0] == INQUIRY
    p = predictor.predict(["syarat bikin KIA buat anak apa aja ya min?"])[0]
    assert not (p.category == NOT_COMPLAINT and not p.abstained)
    if p.category == NOT_COMPLAINT:
        assert p.reason == SERVICE_INQUIRY
    # praise without a question is not an inquiry
    assert not predictor.assess([PRAISE]).service_inquiry[0]


def test_decide_codes(predictor: Predictor) -> None:
    judged = predictor.assess(["air pdam mati dari pagi", OUT_OF_STYLE[0]])
    codes = predictor.model.decide(judged, {c: 0.0 for c in predictor.classes})
    assert codes[0] == KEEP and codes[1] == UNFAMILIAR  # coverage below anything seen
    strict = predictor.model.decide(judged, {c: 1.0 for c in predictor.classes})
    assert strict[0] == LOW


def test_calibration_was_fitted_across_registers(model_dir: Path) -> None:
    _, meta = load_model(model_dir / str(active_id(model_dir)))
    # every register big enough was predicted by a model that never saw it
    assert {"tweet", "review", "chat", "mixed"} <= set(meta["cross_register"])
    assert meta["thresholds"][NOT_COMPLAINT] >= 0.5


def test_routing_sends_unsure_mentions_to_triage_with_the_reason(
    engine: Engine, model_dir: Path
) -> None:
    with session_scope(engine) as session:
        sync_agencies(session=session, agencies=[Agency(code="KOMINFO", name="Diskominfos")])
        insert_mentions(
            session=session,
            mentions=[
                MentionIn(
                    platform="twitter",
                    platform_id=str(i),
                    source="t",
                    text=text,
                    created_at=utcnow(),
                )
                for i, text in enumerate([OUT_OF_STYLE[1], PRAISE])
            ],
        )
    strict = load_active(model_dir, threshold_overrides={NOT_COMPLAINT: 1.0})
    policy = RoutingPolicy(category_inbox={}, triage_inbox="KOMINFO")
    result = route_pending(engine=engine, classifier=strict, policy=policy)
    assert result.triaged == 2 and result.filed == 0 and result.not_complaint == 0
    with Session(engine) as session:
        rows = {m.text: m for m in session.exec(select(Mention))}
    assert rows[OUT_OF_STYLE[1]].state == MentionState.TRIAGE
    assert rows[OUT_OF_STYLE[1]].abstain_reason == UNFAMILIAR_TEXT
    assert rows[PRAISE].state == MentionState.TRIAGE
    assert rows[PRAISE].abstain_reason == UNSURE_NOT_COMPLAINT
