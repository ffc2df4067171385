"""Source health in plain words, for the dashboard panel and the disabled-source banner.

The monthly read caps are configuration, not stored: the composition root may put
``{source name: cap}`` in ``app.state`` under ``READ_CAPS_ATTR``; without it the
panel shows the reads without a cap.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from models.sources import current_error, month_key
from models.tables import SourceHealth
from models.vocab import SOURCE_STATE_LABELS, SourceState

READ_CAPS_ATTR = "aduan_read_caps"
#: how many platform usage figures the panel shows per source
USAGE_ITEMS = 6

ERRORS: dict[str, str] = {
    "SourceUnavailable": "Platform tidak dapat dihubungi atau sedang bermasalah.",
    "SourceDataError": "Jawaban platform (atau berkas) tidak dapat dibaca.",
    "RateLimited": "Platform meminta jeda karena terlalu banyak permintaan.",
    "BudgetExhausted": "Batas baca bulanan yang diatur sudah tercapai.",
    "CredentialsRejected": "Token atau kredensial ditolak platform; perlu diperbarui.",
    "MissingSecret": "Token atau rahasia sumber ini belum diatur.",
    "StoreError": "Basis data menolak penyimpanan (penuh, hanya-baca, atau tidak terjangkau).",
}


@dataclass(frozen=True)
class SourceView:
    """One source's line in the health panel."""

    source: str
    platform: str
    state: str
    state_text: str
    disabled: bool
    problem: bool
    last_success_at: datetime | None
    last_error_at: datetime | None
    #: the error in plain words, from its class
    error_text: str | None
    #: the error as the source reported it (untrusted text)
    error_detail: str | None
    disabled_reason: str | None
    rate_limited_until: datetime | None
    reads: int
    cap: int | None
    usage: list[tuple[str, str]]
    total_ingested: int

    @property
    def reads_percent(self) -> int | None:
        """Reads this month as a share of the cap, when there is one."""
        return round(100 * self.reads / self.cap) if self.cap else None


def read_caps(request: Request) -> Mapping[str, int]:
    """The configured monthly read caps, if the composition root provided them."""
    caps = getattr(request.app.state, READ_CAPS_ATTR, None)
    return caps if isinstance(caps, Mapping) else {}


def _usage(usage: Mapping[str, object], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in usage.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.extend(_usage(value, f"{name}."))
        elif isinstance(value, bool | int | float | str):
            out.append((name[:60], str(value)[:60]))
    return out


def source_view(health: SourceHealth, *, cap: int | None, now: datetime) -> SourceView:
    """*health* as the panel shows it; reads of a past month count as none."""
    reads = health.reads_this_month if health.reads_month == month_key(now) else 0
    error_class = health.last_error_class
    error = current_error(health)
    limited = health.rate_limited_until if health.state != SourceState.OK else None
    return SourceView(
        source=health.source,
        platform=health.platform,
        state=health.state,
        state_text=SOURCE_STATE_LABELS.get(health.state, health.state),
        disabled=health.state == SourceState.DISABLED,
        problem=health.state not in (SourceState.OK, SourceState.IDLE),
        last_success_at=health.last_success_at,
        last_error_at=health.last_error_at,
        error_text=ERRORS.get(error_class or "", "Galat lain.") if error else None,
        error_detail=error,
        disabled_reason=health.disabled_reason,
        rate_limited_until=limited,
        reads=reads,
        cap=cap,
        usage=_usage(health.usage or {})[:USAGE_ITEMS],
        total_ingested=health.total_ingested,
    )


def source_views(
    rows: list[SourceHealth], caps: Mapping[str, int], now: datetime
) -> list[SourceView]:
    """Every source's panel line, in the order given."""
    return [source_view(h, cap=caps.get(h.source), now=now) for h in rows]
