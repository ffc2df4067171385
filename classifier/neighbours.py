"""The nearest training text: a second, differently built opinion on a prediction.

Each text is compared with every training text on its distinctive words (word
1-2-grams that occur in at most :data:`MAX_DF_SHARE` of the training texts, TF-IDF
weighted). How close the nearest one is says how familiar the text is; whether the
nearest one's label agrees with the linear model's prediction is a cheap second
model. Both feed the calibrator (:mod:`classifier.calibrate`).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.csr import Csr

if TYPE_CHECKING:
    from scipy import sparse

#: word terms in more than this share of training texts are left out of the comparison
MAX_DF_SHARE = 0.05
#: rows compared at a time
CHUNK = 256


@dataclass
class Neighbours:
    """Training texts' distinctive word columns (terms x texts) and their labels."""

    #: rows: word terms; columns: training texts
    matrix: Csr
    labels: np.ndarray

    @classmethod
    def build(
        cls, x_word: "sparse.csr_matrix", labels: np.ndarray, idf: np.ndarray
    ) -> "Neighbours":
        """From the word-block rows of the training texts and their class indices."""
        from scipy import sparse

        n = x_word.shape[0]
        # idf = ln((1 + n) / (1 + df)) + 1, so a high idf is a rare term
        common = idf < np.log((1 + n) / (1 + MAX_DF_SHARE * n)) + 1
        keep = sparse.diags((~common).astype(np.float32))
        matrix = sparse.csr_matrix(keep @ x_word.T.astype(np.float32))
        matrix.eliminate_zeros()
        return cls(Csr.of(matrix), np.asarray(labels, dtype=np.int64))

    def nearest(self, x_word: Csr) -> tuple[np.ndarray, np.ndarray]:
        """Cosine-like similarity to the nearest training text, and that text's label."""
        n = x_word.shape[0]
        if self.matrix.shape[1] == 0 or n == 0:
            return np.zeros(n), np.full(n, -1)
        best = np.zeros(n, dtype=np.int64)
        top = np.zeros(n)
        # A dense block of CHUNK rows at a time: a sparse row-wise max would sort every
        # row, and a whole large batch at once would not fit in memory.
        for start in range(0, n, CHUNK):
            sims = x_word.rows(start, start + CHUNK).dot_sparse(self.matrix)
            best[start : start + CHUNK] = sims.argmax(axis=1)
            top[start : start + CHUNK] = sims[np.arange(len(sims)), best[start : start + CHUNK]]
        label = np.where(top > 0, self.labels[best], -1)
        return top.astype(np.float64), label

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The state as arrays."""
        m = self.matrix
        return {
            f"{prefix}data": m.data.astype(np.float32),
            f"{prefix}indices": m.indices.astype(np.int32),
            f"{prefix}indptr": m.indptr.astype(np.int64),
            f"{prefix}shape": np.asarray(m.shape, dtype=np.int64),
            f"{prefix}labels": self.labels,
        }

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> "Neighbours":
        """The state stored by :meth:`to_arrays`."""
        shape = tuple(int(v) for v in arrays[f"{prefix}shape"])
        matrix = Csr(
            np.asarray(arrays[f"{prefix}data"], dtype=np.float32),
            np.asarray(arrays[f"{prefix}indices"], dtype=np.int64),
            np.asarray(arrays[f"{prefix}indptr"], dtype=np.int64),
            (shape[0], shape[1]),
        )
        return cls(matrix, np.asarray(arrays[f"{prefix}labels"], dtype=np.int64))
