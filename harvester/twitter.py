"""Collects citizen posts about the city's X (Twitter) account through API v2 with tweepy.

A source has one or more *streams*: the account's mentions (``get_users_mentions``) and
recent-search queries (``search_recent_tweets``), each with its own cursor entry. X
answers newest first, so one *sweep* pages from the newest post down to the stream's
``since_id`` (or, on a first run, down to ``start_time``, the backfill window). The
sweep's first ``newest_id`` becomes the stream's ``since_id`` only when the sweep
reaches its last page. A sweep stopped half-way (rate limit, read budget, outage,
``max_pages``) keeps its page token in the cursor, and the next run finishes it before
starting a new one, so nothing between the old and the new ``since_id`` is skipped.

Cursor shape (``account`` only when the id was looked up rather than configured)::

    {"account": {"username": "prodenpasar", "id": "1234567890"},
     "mentions": {"since_id": "2123609775928246272"},
     "query:#prodenpasar -is:retweet": {"start_time": "2026-11-17T03:00:00Z",
                                        "next_token": "b26v89c19zqg8o3f...",
                                        "sweep_newest_id": "2123610279244726272"}}

tweepy is imported here only; its errors become ``harvester.exceptions`` classes as
they leave :meth:`TwitterCollector._call`.
"""

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar

import requests
import tweepy
from pydantic import Field, field_validator, model_validator

from harvester.base import Batch, CollectorOptions, SourceSpec
from harvester.cursor import ReadBudget, parse_time
from harvester.exceptions import (
    BudgetExhausted,
    CredentialsRejected,
    RateLimited,
    SourceDataError,
    SourceError,
    SourceUnavailable,
)
from harvester.records import build_mention
from models.quarantine import Rejected
from models.tables import MentionIn
from models.types import utcnow
from models.wita import WITA, format_wita

log = logging.getLogger(__name__)

#: what every timeline/search request asks X to include
EXPANSIONS = ["author_id", "referenced_tweets.id", "in_reply_to_user_id"]
#: ``note_tweet`` carries the full text of posts longer than 280 characters
TWEET_FIELDS = [
    "created_at",
    "conversation_id",
    "in_reply_to_user_id",
    "lang",
    "entities",
    "referenced_tweets",
    "note_tweet",
]
#: who wrote each post, for the author handle and the post URL
USER_FIELDS = ["username", "name"]

#: search/recent refuses max_results below 10 (mentions below 5); one floor for both
MIN_PAGE = 10
#: X's rate-limit windows are 15 minutes; used when a 429 carries no reset header
RATE_LIMIT_FALLBACK = timedelta(minutes=15)
#: the endpoints a source reads; a 429 pauses only its own endpoint (cursor "paused")
MENTIONS_ENDPOINT = "users/:id/mentions"
SEARCH_ENDPOINT = "tweets/search/recent"
#: search/recent reaches back seven days; the margin absorbs clock skew
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=5)
#: tweet ids are snowflakes: milliseconds since this epoch, shifted left 22 bits
TWITTER_EPOCH_MS = 1288834974657

_ID = re.compile(r"^[0-9]{1,20}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")


class TwitterOptions(CollectorOptions):
    """Options of an X (Twitter) source."""

    account_username: str
    """The city's account, e.g. ``prodenpasar`` (a leading @ is dropped)."""
    account_user_id: str | None = None
    """Its numeric id; looked up once by username when absent."""
    mentions: bool = True
    """Read the account's mentions timeline."""
    queries: list[str] = Field(default_factory=list)
    """Recent-search queries, e.g. ``#prodenpasar -is:retweet``."""
    max_results: Annotated[int, Field(ge=MIN_PAGE, le=100)] = 100
    """Posts asked for per page."""
    max_pages: Annotated[int, Field(ge=1)] = 10
    """Pages read per stream per run; the rest of a sweep continues next run."""
    request_timeout: Annotated[float, Field(gt=0)] = 30.0
    """Seconds to wait for X before the run counts as failed (tweepy sets none)."""

    @field_validator("account_username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip().removeprefix("@")
        if not _USERNAME.match(value):
            raise ValueError("an X username is 1-15 letters, digits or _, e.g. prodenpasar")
        return value

    @field_validator("account_user_id", mode="before")
    @classmethod
    def _user_id(cls, value: Any) -> Any:
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str) and not _ID.match(value):
            raise ValueError("an X user id is a number, e.g. '1234567890'")
        return value

    @field_validator("queries")
    @classmethod
    def _queries(cls, value: list[str]) -> list[str]:
        cleaned = [q.strip() for q in value]
        if any(not q for q in cleaned):
            raise ValueError("a query cannot be empty")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a query is listed twice")
        return cleaned

    @model_validator(mode="after")
    def _something_to_read(self) -> "TwitterOptions":
        if not self.mentions and not self.queries:
            raise ValueError("nothing to read: set mentions: true or give queries")
        return self


class _TimeoutSession(requests.Session):
    """A session whose requests time out: tweepy passes no timeout and could hang a job."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        """Send with the default timeout unless one is given."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


class _RequestRefused(SourceDataError):
    """X answered 400: a bad query, or a page token it no longer accepts."""


@dataclass(frozen=True)
class _Stream:
    """One cursor entry's endpoint: the mentions timeline or one search query."""

    key: str
    label: str
    search: bool
    fetch: Callable[..., Any]
    page_param: str

    @property
    def endpoint(self) -> str:
        """The X endpoint it reads: X's rate limits are counted per endpoint."""
        return SEARCH_ENDPOINT if self.search else MENTIONS_ENDPOINT


@dataclass
class _Page:
    """One checked answer: its posts, expansions by id and where the sweep goes next."""

    tweets: list[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    included: dict[str, dict[str, Any]]
    newest_id: str | None
    next_token: str | None


@dataclass
class _Run:
    """What one ``collect`` call has gathered so far, across streams."""

    budget: ReadBudget
    mentions: list[MentionIn] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    pages: int = 0


class TwitterCollector:
    """Reads the account's mentions and search queries from X API v2."""

    platform: ClassVar[str] = "twitter"
    options_model: ClassVar[type[CollectorOptions]] = TwitterOptions

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.options: TwitterOptions = spec.options
        self._token_env = spec.secret_env.get("bearer_token", "the bearer_token secret")

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Read every stream's posts newer than *cursor*, finishing interrupted sweeps first."""
        old = cursor or {}
        client = self._client()
        account_id = self._account_id(client, old)
        streams = self._streams(client, account_id)
        new_cursor: dict[str, Any] = {}
        if self.options.account_user_id is None:
            new_cursor["account"] = {"username": self.options.account_username, "id": account_id}
        for stream in streams:
            previous = old.get(stream.key)
            new_cursor[stream.key] = dict(previous) if isinstance(previous, dict) else {}
        run = _Run(budget=ReadBudget(read_budget, "X"))
        interrupted: SourceError | None = None
        # X counts rate limits per endpoint: a 429 on recent search pauses the search
        # streams until their reset, while the mentions timeline goes on (and back).
        paused = _paused(old, utcnow())
        limited: RateLimited | None = None
        for stream in streams:
            if stream.endpoint in paused:
                continue
            try:
                self._sweep(run, stream, new_cursor[stream.key], account_id)
            except RateLimited as err:
                paused[stream.endpoint] = err.reset_at or utcnow() + RATE_LIMIT_FALLBACK
                limited = err
            except SourceError as err:
                # Before the first page nothing is gained by returning; a spent budget
                # is still reported as an empty batch, as the protocol asks.
                if run.pages == 0 and not isinstance(err, BudgetExhausted):
                    raise
                interrupted = err
                break
        all_paused = {s.endpoint for s in streams} <= set(paused)
        if paused and not all_paused:
            # Kept in the cursor while the source goes on; when every endpoint waits the
            # runner pauses the whole source instead, as before.
            new_cursor["paused"] = {e: t.isoformat() for e, t in sorted(paused.items())}
        if interrupted is None and all_paused:
            # Every endpoint waits: the whole source waits for the earliest reset.
            reset = min(paused[s.endpoint] for s in streams)
            interrupted = limited or RateLimited(
                f"X rate limits pause every endpoint of this source until {format_wita(reset)}",
                reset_at=reset,
            )
            if run.pages == 0 and limited is not None and not run.mentions:
                raise limited
        return Batch(
            mentions=run.mentions,
            rejected=run.rejected,
            cursor=new_cursor,
            reads=run.budget.reads,
            interrupted=interrupted,
            usage=_pause_usage(paused if not all_paused else {}, "paused" in old),
        )

    # -- streams and sweeps ------------------------------------------------------------

    def _client(self) -> Any:
        token = self.spec.secrets.get("bearer_token", "")
        if not token:
            raise CredentialsRejected(
                f"no X bearer token: put the app's bearer token from the X developer portal "
                f"in {self._token_env}"
            )
        # return_type=dict keeps X's JSON as sent: it is stored raw, and tweepy's
        # model objects would fail on malformed items before we could say which.
        client = tweepy.Client(bearer_token=token, wait_on_rate_limit=False, return_type=dict)
        client.session = _TimeoutSession(self.options.request_timeout)
        return client

    def _streams(self, client: Any, account_id: str) -> list[_Stream]:
        streams = []
        if self.options.mentions:
            streams.append(
                _Stream(
                    key="mentions",
                    label=f"mentions of @{self.options.account_username}",
                    search=False,
                    fetch=functools.partial(client.get_users_mentions, account_id),
                    page_param="pagination_token",
                )
            )
        for query in self.options.queries:
            streams.append(
                _Stream(
                    key=f"query:{query}",
                    label=f"search {query!r}",
                    search=True,
                    fetch=functools.partial(client.search_recent_tweets, query),
                    page_param="next_token",
                )
            )
        return streams

    def _sweep(self, run: _Run, stream: _Stream, state: dict[str, Any], account_id: str) -> None:
        """Page *stream* until its sweep ends or ``max_pages``; *state* is updated per page."""
        if not state.get("since_id") and not state.get("start_time"):
            start = utcnow() - timedelta(days=self.spec.backfill_days)
            state["start_time"] = _iso(start)
        restarted = False
        pages = 0
        while pages < self.options.max_pages:
            size = self._page_size(run)
            resuming = bool(state.get("next_token"))
            params: dict[str, Any] = {
                "expansions": EXPANSIONS,
                "tweet_fields": TWEET_FIELDS,
                "user_fields": USER_FIELDS,
                "max_results": size,
                **self._window(stream, state),
            }
            if resuming:
                params[stream.page_param] = state["next_token"]
            try:
                body = self._call(stream.fetch, stream.label, **params)
            except _RequestRefused as err:
                if not resuming or restarted:
                    raise
                # Page tokens expire; restarting the sweep from the same since_id
                # re-reads some posts (stored once) but leaves no gap.
                log.warning(
                    "source %s: X refused the saved page token of %s (%s); restarting the sweep",
                    self.spec.name,
                    stream.label,
                    err,
                )
                state.pop("next_token", None)
                state.pop("sweep_newest_id", None)
                restarted = True
                continue
            page = _parse_page(body, stream.label)
            pages += 1
            run.pages += 1
            run.budget.count(len(page.tweets))
            floor = _int_id(state.get("since_id"))
            for tweet in page.tweets:
                # X filters by since_id itself; a re-sent older post is dropped here too,
                # so a second run never hands back what the first one returned.
                if floor is not None and (_int_id(tweet.get("id")) or 0) <= floor:
                    continue
                mention = self._to_mention(tweet, page, account_id)
                if isinstance(mention, Rejected):
                    run.rejected.append(mention)
                elif mention is not None and mention.platform_id not in run.seen:
                    run.seen.add(mention.platform_id)
                    run.mentions.append(mention)
            if not resuming and page.newest_id:
                state["sweep_newest_id"] = page.newest_id
            if page.next_token:
                state["next_token"] = page.next_token
                continue
            _finish_sweep(state)
            return
        log.info(
            "source %s: %s stopped after %d pages; the next run continues",
            self.spec.name,
            stream.label,
            pages,
        )

    def _page_size(self, run: _Run) -> int:
        size = self.options.max_results
        left = run.budget.left
        if left is None:
            return size
        if left < MIN_PAGE:
            raise BudgetExhausted(
                f"the monthly read cap is reached ({run.budget.reads} posts read this run, "
                f"{max(left, 0)} left; X pages hold at least {MIN_PAGE}); "
                "reading resumes next month or when monthly_read_cap is raised"
            )
        return min(size, left)

    def _window(self, stream: _Stream, state: dict[str, Any]) -> dict[str, Any]:
        """The lower bound of the stream's current sweep, kept fixed while it pages."""
        now = utcnow()
        oldest_allowed = now - SEARCH_WINDOW
        since_id = state.get("since_id")
        if since_id:
            if stream.search and _snowflake_time(since_id) < oldest_allowed:
                # X refuses a since_id older than its 7-day search window; what lies
                # between is beyond reach either way, so say so and read what remains.
                log.warning(
                    "source %s: %s was last read more than 7 days ago; "
                    "posts older than 7 days cannot be searched and are missed",
                    self.spec.name,
                    stream.label,
                )
                return {"start_time": oldest_allowed}
            return {"since_id": since_id}
        start = parse_time(state["start_time"], naive_is_utc=True) or now
        if stream.search and start < oldest_allowed:
            start = oldest_allowed
        return {"start_time": start}

    # -- the account ---------------------------------------------------------------------

    def _account_id(self, client: Any, cursor: dict[str, Any]) -> str:
        """The account's numeric id: configured, remembered in the cursor, or looked up."""
        if self.options.account_user_id is not None:
            return self.options.account_user_id
        username = self.options.account_username
        known = cursor.get("account")
        if (
            isinstance(known, dict)
            and str(known.get("username", "")).lower() == username.lower()
            and _is_id(known.get("id"))
        ):
            return str(known["id"])
        body = self._call(
            client.get_user, f"account @{username}", username=username, user_fields=USER_FIELDS
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not _is_id(data.get("id")):
            why = "; ".join(_api_messages(body)) or "no user in the answer"
            raise SourceDataError(
                f"X has no account @{username} ({why}): check account_username in the "
                f"options of source {self.spec.name}"
            )
        return str(data["id"])

    # -- tweets to mentions ------------------------------------------------------------

    def _to_mention(
        self, tweet: dict[str, Any], page: _Page, account_id: str
    ) -> MentionIn | Rejected | None:
        """The mention of *tweet*, None for the city's own posts and retweets, or why it
        cannot be stored (it then goes to the quarantine)."""
        refs = {
            r.get("type"): r.get("id")
            for r in tweet.get("referenced_tweets") or []
            if isinstance(r, dict)
        }
        if "retweeted" in refs:
            return None  # a retweet repeats someone else's post; the original is read itself
        author_id = tweet.get("author_id")
        if author_id == account_id:
            return None
        author = page.users.get(author_id) if isinstance(author_id, str) else None
        username = str((author or {}).get("username") or "")
        if username.lower() == self.options.account_username.lower():
            return None
        tweet_id = str(tweet["id"])
        note = tweet.get("note_tweet")
        text = note.get("text") if isinstance(note, dict) else None
        if not isinstance(text, str):
            text = tweet["text"]
        posted = parse_time(tweet.get("created_at"), naive_is_utc=True)
        created_at: Any = posted
        if created_at is None:
            try:
                created_at = _snowflake_time(tweet_id)
            except (ValueError, OverflowError, OSError):
                created_at = tweet.get("created_at")  # refused by build_mention, with why
        conversation_id = tweet.get("conversation_id")
        reply_to = refs.get("replied_to")
        url = (
            f"https://x.com/{username}/status/{tweet_id}"
            if username
            else f"https://x.com/i/web/status/{tweet_id}"
        )
        referenced = [page.included[i] for i in refs.values() if i in page.included]
        return build_mention(
            {
                "platform": self.platform,
                "platform_id": tweet_id,
                "source": self.spec.name,
                "author_handle": username,
                "author_name": str((author or {}).get("name") or ""),
                "text": text,
                "url": url,
                "created_at": created_at,
                "conversation_id": str(conversation_id) if conversation_id else None,
                "reply_to_id": str(reply_to) if reply_to else None,
            },
            {"tweet": tweet, "author": author, "referenced": referenced},
        )

    # -- errors ------------------------------------------------------------------------

    def _call(self, fetch: Callable[..., Any], what: str, **params: Any) -> Any:
        """Call tweepy; its and requests' errors leave as ``harvester.exceptions`` classes."""
        try:
            return fetch(**params)
        except tweepy.TooManyRequests as err:
            if err.reset_time is not None:
                reset_at = datetime.fromtimestamp(err.reset_time, tz=UTC)
            else:
                reset_at = utcnow() + RATE_LIMIT_FALLBACK
            raise RateLimited(
                f"X rate limit reached reading {what} ({_describe(err)}); reading resumes "
                f"after {reset_at.astimezone(WITA):%d-%m-%Y %H:%M} WITA",
                reset_at=reset_at,
            ) from err
        except tweepy.Unauthorized as err:
            raise CredentialsRejected(
                f"X did not accept the bearer token ({_describe(err)}): it is wrong, expired "
                f"or was regenerated. Copy the current bearer token from the X developer "
                f"portal into {self._token_env}, then run: aduan sources enable {self.spec.name}"
            ) from err
        except tweepy.Forbidden as err:
            raise CredentialsRejected(
                f"X refused access to {what} ({_describe(err)}): the token's app may have "
                f"been suspended, detached from its Project, or its X plan may not include "
                f"this. Check the app in the X developer portal, renew the token in "
                f"{self._token_env} if needed, then run: aduan sources enable {self.spec.name}"
            ) from err
        except tweepy.TwitterServerError as err:
            raise SourceUnavailable(
                f"X had a server error reading {what} ({_describe(err)}); retried next run"
            ) from err
        except tweepy.BadRequest as err:
            raise _RequestRefused(
                f"X refused the request for {what} ({_describe(err)}): check the query in "
                f"the options of source {self.spec.name}"
            ) from err
        except tweepy.HTTPException as err:
            raise SourceUnavailable(
                f"X answered {what} with an error ({_describe(err)}); retried next run"
            ) from err
        except requests.JSONDecodeError as err:
            # caught before RequestException, which it also is: a truncated or non-JSON body
            raise SourceDataError(
                f"X sent an unreadable answer for {what} (not valid JSON: {err}); retried next run"
            ) from err
        except (requests.Timeout, requests.ConnectionError) as err:
            raise SourceUnavailable(
                f"X could not be reached for {what} ({type(err).__name__}); retried next run"
            ) from err
        except requests.RequestException as err:
            raise SourceUnavailable(f"request to X for {what} failed: {err}") from err
        except (ValueError, AttributeError, TypeError, KeyError) as err:
            # tweepy reads error bodies assuming a JSON object and the rate-limit reset
            # header assuming an integer; another shape breaks it
            raise SourceDataError(
                f"X sent an answer for {what} in an unexpected shape ({err}); retried next run"
            ) from err


# -- helpers -----------------------------------------------------------------------------


def _parse_page(body: Any, what: str) -> _Page:
    """Check one timeline/search answer; anything unusable is a ``SourceDataError``."""
    if not isinstance(body, dict):
        raise SourceDataError(f"X sent an answer for {what} that is not a JSON object")
    if "data" not in body and "meta" not in body and body.get("errors"):
        messages = "; ".join(_api_messages(body))
        raise SourceDataError(f"X answered {what} with errors only: {messages}")
    data = body.get("data") or []
    meta = body.get("meta") or {}
    if not isinstance(data, list) or not isinstance(meta, dict):
        raise SourceDataError(f"X sent an answer for {what} whose data or meta is malformed")
    for item in data:
        if not (
            isinstance(item, dict) and _is_id(item.get("id")) and isinstance(item.get("text"), str)
        ):
            raise SourceDataError(f"X sent a post for {what} without an id or text: {item!r:.200}")
    if body.get("errors"):
        # Partial errors (e.g. a referenced post was deleted) do not spoil the page.
        log.debug("X partial errors for %s: %s", what, _api_messages(body))
    includes = body.get("includes")
    if not isinstance(includes, dict):
        includes = {}  # expansions are decoration; their absence never blocks a page
    newest = meta.get("newest_id")
    if not _is_id(newest):
        newest = max((t["id"] for t in data), key=int, default=None)
    token = meta.get("next_token")
    return _Page(
        tweets=data,
        users=_by_id(includes.get("users")),
        included=_by_id(includes.get("tweets")),
        newest_id=newest,
        next_token=token if isinstance(token, str) and token else None,
    )


def _finish_sweep(state: dict[str, Any]) -> None:
    """Promote the finished sweep's newest id to the stream's ``since_id``."""
    newest = state.pop("sweep_newest_id", None)
    state.pop("next_token", None)
    since_id = state.get("since_id")
    if newest and (not since_id or int(newest) > int(since_id)):
        state["since_id"] = newest
        state.pop("start_time", None)


def _by_id(items: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {i["id"]: i for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def _api_messages(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    found = [
        str(e.get("detail") or e.get("message") or e.get("title"))
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict)
    ]
    return found or ([str(body["detail"])] if body.get("detail") else [])


def _describe(err: tweepy.HTTPException) -> str:
    """``HTTP 403 Forbidden: <X's messages>`` for the health record."""
    response = err.response
    head = f"HTTP {response.status_code} {response.reason}".rstrip()
    messages = "; ".join(str(m) for m in err.api_messages)
    return f"{head}: {messages}" if messages else head


def _snowflake_time(tweet_id: str) -> datetime:
    """When a post with this id was created (X ids embed their timestamp)."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_id(value: Any) -> int | None:
    """A tweet id as a number (ids are snowflakes: larger is newer), or None."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _paused(cursor: dict[str, Any], now: datetime) -> dict[str, datetime]:
    """The endpoints the cursor says are rate-limited until a time still to come."""
    saved = cursor.get("paused")
    out: dict[str, datetime] = {}
    if isinstance(saved, dict):
        for endpoint, until in saved.items():
            at = parse_time(until) if isinstance(until, str) else None
            if at is not None and at > now:
                out[str(endpoint)] = at
    return out


def _pause_usage(paused: dict[str, datetime], was_paused: bool) -> dict[str, Any]:
    """The per-endpoint pauses for the source's health panel, in WITA.

    An empty ``jeda`` replaces the figures of a pause that has ended (the runner keeps a
    batch's usage until another batch brings some).
    """
    if paused:
        return {"jeda": {e: format_wita(t) for e, t in sorted(paused.items())}}
    return {"jeda": {}} if was_paused else {}
