"""Compressed sparse rows with numpy alone, for classifying without importing scipy.

Importing ``scipy.sparse`` costs a few tenths of a second (more on a busy machine),
which ``aduan classify "text"`` pays at every start. A prediction needs only three
operations on sparse feature rows: joining blocks side by side, multiplying by a dense
weight matrix, and multiplying by the sparse nearest-text matrix. They are done here on
the same three arrays scipy's CSR format uses (``data``, ``indices``, ``indptr``), so
training can hand the rows to scikit-learn unchanged (:meth:`Csr.to_scipy`).

For a batch of :data:`SCIPY_FROM_ROWS` rows or more the products are left to scipy after
all: its compiled loops are faster than numpy's gather-and-sum (about a tenth more
mentions per second in ``bench/classifier_bench.py``), and such a batch pays the import
once.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

#: batches with at least this many rows multiply with scipy (imported then, once)
SCIPY_FROM_ROWS = 64


def ready_for_batches(rows: int) -> None:
    """Import scipy now if batches of *rows* rows will multiply with it.

    For a process that classifies in batches (the daemon's routing): it pays the import
    while starting, not in the first batch it classifies.
    """
    if rows >= SCIPY_FROM_ROWS:
        import scipy.sparse  # noqa: F401


@dataclass(frozen=True)
class Csr:
    """Rows of a sparse matrix: row r holds ``data[indptr[r]:indptr[r+1]]`` at ``indices``."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def of(cls, matrix: Any) -> "Csr":
        """The rows of a scipy sparse matrix."""
        m = matrix.tocsr()
        m.sort_indices()
        return cls(m.data, m.indices.astype(np.int64), m.indptr.astype(np.int64), m.shape)

    def to_scipy(self) -> Any:
        """The same rows as a ``scipy.sparse.csr_matrix`` (for fitting)."""
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    @property
    def row_lengths(self) -> np.ndarray:
        """Number of stored entries of each row."""
        return np.diff(self.indptr)

    def rows(self, start: int, stop: int) -> "Csr":
        """Rows ``start:stop``."""
        stop = min(stop, self.shape[0])
        low, high = self.indptr[start], self.indptr[stop]
        return Csr(
            self.data[low:high],
            self.indices[low:high],
            self.indptr[start : stop + 1] - low,
            (stop - start, self.shape[1]),
        )

    def dot(self, dense: np.ndarray) -> np.ndarray:
        """The rows times a dense (columns x k) matrix: a dense (rows x k) matrix."""
        n = self.shape[0]
        if n >= SCIPY_FROM_ROWS:
            return np.asarray(self.to_scipy() @ dense)
        out = np.zeros((n, dense.shape[1]), dtype=np.result_type(self.data, dense))
        filled = np.flatnonzero(self.row_lengths)
        if len(filled):
            products = self.data[:, None] * dense[self.indices]
            out[filled] = np.add.reduceat(products, self.indptr[filled], axis=0)
        return out

    def dot_sparse(self, other: "Csr") -> np.ndarray:
        """The rows times another sparse (columns x m) matrix, as a dense (rows x m) matrix."""
        n, m = self.shape[0], other.shape[1]
        if n >= SCIPY_FROM_ROWS:
            return np.asarray((self.to_scipy() @ other.to_scipy()).toarray(), dtype=np.float64)
        starts = other.indptr[self.indices]
        lengths = other.indptr[self.indices + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros((n, m), dtype=np.float64)
        # positions in `other` of every entry of every row this matrix's entries select
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        row_of_entry = np.repeat(np.arange(n, dtype=np.int64), self.row_lengths)
        keys = np.repeat(row_of_entry * m, lengths) + other.indices[offsets]
        values = np.repeat(self.data, lengths) * other.data[offsets]
        return np.bincount(keys, weights=values, minlength=n * m).reshape(n, m)


def hstack(blocks: list[Csr]) -> Csr:
    """Blocks with the same rows, side by side."""
    if len(blocks) == 1:
        return blocks[0]
    n = blocks[0].shape[0]
    lengths = np.column_stack([b.row_lengths for b in blocks])
    indptr = np.concatenate([[0], np.cumsum(lengths.sum(axis=1))]).astype(np.int64)
    data = np.empty(indptr[-1], dtype=np.result_type(*(b.data for b in blocks)))
    indices = np.empty(indptr[-1], dtype=np.int64)
    # where each block's part of each row starts in the joined row
    before = np.cumsum(lengths, axis=1) - lengths
    offset = 0
    for k, b in enumerate(blocks):
        within = np.arange(len(b.data)) - np.repeat(b.indptr[:-1], b.row_lengths)
        at = np.repeat(indptr[:-1] + before[:, k], b.row_lengths) + within
        data[at] = b.data
        indices[at] = b.indices + offset
        offset += b.shape[1]
    return Csr(data, indices, indptr, (n, offset))
