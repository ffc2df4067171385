"""Features computed with numpy match scikit-learn's; a saved model predicts the same."""

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.corpus import load_corpus
from classifier.features import CHAR_MIN_DF, Analysed, Featurizer, Fitted, char_terms, word_terms
from classifier.lexicon import cues, cues_in, lexicon
from classifier.model import load_active
from classifier.normalize import normalize
from classifier.persist import active_id, load_model
from classifier.pipeline import Model


def test_rows_match_scikit_learns_tfidf() -> None:
    texts = [normalize(e.text) for e in load_corpus()][:800]
    fitted, rows = Featurizer.fit(texts[:600])
    unseen = [*texts[600:], "kata baru sekali zzqx", ""]
    mine = fitted.transform(unseen).toarray()
    assert np.allclose(fitted.transform(texts[:600]).toarray(), rows.toarray())
    offset = 0
    for analyzer, min_df in ((word_terms, 1), (char_terms, CHAR_MIN_DF)):
        reference = TfidfVectorizer(analyzer=analyzer, min_df=min_df, sublinear_tf=True)
        reference.fit(texts[:600])
        expected = reference.transform(unseen).toarray()
        width = expected.shape[1]
        assert np.allclose(mine[:, offset : offset + width], expected)
        offset += width
    # the lexicon columns come last: one per category, then one per stance cue
    assert mine.shape[1] - offset == len(lexicon()) + len(cues())


def test_lexicon_column_marks_a_named_topic() -> None:
    fitted, _ = Featurizer.fit([normalize(e.text) for e in load_corpus()][:300])
    row = fitted.transform([normalize("mohon fogging di banjar kami, banyak kena DBD")])
    topics = row.toarray()[0, -len(fitted.topics) :]
    assert [fitted.topics[i] for i in np.flatnonzero(topics)] == ["DINKES"]


def test_cue_columns_mark_thanks_and_problems_whatever_the_topic() -> None:
    fitted, _ = Featurizer.fit([normalize(e.text) for e in load_corpus()][:300])
    texts = [normalize("makasih dishub, rambu udah dipasang"), normalize("air pdam mati lagi")]
    lexicon_columns = fitted.transform(texts).toarray()[:, -len(fitted.topics) :]
    named = [{fitted.topics[i] for i in np.flatnonzero(row)} for row in lexicon_columns]
    assert named == [{"DISHUB", "~THANKS"}, {"PDAM", "~PROBLEM"}]
    # a cue's column has its own weight, the categories' theirs
    values = sorted(float(v) for v in lexicon_columns[0][lexicon_columns[0] > 0])
    assert values == pytest.approx(sorted([fitted.cue_scale, fitted.topic_scale]))


def test_an_address_is_not_an_announcement() -> None:
    """RT/RW are the neighbourhood units of a formal report's address ("RT 03/RW 05"),
    not a retweet: a complaint giving its address must not read as news or chatter
    (with "rt" a NEWS cue, the daemon's hostile-demo PDAM complaint went to triage)."""
    address = normalize("air PDAM mati 2 hari di Jl. Teuku Umar No. 12 RT 03/RW 05 Denpasar")
    words = set(address.split())
    assert {"rt", "rw"} <= words
    bigrams = {" ".join(pair) for pair in pairwise(address.split())}
    assert cues_in(words | bigrams) == {"~PROBLEM"}


def test_a_cue_alone_does_not_make_a_text_topical() -> None:
    """Only a category's terms make a question a service inquiry (pipeline.Model.decide)."""
    texts = [normalize("mau tanya syaratnya apa"), normalize("mau tanya syarat bikin ktp")]
    fitted, _ = Featurizer.fit([normalize(e.text) for e in load_corpus()][:300])
    assert fitted.rows(texts).topical.tolist() == [False, True]
    analysed = Analysed.of(texts)
    docs = np.arange(len(texts))
    assert Fitted.fit(analysed, docs).rows(analysed, docs).topical.tolist() == [False, True]


def test_cue_weight_is_saved() -> None:
    fitted, _ = Featurizer.fit([normalize(e.text) for e in load_corpus()][:300])
    fitted.cue_scale = 0.25
    again = Featurizer.from_arrays(fitted.to_arrays("f_"), "f_")
    assert (again.topic_scale, again.cue_scale, again.topics) == (
        fitted.topic_scale,
        0.25,
        fitted.topics,
    )


def test_saved_model_predicts_like_the_one_in_memory(model_dir: Path) -> None:
    arrays, _ = load_model(model_dir / str(active_id(model_dir)))
    assert arrays is not None
    again = Model.from_arrays(Model.from_arrays(arrays).to_arrays())
    texts = [normalize(e.text) for e in load_corpus() if e.split == "test"][:200]
    a = load_active(model_dir).model.assess(texts)
    b = again.assess(texts)
    assert np.array_equal(a.best, b.best) and np.allclose(a.confidence, b.confidence)
