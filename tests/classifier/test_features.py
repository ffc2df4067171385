"""Features computed with numpy match scikit-learn's; a saved model predicts the same."""

from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.corpus import load_corpus
from classifier.features import CHAR_MIN_DF, Featurizer, char_terms, word_terms
from classifier.lexicon import lexicon
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
    # the topic-lexicon columns come last: one per category
    assert mine.shape[1] - offset == len(lexicon())


def test_lexicon_column_marks_a_named_topic() -> None:
    fitted, _ = Featurizer.fit([normalize(e.text) for e in load_corpus()][:300])
    row = fitted.transform([normalize("mohon fogging di banjar kami, banyak kena DBD")])
    topics = row.toarray()[0, -len(fitted.topics) :]
    assert [fitted.topics[i] for i in np.flatnonzero(topics)] == ["DINKES"]


def test_saved_model_predicts_like_the_one_in_memory(model_dir: Path) -> None:
    arrays, _ = load_model(model_dir / str(active_id(model_dir)))
    assert arrays is not None
    again = Model.from_arrays(Model.from_arrays(arrays).to_arrays())
    texts = [normalize(e.text) for e in load_corpus() if e.split == "test"][:200]
    a = load_active(model_dir).model.assess(texts)
    b = again.assess(texts)
    assert np.array_equal(a.best, b.best) and np.allclose(a.confidence, b.confidence)
