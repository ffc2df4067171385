"""Web benchmark: the inbox list page and the dashboard over 100,000 complaints.

Fills a fresh store (an SQLite file, and a fresh PostgreSQL database when the server is
reachable) with complaints spread the way two years of Denpasar's complaints would be:
15-odd inboxes, old complaints mostly closed and recent ones open, deadlines set (some
missed), places filled for most, each complaint with its origin mention and a history.
Then times, through the real app (FastAPI TestClient, signed in as an agency user and
as an admin), the agency inbox page with the filters of the inbox issue (status,
category, kecamatan, dari, sampai, platform, overdue=1, q, sort, page) and the dashboard,
and the same inbox filter through ``search_complaints`` directly, so the page's own cost
shows beside the query's. Each figure is the median and p95 of --requests requests
after --warmup unmeasured ones; the HTTP status of each page is printed, so a page that
does not (yet) take a parameter, or answers an error, is visible rather than fatal.
Target (issue): a filtered inbox page under 150 ms on SQLite and on PostgreSQL.

The agency desk (issue 16) is timed as the agency user uses it: "Pengaduan saya" (open,
and with the finished ones), each saved view as its navigation link opens it (every
page also counts the views for the navigation), the workload page, the per-petugas
response-time report (a report page: shown, not held to the target) and a bulk CSV
export of MAX_BULK ticked complaints. Their p95 is also
printed as a ratio of the unfiltered inbox page's p95 measured in the same run, and the
load average (``os.getloadavg``) before and after each store, since the machine may be
shared.

Run: .venv/bin/python bench/web_bench.py [--complaints 100000] [--store sqlite|postgresql|both]
     [--requests 20] [--warmup 2] [--seed 7] [--revision head] [--strict]
     [--db-prefix aduan_webbench]
"""

import argparse
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import insert, inspect, text, update
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from aduan.settings import Settings, load_settings
from aduan.wiring import policy_for
from inbox.app import create_app
from inbox.sessions import AuthConfig
from lifecycle.bulk import MAX_BULK
from lifecycle.reports import count_overdue, overdue, yearly_report
from models.accounts import create_account
from models.agencies import sync_agencies
from models.complaint_search import (
    ComplaintFilter,
    ComplaintPage,
    search_complaints,
    status_counts,
)
from models.complaint_view import kecamatan_choices
from models.complaints import count_by_inbox_status
from models.credentials import generate_password
from models.dashboard import complaint_years, status_totals, top_places, volume_by_day
from models.db import make_engine, session_scope
from models.mentions import count_by_state
from models.migrate import current_revision, upgrade
from models.public_number import format_number
from models.saved_views import save_view
from models.tables import Agency, Complaint, ComplaintMention, Mention, StatusChange, User
from models.types import utcnow
from models.vocab import ComplaintStatus, MentionState
from models.wita import WITA
from router.location import Gazetteer
from router.policy import RoutingPolicy

with warnings.catch_warnings():
    # Starlette's test client announces its move to httpx2: not this bench's business.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 150.0
#: the agency whose inbox is measured (the largest), its user, and an admin
AGENCY = "PDAM"
AGENCY_USER = "staf.pdam"
ADMIN_USER = "admin.kominfo"
SECRET_KEY = b"web-bench-cookie-key-" + uuid.uuid4().hex.encode()

S = ComplaintStatus

# --- what the store is filled with -------------------------------------------------

#: category -> share of complaints (percent, roughly as the city's channels see them)
CATEGORY_WEIGHTS: dict[str, int] = {
    "PDAM": 17,
    "LPJU": 11,
    "DLHK": 14,
    "PUPR": 13,
    "DISHUB": 9,
    "SATPOLPP": 6,
    "DISDUKCAPIL": 5,
    "DINKES": 4,
    "DISDIK": 3,
    "PLN": 6,
    "DINSOS": 3,
    "BPBD_DAMKAR": 2,
    "PERIZINAN": 2,
    "OTHER": 5,
}
#: share of PUPR complaints about roads the city does not own (forwarded outside)
FOREIGN_ROAD_SHARE = 0.12
PLATFORMS = (("twitter", 45), ("facebook", 30), ("instagram", 25))
STREETS = (
    "Jalan Gatot Subroto",
    "Jalan Teuku Umar",
    "Jalan Diponegoro",
    "Jalan Hayam Wuruk",
    "Jalan Raya Sesetan",
    "Jalan Cokroaminoto",
    "Jalan Imam Bonjol",
    "Jalan Raya Puputan",
    "Jalan Tukad Badung",
    "Jalan Nangka Utara",
    "Jalan Gunung Agung",
    "Jalan Kebo Iwa",
    "Jalan Pulau Bali",
    "Jalan Sudirman",
    "Jalan WR Supratman",
    "Jalan Tukad Pakerisan",
)
#: category -> complaint texts; {where} is a place ("di Sesetan") or empty
TEXTS: dict[str, tuple[str, ...]] = {
    "PDAM": (
        "air PDAM mati dari pagi{where}, mandi pun tidak bisa",
        "pipa bocor{where} sudah tiga hari, air terbuang percuma",
        "air keruh dan bau kaporit{where}, tolong dicek",
        "tekanan air kecil sekali{where} tiap sore",
    ),
    "LPJU": (
        "lampu jalan mati{where}, gelap sekali kalau malam",
        "PJU berkedip-kedip{where} sudah seminggu",
        "tiang lampu miring hampir roboh{where}",
    ),
    "DLHK": (
        "sampah menumpuk{where} belum diangkut, bau sekali",
        "TPS penuh{where}, sampah sampai ke jalan",
        "ada yang buang sampah sembarangan ke sungai{where}",
    ),
    "PUPR": (
        "jalan berlubang besar{where}, bahaya buat pemotor",
        "got mampet{where}, tiap hujan banjir",
        "trotoar rusak{where}, pejalan kaki susah lewat",
    ),
    "DISHUB": (
        "lampu merah mati{where}, lalu lintas kacau",
        "parkir liar{where} bikin macet tiap sore",
        "rambu dilarang parkir hilang{where}",
    ),
    "SATPOLPP": (
        "pedagang berjualan di trotoar{where}",
        "baliho liar dipasang{where} menutupi rambu",
        "bangunan tanpa izin berdiri{where}",
    ),
    "DISDUKCAPIL": (
        "KTP elektronik belum jadi sudah tiga bulan",
        "antrean di kantor capil panjang sekali, sistem offline",
    ),
    "DINKES": (
        "puskesmas{where} tutup lebih awal dari jadwal",
        "banyak jentik nyamuk{where}, takut demam berdarah",
    ),
    "DISDIK": ("pungutan di sekolah{where} memberatkan orang tua",),
    "PLN": (
        "listrik padam{where} dari jam 2 belum menyala",
        "kabel listrik menjuntai rendah{where}, bahaya",
    ),
    "DINSOS": ("ada gelandangan tidur di emperan{where}, mohon dibantu",),
    "BPBD_DAMKAR": (
        "pohon tumbang menutup jalan{where}",
        "genangan banjir setinggi lutut{where}",
    ),
    "PERIZINAN": ("izin usaha saya belum keluar sudah sebulan lebih",),
    "OTHER": (
        "pelayanan di kantor desa{where} lambat sekali",
        "mohon perhatian pemkot soal masalah{where} ini",
    ),
}
ENDINGS = (
    "",
    " mohon segera ditindaklanjuti",
    " sudah lapor tapi belum ada respon",
    " tolong @pemkotdenpasar",
    " #prodenpasar",
    " terima kasih",
    " parah!!",
)
#: (age in days below which, status weights baru/respon_awal/ditindaklanjuti/selesai/bw)
STATUS_BY_AGE: tuple[tuple[float, tuple[int, int, int, int, int]], ...] = (
    (3, (55, 25, 10, 5, 5)),
    (14, (15, 25, 25, 30, 5)),
    (60, (4, 8, 18, 68, 2)),
    (math.inf, (1, 3, 4, 91, 1)),
)
STATUS_ORDER = (S.BARU, S.RESPON_AWAL, S.DITINDAKLANJUTI, S.SELESAI, S.BUKAN_WEWENANG)
CHUNK = 5_000


@dataclass(frozen=True)
class World:
    """The configured city: inboxes, category map, places and deadlines."""

    agencies: list[Agency]
    policy: RoutingPolicy
    desa: list[tuple[str, str]]  # (desa, its kecamatan)
    kecamatan: tuple[str, ...]


def load_world() -> World:
    """The bundled config's agencies and policy, and the gazetteer's places."""
    settings: Settings = load_settings(ROOT / "config.yaml")
    gazetteer = Gazetteer.for_region(settings.location.region, settings.location.places)
    return World(
        agencies=[Agency.model_validate(a.model_dump()) for a in settings.agencies],
        policy=policy_for(settings),
        desa=sorted((n, a.kecamatan) for n, a in gazetteer.desa.items() if a.kecamatan),
        kecamatan=gazetteer.kecamatan,
    )


class Generator:
    """Rows for complaint number *i*, its origin mention, its link and its history."""

    def __init__(self, world: World, now: datetime, seed: int) -> None:
        self.world = world
        self.now = now
        self.rnd = random.Random(seed)
        self.categories = list(CATEGORY_WEIGHTS)
        self.cat_weights = list(CATEGORY_WEIGHTS.values())
        self.platforms = [p for p, _ in PLATFORMS]
        self.platform_weights = [w for _, w in PLATFORMS]
        self.handles = [f"warga_{self.rnd.randrange(10**6):06d}" for _ in range(20_000)]
        self._deadlines: dict[date, tuple[datetime, datetime]] = {}

    def deadlines(self, filed_at: datetime) -> tuple[datetime | None, datetime | None]:
        """(respond by, follow up by) as the policy sets them; they depend on the local day."""
        if self.world.policy.deadlines is None:
            return None, None
        day = filed_at.astimezone(WITA).date()
        if day not in self._deadlines:
            self._deadlines[day] = self.world.policy.deadlines(filed_at)
        return self._deadlines[day]

    def rows(self, i: int) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        """(mention row, complaint row, status change rows) for complaint *i* (ids are i)."""
        rnd = self.rnd
        # Two years, denser towards now (the channels grew); a few minutes harvest delay.
        age = timedelta(days=730 * rnd.random() ** 1.6, seconds=rnd.randrange(86_400))
        posted = self.now - age - timedelta(minutes=20)
        fetched = posted + timedelta(minutes=rnd.randint(2, 15), seconds=rnd.randrange(60))
        filed = fetched + timedelta(seconds=rnd.randint(1, 30))
        category = rnd.choices(self.categories, self.cat_weights)[0]
        inbox = self.world.policy.inbox_for(category)
        reason = f"kategori {category} (model)"
        if category == "PUPR" and rnd.random() < FOREIGN_ROAD_SHARE:
            inbox = rnd.choice(("BPJN", "PUPR_PROV"))
            reason = f"jalan bukan milik kota: {inbox}"

        kecamatan = desa = street = span = None
        r = rnd.random()
        if r < 0.70:
            desa, kecamatan = rnd.choice(self.world.desa)
            span = desa
        elif r < 0.85:
            kecamatan = rnd.choice(self.world.kecamatan)
            span = kecamatan
        if kecamatan and rnd.random() < 0.4:
            street = rnd.choice(STREETS)
            span = f"{street} {span}"
        where = f" di {span}" if span else ""
        words = rnd.choice(TEXTS[category]).format(where=where) + rnd.choice(ENDINGS)
        platform = rnd.choices(self.platforms, self.platform_weights)[0]
        handle = rnd.choice(self.handles)
        confidence = round(rnd.uniform(0.6, 0.99), 3)
        terms = [w for w in words.split()[:3] if w.isalpha()]

        status = self._status(age.days)
        respond_by, follow_up_by = self.deadlines(filed)
        steps = self._steps(status, filed)
        staff = f"staf.{inbox.lower()}"
        if status == S.BUKAN_WEWENANG:  # refused: back to Kominfo's triage inbox
            inbox = self.world.policy.triage_inbox
        at = {to: when for _, to, when in steps}
        mention = {
            "id": i,
            "platform": platform,
            "platform_id": f"{platform[:2]}{900_000_000 + i}",
            "source": f"bench-{platform}",
            "author_handle": handle,
            "author_name": handle.replace("_", " ").title(),
            "text": words,
            "url": f"https://{platform}.com/{handle}/{900_000_000 + i}",
            "created_at": posted,
            "conversation_id": str(900_000_000 + i),
            "reply_to_id": None,
            "fetched_at": fetched,
            "raw": {"id": str(900_000_000 + i), "text": words, "user": {"username": handle}},
            "state": MentionState.FILED,
            "category": category,
            "confidence": confidence,
            "abstained": False,
            "model_id": "bench",
            "terms": terms,
            "routed_at": filed,
        }
        complaint = {
            "id": i,
            # unique like the real ones; the sequence runs over all years (a bench world)
            "public_number": format_number("DPS", filed.astimezone(WITA).year, i),
            "origin_mention_id": i,
            "category": category,
            "inbox": inbox,
            "confidence": confidence,
            "routed_by": "model:bench",
            "status": status,
            "route_reason": reason,
            "terms": terms,
            "kecamatan": kecamatan,
            "desa": desa,
            "street": street,
            "location_span": span,
            "inside_city": True if span else None,
            "reporters": 1,
            "respond_by": respond_by,
            "follow_up_by": follow_up_by,
            "responded_at": at.get(S.RESPON_AWAL),
            "followed_up_at": at.get(S.DITINDAKLANJUTI),
            "resolved_at": at.get(S.SELESAI),
            "created_at": filed,
            "updated_at": steps[-1][2],
        }
        history = [
            {
                "complaint_id": i,
                "actor": "router" if old is None else staff,
                "at": when,
                "from_status": old,
                "to_status": new,
                "note": "filed" if old is None else "",
            }
            for old, new, when in steps
        ]
        return mention, complaint, history

    def _status(self, age_days: int) -> str:
        for limit, weights in STATUS_BY_AGE:
            if age_days < limit:
                return self.rnd.choices(STATUS_ORDER, weights)[0]
        raise AssertionError("the last age band is unbounded")

    def _steps(self, status: str, filed: datetime) -> list[tuple[str | None, str, datetime]]:
        """The status changes leading to *status*: (from, to, at), in order, before now."""
        steps: list[tuple[str | None, str, datetime]] = [(None, S.BARU, filed)]
        path = {
            S.BARU: (),
            S.RESPON_AWAL: (S.RESPON_AWAL,),
            S.DITINDAKLANJUTI: (S.RESPON_AWAL, S.DITINDAKLANJUTI),
            S.SELESAI: (S.RESPON_AWAL, S.DITINDAKLANJUTI, S.SELESAI),
            S.BUKAN_WEWENANG: (S.BUKAN_WEWENANG,),
        }[S(status)]
        at = filed
        for k, step in enumerate(path, 1):
            gap = timedelta(hours=self.rnd.uniform(1, 24 * 5))
            # a recent complaint's steps crowd just before now, still one after another
            at = min(at + gap, self.now - timedelta(seconds=len(path) - k + 1))
            steps.append((steps[-1][1], step, at))
        return steps


@dataclass
class FillStats:
    complaints: int = 0
    mentions: int = 0
    links: int = 0
    status_changes: int = 0
    seconds: float = 0.0


def fill(
    engine: Engine, n: int, world: World, now: datetime, seed: int, progress: Progress | None = None
) -> FillStats:
    """Insert *n* complaints with their mentions, links and history (Core bulk inserts)."""
    with session_scope(engine) as session:
        sync_agencies(session=session, agencies=world.agencies)
    gen = Generator(world, now, seed)
    stats = FillStats()
    task = progress.add_task("filling", total=n) if progress else None
    started = time.perf_counter()
    for first in range(1, n + 1, CHUNK):
        mentions, complaints, links, history = [], [], [], []
        for i in range(first, min(first + CHUNK, n + 1)):
            mention, complaint, changes = gen.rows(i)
            mentions.append(mention)
            complaints.append(complaint)
            links.append(
                {
                    "mention_id": i,
                    "complaint_id": i,
                    "linked_at": complaint["created_at"],
                    "reason": "origin",
                }
            )
            history.extend(changes)
        with engine.begin() as conn:
            conn.execute(insert(Mention), mentions)
            conn.execute(insert(Complaint), complaints)
            conn.execute(insert(ComplaintMention), links)
            conn.execute(insert(StatusChange), history)
        stats.mentions += len(mentions)
        stats.complaints += len(complaints)
        stats.links += len(links)
        stats.status_changes += len(history)
        if progress is not None and task is not None:
            progress.advance(task, len(complaints))
    _after_bulk_load(engine)
    stats.seconds = time.perf_counter() - started
    return stats


def _after_bulk_load(engine: Engine) -> None:
    """Leave the store as a long-running one would be.

    PostgreSQL: explicit ids leave the sequences behind, and autovacuum would soon
    vacuum and analyze the new rows (statistics, and the visibility map that index-only
    scans need), so that is done now. SQLite gets no ANALYZE: the app never runs one, so
    its planner works without statistics in production too.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("mention", "complaint", "status_change"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def describe(engine: Engine, now: datetime) -> str:
    """The filled store in a line: server, text search index, statuses, overdue, inbox."""
    with Session(engine) as session:
        statuses = status_totals(session=session)
        late = sum(count_overdue(session=session, now=now).values())
        inbox = sum(status_totals(session=session, inbox=AGENCY).values())
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            server = f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()}"
        else:
            server = f"SQLite {conn.exec_driver_sql('SELECT sqlite_version()').scalar()}"
    revision = current_revision(engine)
    trigram = any(
        ix["name"] == "ix_mention_text_trgm" for ix in inspect(engine).get_indexes("mention")
    )
    spread = ", ".join(f"{s} {statuses.get(s, 0):,}" for s in STATUS_ORDER)
    return (
        f"{server}, schema {revision}; text search index (pg_trgm): "
        f"{'yes' if trigram else 'no'}; {spread}; "
        f"overdue now {late:,}; inbox {AGENCY} {inbox:,}"
    )


# --- measuring ---------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    status: int | None = None
    size: int | None = None


def measure(call: Callable[[], Any], requests: int, warmup: int) -> tuple[Timing, Any]:
    """Median and p95 (nearest rank) of *requests* calls after *warmup* unmeasured ones."""
    result: Any = None
    for _ in range(warmup):
        result = call()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[max(0, math.ceil(0.95 * len(samples)) - 1)]
    return Timing(statistics.median(samples), p95), result


@dataclass(frozen=True)
class Case:
    """One inbox page request and the same filter as a query."""

    label: str
    params: dict[str, str]
    filter: ComplaintFilter
    as_admin: bool = False


@dataclass
class Row:
    label: str
    page: Timing | None = None
    #: search_complaints for an inbox page, else the data function itself
    query: Timing | None = None
    #: status_counts with the page's filter (the page's other filtered query)
    counts: Timing | None = None
    matched: int | None = None
    inbox_page: bool = False


def inbox_cases(now: datetime) -> list[Case]:
    """The filters of the inbox issue, on the largest agency inbox."""
    today = now.astimezone(WITA).date()
    dari, sampai = today - timedelta(days=120), today - timedelta(days=90)
    since = datetime.combine(dari, clock(), tzinfo=WITA).astimezone(UTC)
    until = datetime.combine(sampai + timedelta(days=1), clock(), tzinfo=WITA).astimezone(UTC)
    base = ComplaintFilter(inbox=AGENCY)

    def case(label: str, params: dict[str, str], admin: bool = False, **kw: Any) -> Case:
        return Case(label, params, ComplaintFilter(inbox=AGENCY, **kw), as_admin=admin)

    return [
        Case("unfiltered", {}, base),
        Case("unfiltered (admin)", {}, base, as_admin=True),
        case("status=baru", {"status": "baru"}, status="baru"),
        case(
            "status=selesai + kecamatan",
            {"status": "selesai", "kecamatan": "Denpasar Selatan"},
            status="selesai",
            kecamatan="Denpasar Selatan",
        ),
        case(
            "dari..sampai (31 days)",
            {"dari": dari.isoformat(), "sampai": sampai.isoformat()},
            since=since,
            until=until,
        ),
        case("overdue=1", {"overdue": "1"}, overdue=True),
        case("q=bocor", {"q": "bocor"}, text="bocor"),
        case("platform=instagram", {"platform": "instagram"}, platform="instagram"),
        case(
            "category=PDAM + status",
            {"category": "PDAM", "status": "respon_awal"},
            admin=True,
            category="PDAM",
            status="respon_awal",
        ),
        case("sort=deadline", {"sort": "deadline"}, sort="deadline"),
        case("page=50", {"page": "50"}, page=50),
    ]


def sign_in(client: TestClient, username: str, password: str) -> int:
    """Sign in through the form (its CSRF cookie first); the HTTP status of the post."""
    client.get("/login")
    token = client.cookies.get("aduan_login") or ""
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data).status_code


def signed_in_clients(engine: Engine, policy: RoutingPolicy) -> tuple[TestClient, TestClient]:
    """(agency user's client, admin's client) of the real app."""
    app = create_app(engine, auth_config=AuthConfig(secret_key=SECRET_KEY), policy=policy)
    clients = []
    for username, role, agency in ((AGENCY_USER, "agency", AGENCY), (ADMIN_USER, "admin", None)):
        password = generate_password()
        with session_scope(engine) as session:
            create_account(
                session=session, username=username, role=role, password=password, agency_code=agency
            )
        client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
        status = sign_in(client, username, password)
        if status not in (200, 303):
            raise SystemExit(f"signing in as {username} answered HTTP {status}")
        clients.append(client)
    return clients[0], clients[1]


def time_page(
    client: TestClient, path: str, params: dict[str, str], requests: int, warmup: int
) -> Timing:
    timing, response = measure(lambda: client.get(path, params=params), requests, warmup)
    return Timing(timing.median_ms, timing.p95_ms, response.status_code, len(response.content))


#: the CSRF token as pages embed it in their forms
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def time_export(client: TestClient, engine: Engine, requests: int, warmup: int) -> Timing:
    """The bulk CSV export of the agency's MAX_BULK newest complaints, ticked."""
    found = CSRF.search(client.get(f"/inbox/{AGENCY}").text)
    if found is None:
        raise SystemExit("no CSRF token on the inbox page: cannot post the bulk export")
    with Session(engine) as session:
        ids = session.exec(
            select(Complaint.id)
            .where(Complaint.inbox == AGENCY)
            .order_by(col(Complaint.id).desc())
            .limit(MAX_BULK)
        ).all()
    data = {"csrf_token": found.group(1), "cakupan": "pilihan", "id": [str(i) for i in ids]}
    timing, response = measure(
        lambda: client.post("/complaints/massal/ekspor.csv", data=data), requests, warmup
    )
    return Timing(timing.median_ms, timing.p95_ms, response.status_code, len(response.content))


def searcher(
    f: ComplaintFilter, now: datetime, counts: dict[str, int]
) -> Callable[[Session], ComplaintPage]:
    """``search_complaints`` with *f* as the page runs it: the total from *counts*."""
    return lambda session: search_complaints(session=session, filter=f, now=now, counts=counts)


def counter(f: ComplaintFilter, now: datetime) -> Callable[[Session], dict[str, int]]:
    """``status_counts`` with *f*, for ``time_query``."""
    return lambda session: status_counts(session=session, filter=f, now=now)


def time_query(
    engine: Engine, run: Callable[[Session], Any], requests: int, warmup: int
) -> tuple[Timing, Any]:
    """A data function in its own session, as a request would run it."""

    def call() -> Any:
        with Session(engine) as session:
            return run(session)

    return measure(call, requests, warmup)


#: the agency user's saved views (issue 16): shown with live counts on every page of theirs
DESK_VIEWS: dict[str, dict[str, str]] = {
    "Baru": {"status": "baru"},
    "Terlambat, terlama dulu": {"overdue": "1", "sort": "oldest"},
}


def desk(engine: Engine) -> None:
    """A third of the agency's complaints assigned to its user, and the user's saved views."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.username == AGENCY_USER)).one()
        session.execute(
            update(Complaint)
            .where(col(Complaint.inbox) == AGENCY, col(Complaint.id) % 3 == 0)
            .values(assignee_id=user.id)
        )
        for name, filters in DESK_VIEWS.items():
            save_view(
                session=session, user=user, name=name, inbox=AGENCY, filters=filters, shared=True
            )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE complaint"))


def bench_store(
    engine: Engine,
    world: World,
    now: datetime,
    requests: int,
    warmup: int,
    progress: Progress | None = None,
) -> list[Row]:
    """Every timing on one filled store."""
    agency_client, admin_client = signed_in_clients(engine, world.policy)
    # A store at an older --revision has no agency desk to time.
    has_desk = inspect(engine).has_table("saved_view")
    if has_desk:
        desk(engine)
    cases = inbox_cases(now)
    month = now - timedelta(days=30)
    # The dashboard's data functions (and its volume chart's), and the inbox page's
    # kecamatan choices; the count column is what each returned.
    queries: list[tuple[str, Callable[[Session], Any], Callable[[Any], int | None]]] = [
        ("complaint_years", lambda s: complaint_years(session=s), lambda r: None),
        (
            f"yearly_report ({now.year})",
            lambda s: yearly_report(session=s, year=now.year),
            lambda r: sum(row.received for row in r),
        ),
        ("count_overdue", lambda s: count_overdue(session=s, now=now), lambda r: sum(r.values())),
        ("overdue (50 longest)", lambda s: overdue(session=s, now=now, limit=50), len),
        (
            "count_by_inbox_status",
            lambda s: count_by_inbox_status(session=s),
            lambda r: sum(r.values()),
        ),
        (
            "count_by_state (mentions)",
            lambda s: count_by_state(session=s),
            lambda r: sum(r.values()),
        ),
        ("top_places (30 days)", lambda s: top_places(session=s, since=month), len),
        (
            "volume_by_day (chart, 30 days)",
            lambda s: volume_by_day(session=s, since=month, by="category"),
            lambda r: sum(sum(d.values()) for d in r.values()),
        ),
        (
            f"kecamatan_choices ({AGENCY})",
            lambda s: kecamatan_choices(session=s, inbox=AGENCY),
            len,
        ),
    ]
    task = None
    if progress is not None:
        task = progress.add_task(
            "timing", total=3 * len(cases) + 6 + len(DESK_VIEWS) + len(queries)
        )
    rows = []

    def step() -> None:
        if progress is not None and task is not None:
            progress.advance(task)

    for case in cases:
        client = admin_client if case.as_admin else agency_client
        page = time_page(client, f"/inbox/{AGENCY}", case.params, requests, warmup)
        step()
        counts, by_status = time_query(engine, counter(case.filter, now), requests, warmup)
        step()
        query, result = time_query(engine, searcher(case.filter, now, by_status), requests, warmup)
        step()
        label = f"/inbox/{AGENCY} {case.label}"
        rows.append(Row(label, page, query, counts, result.total, inbox_page=True))
    rows.append(Row("/ dashboard (admin)", time_page(admin_client, "/", {}, requests, warmup)))
    step()
    # The agency desk: "Pengaduan saya" and each saved view as its link opens it.
    mine = time_page(agency_client, "/pengaduan-saya", {}, requests, warmup)
    rows.append(Row("/pengaduan-saya (agency)", mine, inbox_page=True))
    step()
    for name, filters in DESK_VIEWS.items() if has_desk else ():
        page = time_page(agency_client, f"/inbox/{AGENCY}", filters, requests, warmup)
        rows.append(Row(f"saved view: {name}", page, inbox_page=True))
        step()
    if has_desk:
        everything = time_page(agency_client, "/pengaduan-saya", {"semua": "1"}, requests, warmup)
        rows.append(Row("/pengaduan-saya?semua=1 (agency)", everything, inbox_page=True))
        step()
        load = time_page(agency_client, "/beban-kerja", {}, requests, warmup)
        rows.append(Row("/beban-kerja (agency)", load, inbox_page=True))
        step()
        # A report page (a year of the inbox's complaints): shown, not held to the target.
        report = time_page(agency_client, "/laporan/petugas", {}, requests, warmup)
        rows.append(Row("/laporan/petugas (agency, report)", report))
        step()
        export = time_export(agency_client, engine, requests, warmup)
        rows.append(Row(f"bulk export: {MAX_BULK} ticked (agency)", export, inbox_page=True))
        step()
    for label, run, size in queries:
        query, result = time_query(engine, run, requests, warmup)
        rows.append(Row(f"query: {label}", None, query, None, size(result)))
        step()
    return rows


# --- reporting ---------------------------------------------------------------------


def verdict(row: Row) -> str:
    """The 150 ms target, judged on the page's p95 (inbox pages only)."""
    if not row.inbox_page or row.page is None:
        return ""
    if row.page.status != 200:
        return f"[yellow]n/a (HTTP {row.page.status})[/]"
    if row.page.p95_ms < TARGET_MS:
        return "[green]pass[/]"
    if row.page.median_ms < TARGET_MS:
        return "[yellow]median only[/]"
    return "[red]FAIL[/]"


def figures_table(title: str, rows: list[Row]) -> Table:
    table = Table(title=title, title_justify="left")
    for name, justify in (
        ("request", "left"),
        ("HTTP", "right"),
        ("bytes", "right"),
        ("page med", "right"),
        ("page p95", "right"),
        ("query med", "right"),
        ("query p95", "right"),
        ("counts med", "right"),
        ("page-queries", "right"),
        ("rows", "right"),
        (f"< {TARGET_MS:.0f} ms (p95)", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]

    def ms(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    for row in rows:
        page, query, counts = row.page, row.query, row.counts
        overhead = None
        if page and query and counts:
            overhead = page.median_ms - query.median_ms - counts.median_ms
        table.add_row(
            row.label,
            "" if page is None else str(page.status),
            "" if page is None or page.size is None else f"{page.size:,}",
            ms(page.median_ms if page else None),
            ms(page.p95_ms if page else None),
            ms(query.median_ms if query else None),
            ms(query.p95_ms if query else None),
            ms(counts.median_ms if counts else None),
            ms(overhead),
            "" if row.matched is None else f"{row.matched:,}",
            verdict(row),
        )
    return table


#: the desk's rows, compared with the unfiltered inbox page of the same run
DESK_PREFIXES = ("/pengaduan-saya", "saved view:", "/beban-kerja", "/laporan", "bulk export:")


def desk_ratios(rows: list[Row]) -> str:
    """Each desk row's p95 as a multiple of the unfiltered inbox page's p95 (same run)."""
    base = next((r.page for r in rows if r.label == f"/inbox/{AGENCY} unfiltered"), None)
    if base is None or base.p95_ms <= 0:
        return "ratios: no unfiltered inbox page to compare with"
    parts = [
        f"{r.label} {r.page.p95_ms / base.p95_ms:.2f}x"
        for r in rows
        if r.page is not None and r.label.startswith(DESK_PREFIXES)
    ]
    return f"p95 / unfiltered inbox page p95 ({base.p95_ms:.1f} ms): " + "; ".join(parts)


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes), for reading the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def failures(rows: list[Row]) -> int:
    return sum(1 for r in rows if "FAIL" in verdict(r) or "median only" in verdict(r))


# --- stores ------------------------------------------------------------------------


@dataclass
class Store:
    label: str
    url: str
    cleanup: Callable[[], None] = field(default=lambda: None)


def stores(
    which: str, tmp: Path, pg_admin: str, console: Console, prefix: str = "aduan_webbench"
) -> Iterator[Store]:
    if which in ("sqlite", "both"):
        yield Store("SQLite", f"sqlite:///{tmp / 'web_bench.db'}")
    if which in ("postgresql", "both"):
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        try:
            with psycopg.connect(pg_admin, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as err:
            console.print(f"PostgreSQL unreachable at {pg_admin} ({err}): not measured")
            return

        def drop() -> None:
            with psycopg.connect(pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        url = make_url(pg_admin).set(drivername="postgresql+psycopg", database=name)
        yield Store("PostgreSQL", url.render_as_string(hide_password=False), drop)


def run_store(store: Store, world: World, args: argparse.Namespace, console: Console) -> list[Row]:
    engine = make_engine(store.url)
    try:
        upgrade(engine, args.revision)
        now = utcnow()
        columns = (
            TextColumn(f"{store.label} {{task.description}}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            stats = fill(engine, args.complaints, world, now, args.seed, progress)
            total = stats.complaints + stats.mentions + stats.links + stats.status_changes
            console.print(
                f"{store.label}: {stats.complaints:,} complaints, {stats.mentions:,} mentions, "
                f"{stats.links:,} links, {stats.status_changes:,} status changes "
                f"in {stats.seconds:.1f} s ({total / stats.seconds:,.0f} rows/s)"
            )
            console.print(f"{store.label}: {describe(engine, now)}")
            console.print(f"{store.label}: before timing, {load_average()}")
            rows = bench_store(engine, world, now, args.requests, args.warmup, progress)
            console.print(f"{store.label}: after timing, {load_average()}")
        return rows
    finally:
        engine.dispose()
        store.cleanup()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--complaints", type=int, default=100_000, help="complaints to store")
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=20, help="measured requests per figure")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured requests first")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the data")
    parser.add_argument("--pg-admin", default=PG_ADMIN, help="server to create the database on")
    parser.add_argument(
        "--db-prefix",
        default="aduan_webbench",
        help="name prefix of the PostgreSQL database created (and dropped) for the run",
    )
    parser.add_argument(
        "--revision",
        default="head",
        help="migrate only this far (e.g. 0004, to compare a migration's indexes)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when an inbox page misses the target"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=160)
    world = load_world()
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for store in stores(args.store, Path(tmp), args.pg_admin, console, args.db_prefix):
            rows = run_store(store, world, args, console)
            title = (
                f"{store.label}: {args.complaints:,} complaints; ms, median and p95 of "
                f"{args.requests} after {args.warmup} warm-ups"
            )
            console.print(figures_table(title, rows))
            console.print(f"{store.label}: {desk_ratios(rows)}")
            missed += failures(rows)
    console.print(
        f"target: a filtered inbox page under {TARGET_MS:.0f} ms (judged on p95; "
        "'median only' = median under, p95 over). page-queries = page median minus the "
        "search_complaints and status_counts medians: the page's other queries (kecamatan "
        "choices, origin mentions, session), rendering and the test client."
    )
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
