"""The Kominfo dashboard (``/``): volume, status, overdue, places, yearly report, health.

Viewers see aggregates only: no complaint text, no list of single complaints. The
overdue list needs READ_COMPLAINTS and the delivery panel RETRY_DELIVERY.
"""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from inbox.access import Forbidden, Permission, access, landing_page
from inbox.auth import CurrentUser
from inbox.dashboard_charts import VOLUME_TITLES, today_wita, window
from inbox.source_status import read_caps, source_views
from inbox.web import TEMPLATES, DbSession, whole_number, working_calendar
from lifecycle.escalation import recent_escalations
from lifecycle.incidents import recent_incidents
from lifecycle.reports import (
    count_overdue,
    overdue,
    overdue_step,
    report_total,
    response_figures,
    yearly_report,
)
from lifecycle.source_alerts import open_source_alerts
from models.agencies import list_agencies
from models.complaints import count_by_inbox_status
from models.dashboard import complaint_years, count_dead_letters, dead_letters, top_places
from models.mentions import count_by_state
from models.quarantine import quarantine_summary
from models.replies import disabled_accounts, reply_counts
from models.sources import all_health
from models.tables import User
from models.types import utcnow
from models.vocab import STATUS_LABELS, STEP_LABELS, ComplaintStatus

router = APIRouter(include_in_schema=False)

DAY_CHOICES = (7, 30, 90, 365)
OVERDUE_SHOWN = 50
#: closed incidents stay listed this many days
INCIDENT_DAYS = 14


def _choice(value: str | None, allowed: range | tuple[int, ...], default: int) -> int:
    """*value* as an int if it is one of *allowed*, else *default* (no 422 for a bad link)."""
    number = whole_number(value)
    return number if number is not None and number in allowed else default


def _notice(done: str | None, outbox: str | None) -> str | None:
    number = whole_number(outbox)
    if done == "retried" and number is not None:
        return f"Notifikasi #{number} dimasukkan lagi ke antrean pengiriman."
    return None


def _inbox_rows(db: Session, now_overdue: dict[str, int]) -> list[dict[str, Any]]:
    counts = count_by_inbox_status(session=db)
    return [
        {
            "agency": agency,
            "by_status": {s: counts.get((agency.code, s), 0) for s in ComplaintStatus},
            "total": sum(n for (code, _), n in counts.items() if code == agency.code),
            "overdue": now_overdue.get(agency.code, 0),
        }
        for agency in list_agencies(session=db)
    ]


def render_dashboard(
    request: Request,
    db: Session,
    user: User,
    *,
    year: int | None = None,
    days: int = 30,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The dashboard page, with an optional confirmation or error message."""
    now = utcnow()
    this_year = today_wita().year
    first, last = complaint_years(session=db) or (this_year, this_year)
    years = list(range(max(last, this_year), min(first, this_year) - 1, -1))
    year = year if year in years else this_year
    report = yearly_report(session=db, year=year)
    calendar = working_calendar(request)
    response = response_figures(session=db, calendar=calendar, year=year, now=now)
    since, _ = window(days, now)
    can = {p.value: access.can(user, p) for p in Permission}
    overdue_by_inbox = count_overdue(session=db, now=now)
    late = overdue(session=db, now=now, limit=OVERDUE_SHOWN) if can["read_complaints"] else []
    sources = source_views(all_health(session=db), read_caps(request), now)
    context = {
        "notice": notice,
        "error": error,
        "can": can,
        "days": days,
        "day_choices": DAY_CHOICES,
        "volume_charts": VOLUME_TITLES,
        "statuses": list(ComplaintStatus),
        "status_labels": STATUS_LABELS,
        "rows": _inbox_rows(db, overdue_by_inbox),
        "mentions": count_by_state(session=db),
        "overdue_total": sum(overdue_by_inbox.values()),
        "overdue": [(c, STEP_LABELS.get(overdue_step(c, now) or "", "-")) for c in late],
        "places": top_places(session=db, since=since),
        "year": year,
        "years": years,
        "report": report,
        "report_total": report_total(report),
        "figures": {r.inbox: r for r in response.yearly},
        "monthly": response.monthly,
        "sources": sources,
        "disabled_sources": [s for s in sources if s.disabled],
        "quarantine": quarantine_summary(session=db),
        "incidents": recent_incidents(session=db, since=now - timedelta(days=INCIDENT_DAYS)),
        "incident_days": INCIDENT_DAYS,
        "escalations": recent_escalations(session=db) if can["read_complaints"] else [],
        "source_alerts": open_source_alerts(session=db),
        "dead": dead_letters(session=db) if can["retry_delivery"] else [],
        "dead_total": count_dead_letters(session=db),
        "reply_counts": reply_counts(session=db),
        "reply_disabled": disabled_accounts(session=db),
    }
    return TEMPLATES.TemplateResponse(request, "dashboard.html", context, status_code=status_code)


@router.get("/", response_class=HTMLResponse, response_model=None)
def dashboard(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    year: str | None = None,
    days: str | None = None,
    done: str | None = None,
    outbox: str | None = None,
) -> HTMLResponse | RedirectResponse:
    """The city dashboard; agency staff are sent to their inbox instead."""
    if not access.can(user, Permission.DASHBOARD):
        # Agency staff have no city overview: their inbox is their home page.
        home = landing_page(user)
        if home == "/":
            raise Forbidden()
        return RedirectResponse(home, status_code=303)
    return render_dashboard(
        request,
        db,
        user,
        year=_choice(year, range(2000, 2101), 0) or None,
        days=_choice(days, DAY_CHOICES, 30),
        notice=_notice(done, outbox),
    )
