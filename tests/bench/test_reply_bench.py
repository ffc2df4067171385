"""The reply benchmark (bench/reply_bench.py) on a few filings, so it does not rot."""

from pathlib import Path

from bench import reply_bench
from models.vocab import ReplyChannel
from notify.replies import ReplyAccount, ReplyPolicy


def test_each_variant_files_every_mention(tmp_path: Path) -> None:
    account = ReplyAccount(source="bench", channel=ReplyChannel.LOG, mode="auto")
    replies = ReplyPolicy(accounts={"bench": account}, tracking_url="https://a.id/lacak/")
    for n, (policy, counter) in enumerate(((None, False), (None, True), (replies, True))):
        rate = reply_bench.run(f"sqlite:///{tmp_path / f'{n}.db'}", 5, policy, counter=counter)
        assert rate > 0  # run() itself asserts that all five were filed
