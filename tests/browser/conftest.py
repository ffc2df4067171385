"""Browser tests: the real app served by uvicorn on loopback, driven by Debian's chromium.

Playwright never downloads a browser here: chromium is the system package
(``apt-get install -y chromium``, done by ``make test`` and ``.ci/run``) and is launched
through ``executable_path``. Each test records a screenshot per step; when a test
fails they are written to ``test-artifacts/browser/<test>/`` for whoever reads the CI log.
"""

import shutil
import sqlite3
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    sync_playwright,
)
from sqlalchemy.engine import Engine

from aduan.settings import DeadlineConfig
from inbox.app import create_app
from lifecycle.deadlines import WorkingCalendar, deadline_fn
from models.agencies import sync_agencies
from models.db import make_engine, session_scope
from models.mentions import insert_mentions
from models.migrate import upgrade
from router.policy import RoutingPolicy
from router.route import route_pending
from tests.support.browser import EVIL_STREET, LiveServer, Steps
from tests.support.factories import agencies, mention
from tests.support.net import free_port
from tests.support.routing import KeywordClassifier
from tests.support.server import serving
from tests.support.web import AUTH, add_user

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """The system chromium; a missing one fails the run with the command that installs it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: run `apt-get install -y chromium` (or make test)")
    return path


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_FLAGS
    )
    yield browser
    browser.close()


def policy() -> RoutingPolicy:
    """Inboxes for the test agencies, with working-day deadlines."""
    return RoutingPolicy(
        category_inbox={"PDAM": "PDAM", "LPJU": "LPJU"},
        triage_inbox="KOMINFO",
        deadlines=deadline_fn(WorkingCalendar(), DeadlineConfig()),
    )


def fill_store(engine: Engine) -> None:
    """Agencies, users of each role and a few routed mentions (one hostile)."""
    upgrade(engine)
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(1, text="air mati di panjer sejak pagi"),
                mention(2, text=EVIL_STREET, author_name="<b>Evil</b>", url="javascript:alert(1)"),
                mention(3, text="bingung ini harus lapor ke mana, got mampet di sanur"),
            ],
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=policy())
    for username, role, agency in (
        ("admin1", "admin", None),
        ("operator1", "operator", None),
        ("pdam1", "agency", "PDAM"),
        ("viewer1", "viewer", None),
    ):
        add_user(engine, username, role, agency=agency)


@pytest.fixture(scope="session")
def filled_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The filled store, made once: migrating and hashing four passwords take a second."""
    path = tmp_path_factory.mktemp("store") / "filled.db"
    engine = make_engine(f"sqlite:///{path}")
    fill_store(engine)
    engine.dispose()
    return path


def _copy_store(source: Path, target: Path) -> None:
    # SQLite's backup API copies a consistent database whatever is left in its WAL file.
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _serve(tmp_path: Path, filled_store: Path, *, api_docs: bool = False) -> Iterator[LiveServer]:
    """The app on a free loopback port, over this test's own copy of the filled store."""
    _copy_store(filled_store, tmp_path / "browser.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    app = create_app(engine, auth_config=AUTH, policy=policy(), api_docs=api_docs)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off"
    )
    try:
        with serving(config) as url:
            yield LiveServer(url, engine)
    except RuntimeError as err:
        pytest.fail(str(err))
    finally:
        engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path, filled_store: Path) -> Iterator[LiveServer]:
    """The app on a free loopback port, over this test's own copy of the filled store."""
    yield from _serve(tmp_path, filled_store)


@pytest.fixture
def docs_server(tmp_path: Path, filled_store: Path) -> Iterator[LiveServer]:
    """Like live_server, with the API docs page turned on (``web.api_docs: true``)."""
    yield from _serve(tmp_path, filled_store, api_docs=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _watched_page(browser: Browser, errors: list[str]) -> Page:
    """A page in a fresh context (its own cookies) whose errors, dialogs, broken
    subresources (a chart, the stylesheet or script answering 4xx/5xx) and anything the
    Content-Security-Policy refused (an inline script or style) go to *errors*."""
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Makassar")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))

    def check_response(response: Response) -> None:
        # Pages may answer 4xx on purpose (a test asks for them); their images, styles
        # and scripts never should.
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.request.resource_type} {response.url}: {response.status}")

    page.on("response", check_response)

    def check_console(message: ConsoleMessage) -> None:
        # Chromium reports what the Content-Security-Policy refused on the console only.
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            errors.append(f"CSP violation: {message.text}")

    page.on("console", check_console)
    return page


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    errors: list[str] = []
    others: list[Page] = []
    request.node.stash[_PAGE_ERRORS] = errors
    request.node.stash[_OTHER_PAGES] = others
    page = _watched_page(browser, errors)
    yield page
    # Closed here, after ``steps`` has saved them if the test failed.
    for other in others:
        other.context.close()
    page.context.close()


@pytest.fixture
def new_page(page: Page, browser: Browser, request: pytest.FixtureRequest) -> Callable[[], Page]:
    """Opens another user's browser (a new context, no shared cookies), watched like *page*."""

    def open_page() -> Page:
        other = _watched_page(browser, request.node.stash[_PAGE_ERRORS])
        request.node.stash[_OTHER_PAGES].append(other)
        return other

    return open_page


_OTHER_PAGES = pytest.StashKey[list[Page]]()
_PAGE_ERRORS = pytest.StashKey[list[str]]()


@pytest.fixture
def steps(page: Page, request: pytest.FixtureRequest) -> Iterator[Steps]:
    recorded = Steps(page, others=request.node.stash[_OTHER_PAGES])
    yield recorded
    if request.node.stash.get(_FAILED, False):
        folder = recorded.save(request.node.nodeid)
        print(f"browser screenshots of the failed test: {folder}")
    # No script from the page may run: an alert() would mean escaping failed. Nor may a
    # chart, the stylesheet or the script fail to load.
    errors = request.node.stash.get(_PAGE_ERRORS, [])
    assert errors == [], f"the page raised, opened dialogs or lost a resource: {errors}"
