"""Access and erasure requests on both stores.

The export holds everything about the person; the erasure removes text and identity
from their mentions (and only theirs: the same handle on another platform is another
person), removes the training corrections made from their text so the next training
leaves them out, keeps the complaints' facts and the statistics, changes nothing when
run again, and is completed by a second run after an interruption.
"""

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from classifier.retrain import correction_examples
from models.corrections import all_corrections
from models.erasure import Author, count_author_mentions, erase_author, personal_data_of
from models.retention import ERASED_TEXT
from models.tables import Complaint, Correction, Mention
from models.vocab import FILED_NOTE
from tests.support.privacy import LATER, PERSON, fill, personal, statistics


def _export(engine: Engine, who: str = PERSON) -> dict:
    with Session(engine) as s:
        document = personal_data_of(session=s, author=Author.parse(who))
    json.dumps(document)  # JSON-ready: no datetimes or models left in it
    return document


def test_the_export_holds_everything_about_the_person(engine: Engine) -> None:
    w = fill(engine)
    document = _export(engine)
    assert document["author"] == "twitter:Warga1"
    mentions = document["mentions"]
    # three posts on twitter (the handle's case does not matter), none on facebook
    assert len(mentions) == 3 and {m["platform"] for m in mentions} == {"twitter"}
    assert all(m["author_handle"] == "warga1" for m in mentions)
    first = next(m for m in mentions if m["platform_id"] == "1001")
    assert first["raw"] == {"user": {"name": "W1"}} and first["text"].startswith("air mati")
    assert first["complaint_id"] == w.open_complaint
    ids = {c["id"] for c in document["complaints"]}
    assert ids == {w.open_complaint, w.triaged_complaint}
    opened = next(c for c in document["complaints"] if c["id"] == w.open_complaint)
    assert opened["location_span"] == "di panjer" and opened["history"][0]["note"] == FILED_NOTE
    assert [c["kind"] for c in document["corrections"]] == ["triage"]
    assert [e["target"] for e in document["access_log"]] == [f"complaint:{w.open_complaint}"]


def test_erasure_removes_text_identity_and_corrections_only_of_that_person(
    engine: Engine,
) -> None:
    w = fill(engine)
    before = statistics(engine)
    fields_before = personal(engine)
    with Session(engine) as s:
        mine = [m.id for m in s.exec(select(Mention)) if m.author_handle == "warga1"]
        theirs = s.exec(select(Mention).where(Mention.platform == "twitter")).all()
        assert len(mine) == 4  # three on twitter, one on facebook
    counts = erase_author(engine=engine, author=Author.parse(PERSON), now=LATER, batch_size=2)
    assert counts.as_dict() == {"mentions": 3, "corrections": 1, "complaints": 2}
    after = personal(engine)
    with Session(engine) as s:
        erased = [m for m in s.exec(select(Mention)) if m.platform == "twitter" and m.id in mine]
        assert len(erased) == 3
        for m in erased:
            assert (m.text, m.author_handle, m.author_name, m.url, m.raw) == (
                ERASED_TEXT,
                "",
                "",
                "",
                {},
            )
            assert m.text_purged_at == LATER and m.author_purged_at == LATER
        # The same handle on facebook is someone else; other people are untouched.
        assert after[w.other_platform] == fields_before[w.other_platform]
        for m in theirs:
            if m.id is not None and m.id not in mine:
                assert after[m.id] == fields_before[m.id]
        opened = s.get(Complaint, w.open_complaint)
        assert opened is not None and opened.location_span is None
        assert (opened.kecamatan, opened.desa, opened.category) == (
            "Denpasar Selatan",
            "Panjer",
            "PDAM",
        )
        assert s.exec(select(Correction)).all() == []
        # The next training (`aduan train --with-corrections`) gets nothing of theirs.
        rows = [(c.mention_id, c.text, c.category) for c in all_corrections(session=s)]
        assert correction_examples(rows) == []
        assert count_author_mentions(session=s, author=Author.parse(PERSON)) == 0
    assert statistics(engine) == before


def test_erasure_twice_changes_nothing_the_second_time(engine: Engine) -> None:
    fill(engine)
    erase_author(engine=engine, author=Author.parse(PERSON), now=LATER)
    once = personal(engine)
    again = erase_author(engine=engine, author=Author.parse(PERSON), now=LATER)
    assert again.as_dict() == {"mentions": 0, "corrections": 0, "complaints": 0}
    assert personal(engine) == once
    assert _export(engine)["mentions"] == []


class Stop(Exception):
    """Cuts an erasure short after its first batch."""


def test_an_interrupted_erasure_is_completed_by_running_it_again(engine: Engine) -> None:
    fill(engine)
    author = Author.parse(PERSON)

    def stop(n: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        erase_author(engine=engine, author=author, now=LATER, batch_size=2, progress=stop)
    with Session(engine) as s:
        assert count_author_mentions(session=s, author=author) == 1  # 2 of 3 done
    rest = erase_author(engine=engine, author=author, now=LATER, batch_size=2)
    assert rest.mentions == 1
    with Session(engine) as s:
        assert count_author_mentions(session=s, author=author) == 0
        assert s.exec(select(Correction)).all() == []


@pytest.mark.parametrize(
    "value",
    ["warga1", "myspace:warga1", "twitter:", "twitter:two words", "twitter:a:b"],
)
def test_an_author_is_platform_colon_handle(value: str) -> None:
    with pytest.raises(ValueError, match="--author"):
        Author.parse(value)


def test_an_author_is_named_in_the_access_log_by_a_digest() -> None:
    author = Author.parse("Twitter:@Budi_Denpasar")
    assert (author.platform, author.handle) == ("twitter", "Budi_Denpasar")
    assert author.target == Author.parse("twitter:budi_denpasar").target
    assert "budi" not in author.target.lower() and author.target.startswith("author:twitter:#")
