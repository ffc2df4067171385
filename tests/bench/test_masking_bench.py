"""The masking benchmark (bench/masking_bench.py) on a few texts, so it does not rot."""

from bench import masking_bench


def test_the_benchmark_reads_every_text_and_times_csv_rows() -> None:
    texts = masking_bench.texts()
    assert len(texts) > 5000
    assert masking_bench.per_second(texts[:20]) > 0
    assert masking_bench.csv_rows(texts[:20]) > 0
