"""Sparse rows with numpy alone: the same products as scipy, and no scipy when classifying."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from classifier.csr import SCIPY_FROM_ROWS, Csr, hstack


def _random(rows: int, cols: int, density: float, seed: int) -> sparse.csr_matrix:
    m = sparse.random(rows, cols, density=density, format="csr", random_state=seed)
    m = m.astype(np.float32).tolil()
    m[3, :] = 0  # an empty row, as a text with no known term gives
    return m.tocsr()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rows", [37, SCIPY_FROM_ROWS + 5])  # numpy's products, then scipy's
def test_products_and_joins_match_scipy(seed: int, rows: int) -> None:
    a, b = _random(rows, 50, 0.1, seed), _random(rows, 20, 0.2, seed + 100)
    weights = np.random.default_rng(seed).normal(size=(70, 5)).astype(np.float32)
    other = _random(50, 30, 0.1, seed + 7)
    joined = hstack([Csr.of(a), Csr.of(b)])
    assert np.allclose(joined.to_scipy().toarray(), sparse.hstack([a, b]).toarray())
    assert np.allclose(joined.dot(weights), sparse.hstack([a, b]) @ weights, atol=1e-5)
    assert np.allclose(Csr.of(a).dot_sparse(Csr.of(other)), (a @ other).toarray(), atol=1e-6)
    assert np.allclose(Csr.of(a).rows(2, 20).dot(weights[:50]), a[2:20] @ weights[:50], atol=1e-5)


def test_products_of_rows_without_entries() -> None:
    empty = Csr.of(sparse.csr_matrix((4, 6), dtype=np.float32))
    assert not empty.dot(np.ones((6, 2), dtype=np.float32)).any()
    assert not empty.dot_sparse(Csr.of(_random(6, 3, 0.5, 1))).any()


def test_classifying_does_not_import_scipy(model_dir: Path) -> None:
    # `aduan classify` pays for every import at start-up; scipy.sparse alone is a few
    # tenths of a second
    code = (
        "import sys; from pathlib import Path; from classifier.model import load_active; "
        f"p = load_active(Path({str(model_dir)!r})); "
        "print(p.predict(['air pdam mati tiga hari di sesetan'])[0].category); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'sklearn')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    category, loaded = result.stdout.splitlines()
    assert category == "PDAM"
    assert loaded == "[]"


def test_ready_for_batches_imports_scipy_only_for_batches_that_use_it() -> None:
    code = (
        "import sys; from classifier.csr import SCIPY_FROM_ROWS, ready_for_batches; "
        "ready_for_batches(SCIPY_FROM_ROWS - 1); print('scipy.sparse' in sys.modules); "
        "ready_for_batches(SCIPY_FROM_ROWS); print('scipy.sparse' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]
