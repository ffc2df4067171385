"""Collects citizen posts and comments from one Facebook Page through facebook-sdk (Graph API).

Each run, with a Page access token, reads these streams:

* citizen posts on or about the Page, newest first: ``/{page}/visitor_posts`` and
  ``/{page}/tagged`` (option ``post_edges``; ``feed`` serves Pages on the New Pages
  Experience, where Facebook does not offer ``visitor_posts``);
* comments on the Page's ``max_posts`` newest posts, replies to comments included
  (``filter=stream``), one stream per post. facebook-sdk follows ``paging.next`` only for
  the edge it was asked for, so every post's comments are requested and paged on their own.

The Page's own posts and replies are read (they move the cursor) but are never mentions.

Cursor, per stream: the newest ``created_time`` read and the ids read at that second.
Graph's ``since`` is second-granular, so the next run asks from one second earlier and
drops those ids. A newest-first stream stopped half-way (rate limit, read budget,
``max_pages``) also keeps a *backlog*, the unread window between the old mark and the
oldest post it reached; the next run reads that window (``since``..``until``) before
anything newer. A stream that arrives out of time order keeps its old mark plus the ids
it read, so nothing is skipped, only re-read.

facebook-sdk ignores the HTTP status and raises ``GraphAPIError`` only for JSON bodies
with an ``error`` key, and for bodies that are neither JSON nor an image ("Maintype").
Those, requests' network errors and unreadable bodies are mapped to
harvester.exceptions here; nothing else in aduan imports facebook.
"""

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import pairwise
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlparse

import facebook
import requests
from pydantic import Field, field_validator

from harvester.base import Batch, CollectorOptions, SourceSpec
from harvester.cursor import Mark, ReadBudget, parse_time
from harvester.exceptions import (
    CredentialsRejected,
    RateLimited,
    SourceDataError,
    SourceError,
    SourceUnavailable,
)
from harvester.records import build_mention, clean_payload
from models.quarantine import Rejected
from models.tables import MentionIn
from models.types import utcnow
from models.wita import format_wita

log = logging.getLogger(__name__)

#: Graph edges that list posts by others on or about a Page.
PostEdge = Literal["visitor_posts", "tagged", "feed"]

_POST_FIELDS = "message,created_time,from,permalink_url"
_COMMENT_FIELDS = "message,created_time,from,permalink_url,parent{id}"
_PAGE_SIZE = 50
_TIMEOUT_S = 30
_USAGE_HEADERS = ("x-app-usage", "x-business-use-case-usage")
# Without a usage header saying how long to wait, one hour is Facebook's usual window.
_DEFAULT_BACKOFF = timedelta(hours=1)

_TOKEN_CODES = frozenset({102, 190})
_PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
# 80000-80014 are the business-use-case limits (80001: Pages); 341 and 368 also say "wait".
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 368, 613, *range(80000, 80015)})
_TRANSIENT_CODES = frozenset({1, 2})
_TOKEN_REASONS = {
    458: "the app was removed from the account that created it",
    459: "the account that created it must log in to facebook.com to pass a security check",
    460: "the password of the account that created it was changed",
    463: "it has expired",
    464: "the account that created it is not confirmed",
    467: "it is no longer valid (logged out or revoked)",
    492: "the account that created it no longer has a role on the Page",
}
_LABELS = {
    "visitor_posts": "visitor posts",
    "tagged": "posts that tag the Page",
    "feed": "the Page feed",
    "posts": "the Page's own posts",
    "comments": "comments",
    "page": "the Page",
}
# What each edge usually needs, named when Facebook's refusal does not say.
_PERMISSIONS = {
    "visitor_posts": "pages_read_user_content",
    "tagged": "pages_read_user_content",
    "feed": "pages_read_user_content",
    "posts": "pages_read_engagement",
    "comments": "pages_read_engagement and pages_read_user_content",
    "page": "pages_read_engagement",
}
_QUOTED_PERMISSION = re.compile(r"'([a-z]+(?:_[a-z]+)+)'")


class FacebookOptions(CollectorOptions):
    """Options of a Facebook Page source."""

    page_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    """The Page's numeric id; a username is looked up once per run."""
    api_version: str = "v21.0"
    """Graph API version, e.g. v21.0."""
    visitor_posts: bool = True
    """Read citizen posts on or about the Page (the edges in ``post_edges``)."""
    post_edges: tuple[PostEdge, ...] = ("visitor_posts", "tagged")
    """Edges read for citizen posts; ``feed`` for Pages on the New Pages Experience."""
    comments: bool = True
    """Read comments and replies on the Page's own recent posts."""
    max_posts: Annotated[int, Field(ge=1, le=100)] = 10
    """The Page's newest posts whose comments are read each run."""
    max_pages: Annotated[int, Field(ge=1, le=1000)] = 10
    """Result pages followed per stream and run; the rest is read on the next run."""

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"v?\d{1,2}\.\d", value):
            raise ValueError("expected a Graph API version such as v21.0")
        return value if value.startswith("v") else f"v{value}"


#: a time bound of a stream and the ids already read at (or, out of order, past) it
_Mark = Mark[datetime]


@dataclass
class _Stream:
    """Where a stream resumes: everything older than ``low`` is read, bar a ``backlog``."""

    low: _Mark
    #: (low, high): a window a newest-first read left unread when it stopped half-way
    backlog: tuple[_Mark, _Mark] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"since": self.low.at.isoformat(), "ids": sorted(self.low.ids)}
        if self.backlog is not None:
            low, high = self.backlog
            data["backlog"] = {
                "since": low.at.isoformat(),
                "ids": sorted(low.ids),
                "until": high.at.isoformat(),
                "until_ids": sorted(high.ids),
            }
        return data

    @classmethod
    def from_json(cls, data: Any, default: _Mark) -> "_Stream":
        if data is None:
            return cls(default)
        try:
            low = _Mark(_cursor_time(data["since"]), frozenset(map(str, data.get("ids", []))))
            backlog = None
            if data.get("backlog"):
                b = data["backlog"]
                backlog = (
                    _Mark(_cursor_time(b["since"]), frozenset(map(str, b.get("ids", [])))),
                    _Mark(_cursor_time(b["until"]), frozenset(map(str, b.get("until_ids", [])))),
                )
        except (KeyError, TypeError, ValueError, AttributeError):
            # Our own data, so this means a bug or a hand edit: backfilling beats stopping.
            log.warning("unreadable Facebook cursor entry %r; starting it afresh", data)
            return cls(default)
        return cls(low, backlog)


@dataclass
class _Scan:
    """What one read of a window saw: its items (time, id) in the order they arrived."""

    items: list[tuple[datetime, str]] = field(default_factory=list)
    complete: bool = False

    def ids_at(self, at: datetime) -> set[str]:
        return {i for t, i in self.items if t == at}

    def in_order(self, newest_first: bool) -> bool:
        times = [t for t, _ in self.items]
        pairs = list(pairwise(times))
        return all(a >= b for a, b in pairs) if newest_first else all(a <= b for a, b in pairs)


class _PageCap(Exception):
    """A stream has more result pages than ``max_pages``; the rest waits for the next run."""


class FacebookCollector:
    """Reads a Page's visitor and tagged posts and the comments on its recent posts."""

    platform: ClassVar[str] = "facebook"
    options_model: ClassVar[type[CollectorOptions]] = FacebookOptions

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.options: FacebookOptions = spec.options

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Fetch the posts and comments newer than *cursor* (None: the backfill window).

        An error after some mentions were gathered returns them with ``interrupted`` set
        and a cursor that resumes where reading stopped; an error before is raised.
        """
        token = self.spec.secrets.get("page_access_token", "")
        if not token:
            raise CredentialsRejected(f"no Page access token: set {_env_name(self.spec)}")
        with requests.Session() as session:
            run = _Run(self.spec, self.options, cursor, read_budget)
            session.hooks["response"].append(run.on_response)
            graph = facebook.GraphAPI(access_token=token, timeout=_TIMEOUT_S, session=session)
            # facebook-sdk 3.1 accepts versions only up to 3.1 in its constructor; paths
            # are built from this attribute, so the version must not go into them too.
            graph.version = self.options.api_version
            run.graph = graph
            interrupted: SourceError | None = None
            try:
                run.harvest()
            except SourceError as err:
                # With no mention gained, the old cursor is as good a resume point, and a
                # raised error keeps the runner from logging a success with every failure.
                if not run.mentions and not run.rejected:
                    err.usage = dict(run.usage)
                    raise
                interrupted = err
        return Batch(
            mentions=run.mentions,
            rejected=run.rejected,
            cursor=run.cursor(),
            reads=run.budget.reads,
            interrupted=interrupted,
            usage=run.usage,
        )


class _Run:
    """One collect() call: the Graph client, what was read, and the cursor it moves."""

    graph: Any

    def __init__(
        self,
        spec: SourceSpec,
        options: FacebookOptions,
        cursor: dict[str, Any] | None,
        budget: int | None,
    ) -> None:
        self.spec = spec
        self.options = options
        self.raw_cursor = dict(cursor or {})
        self.budget = ReadBudget(budget, "Facebook")
        self.start = _Mark((utcnow() - timedelta(days=spec.backfill_days)).replace(microsecond=0))
        #: items dated later than this are quarantined (clocks differ by minutes, not a day)
        self.latest = utcnow() + timedelta(days=1)
        self.page_id = options.page_id
        self.mentions: list[MentionIn] = []
        self.rejected: list[Rejected] = []
        self.emitted: set[str] = set()
        self.usage: dict[str, Any] = {}
        self.last_usage: dict[str, Any] = {}
        self.last_status = 0
        self.post_streams: dict[str, _Stream] = {}
        self.comment_streams: dict[str, _Stream] = {}

    # -- the run ----------------------------------------------------------------------

    def harvest(self) -> None:
        if not self.page_id.isdigit():
            self.page_id = self._resolve_page()
        self._load_cursor()
        if self.options.visitor_posts:
            for edge in dict.fromkeys(self.options.post_edges):
                self._read_posts(edge)
        if self.options.comments:
            self._read_comments()

    def cursor(self) -> dict[str, Any]:
        out = dict(self.raw_cursor)
        out["page_id"] = self.page_id
        for edge, stream in self.post_streams.items():
            out[edge] = stream.to_json()
        if self.options.comments:
            out["comments"] = {pid: s.to_json() for pid, s in self.comment_streams.items()}
        return out

    def _load_cursor(self) -> None:
        known = self.raw_cursor.get("page_id")
        if known is not None and known != self.page_id:
            log.info("%s: page_id changed from %s; backfilling", self.spec.name, known)
            self.raw_cursor = {}
        for edge in self.options.post_edges:
            self.post_streams[edge] = _Stream.from_json(self.raw_cursor.get(edge), self.start)
        comments = self.raw_cursor.get("comments")
        if isinstance(comments, dict):
            self.comment_streams = {
                str(pid): _Stream.from_json(data, self.start) for pid, data in comments.items()
            }

    def _resolve_page(self) -> str:
        what = f"the Page {self.options.page_id!r}"
        result = self._call(
            partial(self.graph.get_object, self.options.page_id, fields="id"), what, "page"
        )
        page_id = result.get("id")
        if not isinstance(page_id, str) or not page_id.isdigit():
            raise SourceDataError(f"Facebook's answer for {what} has no numeric Page id")
        return page_id

    def _read_posts(self, edge: str) -> None:
        stream = self.post_streams[edge]
        label = _LABELS[edge]
        args = {"fields": _POST_FIELDS, "limit": _PAGE_SIZE}

        def emit(obj: dict[str, Any], at: datetime, oid: str) -> None:
            self._emit(obj, at, oid, conversation_id=oid, reply_to_id=None)

        if stream.backlog is not None:
            low, high = stream.backlog
            scan = _Scan()
            try:
                self._scan(scan, self.page_id, edge, label, args, low, high, True, emit)
            except _PageCap:
                log.info(
                    "%s: %s: more than %d pages left; continuing next run",
                    self.spec.name,
                    label,
                    self.options.max_pages,
                )
            finally:
                _after_backlog(stream, scan, label)
            if stream.backlog is not None:
                return  # newer posts wait until the gap below them is closed
        scan = _Scan()
        try:
            self._scan(scan, self.page_id, edge, label, args, stream.low, None, True, emit)
        except _PageCap:
            log.info(
                "%s: %s: more than %d pages; the rest is read next run",
                self.spec.name,
                label,
                self.options.max_pages,
            )
        finally:
            _after_main(stream, scan, True, label)

    def _read_comments(self) -> None:
        posts = self._list_posts()
        # Posts that fell out of the newest max_posts are dropped, so the cursor stays small.
        old = self.comment_streams
        self.comment_streams = {
            pid: old[pid] if pid in old else _Stream(self.start) for pid in posts
        }
        args = {
            "fields": _COMMENT_FIELDS,
            "filter": "stream",  # replies to comments too, not only top-level comments
            "order": "chronological",
            "limit": _PAGE_SIZE,
        }
        for post_id in posts:
            stream = self.comment_streams[post_id]
            label = f"comments on post {post_id}"

            def emit(obj: dict[str, Any], at: datetime, oid: str, post_id: str = post_id) -> None:
                parent = obj.get("parent")
                parent_id = parent.get("id") if isinstance(parent, dict) else None
                reply_to = parent_id if isinstance(parent_id, str) and parent_id else post_id
                self._emit(obj, at, oid, conversation_id=post_id, reply_to_id=reply_to)

            scan = _Scan()
            try:
                self._scan(scan, post_id, "comments", label, args, stream.low, None, False, emit)
            except _PageCap:
                log.info(
                    "%s: %s: more than %d pages; the rest is read next run",
                    self.spec.name,
                    label,
                    self.options.max_pages,
                )
            finally:
                _after_main(stream, scan, False, label)

    def _list_posts(self) -> list[str]:
        wanted = self.options.max_posts
        posts: list[str] = []
        args = {"fields": "id,created_time", "limit": min(wanted, 100)}
        label = _LABELS["posts"]
        try:
            for data in self._pages(self.page_id, "posts", label, args):
                for obj in data:
                    if len(posts) >= wanted:
                        return posts
                    self.budget.spend()
                    _, post_id = _identify(obj, label)
                    if post_id not in posts:
                        posts.append(post_id)
                if len(posts) >= wanted:
                    break
        except _PageCap:
            pass  # scanning the posts found so far is still worthwhile
        return posts

    def _scan(
        self,
        scan: _Scan,
        node: str,
        edge: str,
        label: str,
        args: dict[str, Any],
        low: _Mark,
        high: _Mark | None,
        newest_first: bool,
        emit: Callable[[dict[str, Any], datetime, str], None],
    ) -> None:
        """Read one window of a stream, recording in *scan* what it saw as it goes."""
        # One second of overlap each side: Graph's bounds are whole seconds and not
        # documented as inclusive; the ids at the bounds drop what was already read.
        args = dict(args, since=_epoch(low.at) - 1)
        if high is not None:
            args["until"] = _epoch(high.at) + 1
        for data in self._pages(node, edge, label, args):
            older = 0
            for obj in data:
                self.budget.spend()
                try:
                    at, oid = _identify(obj, label)
                except SourceDataError as err:
                    # Without an id and a time the item has no place in the cursor:
                    # set it aside and read on.
                    self._set_aside(obj, str(err))
                    continue
                if at > self.latest:
                    # A time in the future would carry the cursor past every real post.
                    self._set_aside(obj, f"{label}: created_time {at.isoformat()} is in the future")
                    continue
                if at < low.at:
                    older += 1
                    continue
                if high is not None and (at > high.at or (at == high.at and oid in high.ids)):
                    continue
                scan.items.append((at, oid))
                if oid not in low.ids:
                    emit(obj, at, oid)
            if newest_first and data and older == len(data):
                break  # newest first: every later page is older still
        scan.complete = True

    def _set_aside(self, obj: Any, reason: str) -> None:
        """Quarantine a Graph item the cursor cannot take, with what it said of itself."""
        item: dict[str, Any] = obj if isinstance(obj, dict) else {"value": obj}
        found = item.get("from")
        author: dict[str, Any] = found if isinstance(found, dict) else {}
        fields = {
            "platform": "facebook",
            "platform_id": item.get("id"),
            "source": self.spec.name,
            "author_handle": str(author.get("id") or ""),
            "author_name": str(author.get("name") or ""),
            "text": item.get("message") if isinstance(item.get("message"), str) else "",
            "created_at": item.get("created_time"),
        }
        oid = item.get("id")
        self.rejected.append(
            Rejected(
                reason=reason,
                fields=clean_payload({k: v for k, v in fields.items() if v is not None}),
                raw=clean_payload(item),
                platform="facebook",
                platform_id=oid[:100] if isinstance(oid, str) else "",
            )
        )

    def _pages(self, node: str, edge: str, label: str, args: dict[str, Any]) -> Iterator[list[Any]]:
        """The ``data`` lists of an edge, following ``paging.next`` up to ``max_pages``."""
        for _ in range(self.options.max_pages):
            result = self._call(
                partial(self.graph.get_connections, node, edge, **args), label, edge
            )
            data = result.get("data")
            if not isinstance(data, list):
                raise self._unreadable(label, "has no 'data' list")
            yield data
            paging = result.get("paging")
            next_url = paging.get("next") if isinstance(paging, dict) else None
            if not isinstance(next_url, str) or not next_url:
                return
            # As facebook-sdk's get_all_connections does: the next link's query, minus the
            # token, which the client adds itself.
            args = {k: v for k, v in parse_qsl(urlparse(next_url).query) if k != "access_token"}
        raise _PageCap(label)

    def _emit(
        self,
        obj: dict[str, Any],
        at: datetime,
        oid: str,
        *,
        conversation_id: str,
        reply_to_id: str | None,
    ) -> None:
        raw_author = obj.get("from")
        # Absent when Facebook withholds the author (privacy settings, deleted accounts).
        author: dict[str, Any] = raw_author if isinstance(raw_author, dict) else {}
        author_id = str(author.get("id") or "")
        if author_id == self.page_id or oid in self.emitted:
            return
        self.emitted.add(oid)
        message = obj.get("message")
        permalink = obj.get("permalink_url")
        url = f"https://www.facebook.com/{oid}"
        if (
            isinstance(permalink, str)
            and permalink.startswith("https://")
            and len(permalink) <= 2000
        ):
            url = permalink
        built = build_mention(
            {
                "platform": "facebook",
                "platform_id": oid,
                "source": self.spec.name,
                "author_handle": author_id,
                "author_name": str(author.get("name") or ""),
                "text": message if isinstance(message, str) else "",
                "url": url,
                "created_at": at,
                "conversation_id": conversation_id,
                "reply_to_id": reply_to_id,
            },
            obj,
        )
        if isinstance(built, MentionIn):
            self.mentions.append(built)
        else:
            self.rejected.append(built)

    # -- HTTP and errors ----------------------------------------------------------------

    def on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """requests hook: keep the status and the usage headers of every Graph answer."""
        self.last_status = response.status_code
        self.last_usage = {}
        for name in _USAGE_HEADERS:
            value = response.headers.get(name)
            if value is None:
                continue
            try:
                self.last_usage[name] = json.loads(value)
            except ValueError:
                self.last_usage[name] = value
        self.usage.update(self.last_usage)

    def _call(self, request: Callable[[], Any], label: str, edge: str) -> dict[str, Any]:
        # Messages never quote requests' own errors: their URLs carry the access token.
        try:
            result = request()
        except facebook.GraphAPIError as err:
            raise self._graph_error(err, label, edge) from err
        except requests.exceptions.JSONDecodeError as err:  # before RequestException: both
            raise self._unreadable(label, "was not valid JSON (cut short or garbled)") from err
        except requests.Timeout as err:
            raise SourceUnavailable(
                f"Facebook did not answer within {_TIMEOUT_S} s while reading {label}; "
                "will retry next run"
            ) from err
        except requests.ConnectionError as err:
            raise SourceUnavailable(
                f"could not connect to Facebook to read {label}; will retry next run"
            ) from err
        except requests.RequestException as err:
            raise SourceUnavailable(
                f"reading {label} from Facebook failed ({type(err).__name__}); will retry next run"
            ) from err
        except KeyError as err:  # facebook-sdk reads the Content-Type header unguarded
            raise self._unreadable(label, "had no content type") from err
        if not isinstance(result, dict):
            raise self._unreadable(label, "was not a JSON object")
        return result

    def _unreadable(self, label: str, problem: str) -> SourceError:
        if self.last_status >= 500:
            return SourceUnavailable(
                f"Facebook's answer for {label} {problem} (HTTP {self.last_status}), "
                "usually a passing Facebook outage; will retry next run"
            )
        return SourceDataError(f"Facebook's answer for {label} {problem}; will retry next run")

    def _graph_error(self, err: Any, label: str, edge: str) -> SourceError:
        body = err.result if isinstance(err.result, dict) else {}
        raw_error = body.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code = _int(err.code)
        subcode = _int(error.get("error_subcode"))
        said = str(error.get("message") or err.message or "").strip()
        env = _env_name(self.spec)
        if code is None and "Maintype" in str(err):
            status = f"HTTP {self.last_status}" if self.last_status else "no status"
            return SourceUnavailable(
                f"Facebook answered with a web page instead of data ({status}) while reading "
                f"{label}, usually a passing Facebook outage; will retry next run"
            )
        if code in _TOKEN_CODES:
            reason = _TOKEN_REASONS.get(subcode or 0, "it is invalid or was revoked")
            return CredentialsRejected(
                f"Facebook no longer accepts the Page access token ({reason}): renew the page "
                f"token and set {env}. Facebook said: {said}"
            )
        if code in _RATE_LIMIT_CODES:
            reset = self._reset_at()
            return RateLimited(
                f"Facebook asked to slow down (#{code}: {said}); reading resumes after "
                f"{format_wita(reset)}",
                reset_at=reset,
            )
        if code in _PERMISSION_CODES:
            named = _QUOTED_PERMISSION.findall(said)
            permission = " or ".join(dict.fromkeys(named)) or _PERMISSIONS[edge]
            return CredentialsRejected(
                f"the Page access token lacks a permission needed to read {label}: "
                f"{permission}. Grant it to the app, create a new page token and set {env}. "
                f"Facebook said (#{code}): {said}"
            )
        if code == 100 and subcode == 33:
            return CredentialsRejected(
                f"Facebook cannot find {label} or this token may not read it: check the "
                f"source's page_id ({self.options.page_id}) and that {env} holds that "
                f"Page's token. Facebook said: {said}"
            )
        if code == 100 or code == 12:
            return SourceDataError(
                f"Facebook refused the request for {label} (#{code}: {said}); check "
                "api_version and post_edges in the source's options"
            )
        if code in _TRANSIENT_CODES or error.get("is_transient") is True:
            return SourceUnavailable(
                f"Facebook had a temporary problem reading {label} (#{code}: {said}); "
                "will retry next run"
            )
        if code is None and self.last_status in (401, 403):
            return CredentialsRejected(
                f"Facebook refused the Page access token (HTTP {self.last_status}): renew "
                f"the page token and set {env}. Facebook said: {said}"
            )
        return SourceUnavailable(
            f"Facebook error #{code} reading {label}: {said}; will retry next run"
        )

    def _reset_at(self) -> datetime:
        minutes = [
            m for m in _find_key(self.last_usage, "estimated_time_to_regain_access") if m > 0
        ]
        wait = timedelta(minutes=max(minutes)) if minutes else _DEFAULT_BACKOFF
        return utcnow() + wait


def _after_main(stream: _Stream, scan: _Scan, newest_first: bool, label: str) -> None:
    """Move a stream's lower mark after reading everything newer than it (or part of it)."""
    if not scan.items:
        return
    low = stream.low
    top = max(t for t, _ in scan.items)
    carried = low.ids if top == low.at else frozenset()
    if scan.complete:
        stream.low = _Mark(top, frozenset(scan.ids_at(top)) | carried)
        return
    if not scan.in_order(newest_first):
        log.warning(
            "%s arrived out of time order; the next run re-reads from %s", label, low.at.isoformat()
        )
        stream.low = low.plus(i for _, i in scan.items)
        return
    if newest_first:
        bottom = min(t for t, _ in scan.items)
        stream.low = _Mark(top, frozenset(scan.ids_at(top)) | carried)
        stream.backlog = (low, _Mark(bottom, frozenset(scan.ids_at(bottom))))
    else:
        # Oldest first: all before the last item is read. Ids past the old mark from an
        # earlier out-of-order read are kept, as their times are not known here.
        stream.low = _Mark(top, frozenset(scan.ids_at(top)) | low.ids)


def _after_backlog(stream: _Stream, scan: _Scan, label: str) -> None:
    """Shrink (or close) a stream's backlog after reading (part of) it, newest first."""
    assert stream.backlog is not None
    if scan.complete:
        stream.backlog = None
        return
    if not scan.items:
        return
    low, high = stream.backlog
    if not scan.in_order(True):
        log.warning("%s arrived out of time order; the next run re-reads its backlog", label)
        stream.backlog = (low.plus(i for _, i in scan.items), high)
        return
    bottom = min(t for t, _ in scan.items)
    carried = high.ids if bottom == high.at else frozenset()
    stream.backlog = (low, _Mark(bottom, frozenset(scan.ids_at(bottom)) | carried))


def _identify(obj: Any, label: str) -> tuple[datetime, str]:
    """The created_time and id of a Graph object; both are required for the cursor."""
    oid = obj.get("id") if isinstance(obj, dict) else None
    # Graph times look like "2026-11-20T01:02:03+0000"; one without an offset is refused.
    at = parse_time(obj.get("created_time")) if isinstance(obj, dict) else None
    if not isinstance(oid, str) or not oid or at is None:
        raise SourceDataError(
            f"Facebook's answer for {label} has an item without an id or created_time"
        )
    return at, oid


def _cursor_time(value: Any) -> datetime:
    """A time stored in our cursor (ISO 8601 with an offset); ValueError if it is not one."""
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"not an aware ISO 8601 time: {value!r}")
    return parsed


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _find_key(data: Any, key: str) -> Iterator[int]:
    """Every integer under *key* anywhere in a parsed usage header."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key and isinstance(v, int | float):
                yield int(v)
            else:
                yield from _find_key(v, key)
    elif isinstance(data, list):
        for item in data:
            yield from _find_key(item, key)


def _env_name(spec: SourceSpec) -> str:
    return spec.secret_env.get("page_access_token") or "the page_access_token secret"
