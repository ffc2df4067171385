"""Routing beyond the model: threads, rules, places, jurisdiction, duplicates, merges."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lifecycle.merge import merge_into, undo_merge
from models.agencies import sync_agencies
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Agency, Complaint, ComplaintMention, ComplaintMerge, Mention, MentionIn
from models.vocab import MentionState
from router.location import Gazetteer, Jurisdiction
from router.policy import RoutingPolicy
from router.route import RouteResult, route_pending
from router.rules import Rule
from tests.support.factories import agencies, mention
from tests.support.routing import Guess

GAZ = Gazetteer.for_region("51.71")
JURISDICTION = Jurisdiction.default(GAZ)


class TopicClassifier:
    """Test double: the category is named by a marker word in the text."""

    def predict(self, texts):
        out = []
        for text in texts:
            low = text.lower()
            if "jalan rusak" in low or "got" in low:
                out.append(Guess("PUPR", 0.9, False, terms=["jalan"]))
            elif "sampah" in low:
                out.append(Guess("DLHK", 0.9, False))
            elif "makasih" in low:
                out.append(Guess("NOT_COMPLAINT", 0.95, False))
            elif "bingung" in low:
                out.append(Guess("OTHER", 0.2, True))
            else:
                out.append(Guess("PDAM", 0.9, False))
        return out


def _policy(**kw: Any) -> RoutingPolicy:
    base = RoutingPolicy(
        category_inbox={
            "PDAM": "PDAM",
            "PUPR": "PUPR",
            "DLHK": "DLHK",
            "DISHUB": "DISHUB",
            "OTHER": "KOMINFO",
        },
        triage_inbox="KOMINFO",
        locate=GAZ.locate,
        owner_of=lambda loc, text: JURISDICTION.owner_of(loc, text),
        deadlines=lambda at: (at + timedelta(days=3), at + timedelta(days=8)),
    )
    return replace(base, **kw)


def _setup(engine: Engine, mentions: list[MentionIn]) -> None:
    extra = ["PUPR", "DLHK", "DISHUB", "BPJN", "PUPR_PROV"]
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies() + [Agency(code=c, name=c) for c in extra])
        insert_mentions(session=s, mentions=mentions)


def _route(engine: Engine, policy: RoutingPolicy | None = None) -> RouteResult:
    return route_pending(engine=engine, classifier=TopicClassifier(), policy=policy or _policy())


def _complaints(engine: Engine) -> list[Complaint]:
    with Session(engine) as s:
        return list(s.exec(select(Complaint).order_by(col(Complaint.id))))


def test_location_is_stored_with_the_matched_span(engine: Engine) -> None:
    _setup(engine, [mention(1, text="air mati di jl tukad badung sesetan dari pagi")])
    _route(engine)
    (c,) = _complaints(engine)
    assert (c.kecamatan, c.desa, c.street) == ("Denpasar Selatan", "Sesetan", "Jl. Tukad Badung")
    assert c.inside_city is True and c.location_span
    assert c.respond_by is not None and c.follow_up_by is not None


def test_national_road_goes_to_its_owner_with_the_reason(engine: Engine) -> None:
    _setup(
        engine,
        [
            mention(1, text="jalan rusak parah di jl gatot subroto barat depan toko"),
            mention(2, text="jalan rusak di jl tukad yeh aya panjer"),
            mention(3, text="got mampet di jl a yani, banjir tiap hujan"),
        ],
    )
    _route(engine)
    inboxes = {c.street: (c.inbox, c.route_reason) for c in _complaints(engine)}
    assert inboxes["Jl. Gatot Subroto Barat"][0] == "BPJN"
    assert "BPJN" in (inboxes["Jl. Gatot Subroto Barat"][1] or "")
    assert inboxes["Jl. Tukad Yeh Aya"] == ("PUPR", None)
    assert inboxes["Jl. A. Yani"][0] == "PUPR_PROV"


def test_place_outside_the_city_goes_to_triage_inbox(engine: Engine) -> None:
    _setup(engine, [mention(1, text="air pdam mati di dalung sudah 2 hari")])
    _route(engine)
    (c,) = _complaints(engine)
    assert c.inbox == "KOMINFO" and c.inside_city is False
    assert "luar kota" in (c.route_reason or "")


def test_rules_run_before_the_model_and_are_recorded(engine: Engine) -> None:
    rules = (
        Rule(name="lampu-lalu-lintas", category="DISHUB", regex=r"lampu (lalu lintas|merah)"),
        Rule(name="akun-pdam", inbox="PDAM", authors=frozenset({"pdam_fan"})),
        Rule(name="spam", category="NOT_COMPLAINT", keywords=("giveaway",)),
    )
    _setup(
        engine,
        [
            mention(1, text="Lampu merah di simpang mati total"),
            mention(2, text="sampah numpuk", author_handle="PDAM_fan"),
            mention(3, text="GIVEAWAY pulsa, air gratis"),
            mention(4, text="bingung harus lapor kemana"),
        ],
    )
    result = _route(engine, _policy(rules=rules))
    assert (result.filed, result.not_complaint, result.triaged) == (2, 1, 1)
    by_rule = {c.routed_by: c for c in _complaints(engine)}
    assert by_rule["rule:lampu-lalu-lintas"].category == "DISHUB"
    assert by_rule["rule:lampu-lalu-lintas"].inbox == "DISHUB"
    assert by_rule["rule:akun-pdam"].inbox == "PDAM"
    assert by_rule["rule:akun-pdam"].category == "DLHK"  # the rule set only the inbox
    assert by_rule["rule:akun-pdam"].route_reason == "aturan akun-pdam"


def test_a_reply_joins_the_complaint_of_the_post_it_answers(engine: Engine) -> None:
    root = mention(1, text="air mati di panjer", conversation_id="1001")
    reply = mention(
        2, text="makasih min, tapi msh blm ngalir", conversation_id="1001", reply_to_id="1001"
    )
    _setup(engine, [root])
    _route(engine)
    _setup(engine, [reply])
    result = _route(engine)
    assert result.attached == 1
    (c,) = _complaints(engine)
    assert c.reporters == 2
    with Session(engine) as s:
        merge = s.exec(select(ComplaintMerge)).one()
        assert (merge.reason, merge.complaint_id) == ("reply", c.id)


def test_comments_under_a_shared_post_are_separate_complaints(engine: Engine) -> None:
    # Citizens commenting under the city's own post share its conversation id only.
    a = mention(1, platform="facebook", text="air mati di renon", conversation_id="city_post")
    b = mention(2, platform="facebook", text="sampah numpuk di ubung", conversation_id="city_post")
    _setup(engine, [a, b])
    assert _route(engine).filed == 2


def test_same_problem_from_several_people_becomes_one_complaint(engine: Engine) -> None:
    t0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    _setup(
        engine,
        [
            mention(1, text="sampah numpuk di TPS jl tukad badung, bau banget", created_at=t0),
            mention(
                2,
                platform="instagram",
                author_handle="lain",
                text="TPS jl tukad badung sampah numpuk udah 3 hari",
                created_at=t0,
            ),
            mention(3, text="sampah numpuk di jl gunung agung", created_at=t0),
            mention(
                4,
                text="sampah numpuk di TPS jl tukad badung lagi",
                author_handle="warga1",
                created_at=t0 + timedelta(days=5),
            ),
        ],
    )
    result = _route(engine)
    assert (result.filed, result.attached) == (3, 1)
    first = _complaints(engine)[0]
    assert first.reporters == 2
    with Session(engine) as s:
        merge = s.exec(select(ComplaintMerge)).one()
    assert merge.reason == "duplicate" and "Jl. Tukad Badung" in (merge.detail or "")


def test_a_merge_can_be_undone(engine: Engine) -> None:
    t0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    _setup(
        engine,
        [
            mention(1, text="sampah numpuk di TPS sesetan", created_at=t0),
            mention(2, text="TPS sesetan sampah numpuk", author_handle="b", created_at=t0),
        ],
    )
    _route(engine)
    with Session(engine) as s:
        merge = s.exec(select(ComplaintMerge)).one()
    assert merge.id is not None
    separate = undo_merge(engine=engine, policy=_policy(), merge_id=merge.id, actor="op")
    assert separate.origin_mention_id == merge.mention_id
    with Session(engine) as s:
        undone = s.get(ComplaintMerge, merge.id)
        assert undone is not None and undone.undone_at is not None and undone.undone_by == "op"
        links = {link.mention_id: link.complaint_id for link in s.exec(select(ComplaintMention))}
        assert links[merge.mention_id] == separate.id
        original = s.get(Complaint, merge.complaint_id)
        assert original is not None and original.reporters == 1
    with pytest.raises(Exception, match="undone already"):
        undo_merge(engine=engine, policy=_policy(), merge_id=merge.id, actor="op")


def test_operator_merges_a_triaged_mention(engine: Engine) -> None:
    _setup(engine, [mention(1, text="air mati di panjer"), mention(2, text="bingung, air?")])
    _route(engine)
    (c,) = _complaints(engine)
    with Session(engine) as s:
        triaged = s.exec(select(Mention).where(Mention.state == MentionState.TRIAGE)).one()
    assert triaged.id is not None and c.id is not None
    merge_into(engine=engine, mention_id=triaged.id, complaint_id=c.id, actor="op")
    with Session(engine) as s:
        assert s.exec(select(Mention.state).where(Mention.id == triaged.id)).one() == "filed"
        assert s.exec(select(Complaint.reporters).where(Complaint.id == c.id)).one() == 2


@pytest.mark.parametrize(
    "text",
    [
        "jalan rusak di Jl. B" + "a" * 5_000 + " dekat sesetan",  # an unknown road
        "jalan rusak di jl tukad " + "b" * 5_000 + " panjer",  # a road family's name
    ],
)
def test_a_road_name_no_road_has_does_not_stop_routing(engine: Engine, text: str) -> None:
    """A 5,000-letter word after "Jl." was filed as the street: SQLite kept all of it for
    the inbox, the e-mails and the exports; PostgreSQL's bulk insert cut it at 200."""
    _setup(engine, [mention(1, text=text), mention(2, text="got mampet di jl tukad badung")])
    result = _route(engine)
    assert result.filed == 2
    first, second = _complaints(engine)
    assert first.street is None and first.desa in ("Sesetan", "Panjer")
    assert second.street == "Jl. Tukad Badung"
