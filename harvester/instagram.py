"""Collects citizen mentions from Instagram with instaloader: comments, tags and hashtags.

Per source (one city account): the comments and their answers on the account's
``recent_posts`` newest posts (and on its pinned posts), the posts the account is tagged
in, and the posts under the configured hashtags. The account's own posts and comments,
and those of the logged-in staff user, are never mentions.

The cursor (stored JSON)::

    {"account": "pemkotdenpasar", "account_id": "1401234567",
     "comments_since": 1794916800,
     "posts": {"<media id>": {"ts": 1795071600, "ids": ["17900000000000105"]}},
     "tagged": {"ts": 1795165200, "ids": ["3500000000000000101"], "hole": null},
     "hashtags": {"prodenpasar": {"ts": 1794916800, "ids": [],
                                  "hole": {"lo": 1795158000, "hi": 1795165200,
                                           "lo_ids": ["3500000000000000201"]}}}}

A *mark* (``ts``, ``ids``) is the newest item a stream has already returned: its Unix
time and the ids seen at that second. Instagram offers no "since" for comments, so a
post's comments are read whole and filtered by the post's mark. Tagged and hashtag posts
come newest first, so their stream stops at the first post the mark covers.

A mark moves only when its stream was read back to it. A post stream cut short records
the stretch it did return as ``hole`` (all posts in (lo, hi] and ``lo_ids`` at lo): the
next run skips that stretch and goes on below it, so there is no gap, and each run makes
progress even when every run is cut short. ``comments_since`` is where the comments of a
post seen for the first time start: the start of the last run that read every recent
post's comments (at first, the backfill window).
"""

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import instaloader
import requests
from instaloader.instaloader import get_default_session_filename
from pydantic import BaseModel, Field, ValidationError, field_validator

from harvester.base import Batch, CollectorOptions, SourceSpec
from harvester.cursor import Mark, ReadBudget
from harvester.exceptions import (
    BudgetExhausted,
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

T = TypeVar("T")

_USERNAME = r"^@?[A-Za-z0-9._]{1,30}$"
#: instaloader gives no reset time for a 429; its own estimate is about 11 minutes
#: (30 for the mobile API), so never come back sooner than this
_MIN_BACKOFF = timedelta(minutes=10)
#: a scheduled job must never hang on one request for instaloader's default 300 s
_REQUEST_TIMEOUT = 30.0


class InstagramOptions(CollectorOptions):
    """Options of an Instagram source."""

    account: Annotated[str, Field(pattern=_USERNAME)]
    """The city's Instagram username, e.g. ``pemkotdenpasar``."""
    login_user: Annotated[str, Field(pattern=_USERNAME)] | None = None
    """The user whose session file is used; defaults to ``account``."""
    session_file: str | None = None
    """Path of the session file made by ``instaloader -l USER``; the secret overrides it."""
    comments: bool = True
    """Read the comments (and their answers) on the account's recent posts; needs a login."""
    recent_posts: Annotated[int, Field(ge=1, le=100)] = 12
    """How many of the account's newest posts have their comments read each run."""
    tagged: bool = True
    """Read the posts the account is tagged in."""
    hashtags: list[str] = Field(default_factory=list)
    """Hashtags whose posts are read, with or without ``#`` (e.g. ``prodenpasar``)."""
    max_items: Annotated[int, Field(ge=1)] = 1000
    """Mentions returned per run at most; the rest follow on the next run."""

    @field_validator("account", "login_user")
    @classmethod
    def _bare_username(cls, value: str | None) -> str | None:
        return value.lstrip("@").lower() if value is not None else None

    @field_validator("hashtags")
    @classmethod
    def _bare_tags(cls, value: list[str]) -> list[str]:
        tags: list[str] = []
        for raw in value:
            tag = raw.strip().lstrip("#").lower()
            if not re.fullmatch(r"\w{1,150}", tag):
                raise ValueError(f"not a hashtag: {raw!r}")
            if tag not in tags:
                tags.append(tag)
        return tags


class InstagramRateLimit(Exception):
    """Raised by RaisingRateController where instaloader would sleep; never leaves this module.

    Deliberately not an ``InstaloaderException`` or ``ConnectionException``: instaloader
    catches those to retry, and must let this one through.
    """

    def __init__(self, wait_seconds: float, reason: str) -> None:
        super().__init__(f"{reason}: wait {wait_seconds:.0f} s")
        self.wait_seconds = wait_seconds
        self.reason = reason


#: instaloader's request timestamps per login, kept across runs of this process: a new
#: Instaloader is built per run, and its pacing only works if it remembers the last ones
_PACING: dict[str, dict[str, list[float]]] = {}


class RaisingRateController(instaloader.RateController):
    """instaloader's request pacing and 429 handling, raising where it would sleep.

    The default controller sleeps before requests it paces and up to ~30 minutes after
    a 429; a sleeping job blocks the scheduler. This one raises ``InstagramRateLimit``
    instead, so the run ends at once with "rate limited until T".
    """

    def __init__(self, context: instaloader.InstaloaderContext, pacing_key: str) -> None:
        super().__init__(context)
        self._query_timestamps = _PACING.setdefault(pacing_key, {})

    def sleep(self, secs: float) -> None:
        """Refuse to wait: every wait instaloader asks for becomes an InstagramRateLimit."""
        raise InstagramRateLimit(secs, "instaloader's request pacing asks to wait")

    def handle_429(self, query_type: str) -> None:
        """Raise at once with instaloader's estimate of when Instagram will answer again."""
        try:
            wait = self.query_waittime(query_type, time.monotonic(), untracked_queries=True)
        except ValueError:  # no request of this type on record: no estimate
            wait = 0.0
        raise InstagramRateLimit(wait, "Instagram answered 429 Too Many Requests")


#: the newest item a stream has returned: its Unix time and the ids at that second
_Mark = Mark[int]


class _Hole(BaseModel):
    """Posts a cut-short run already returned: all in (lo, hi], and those ``lo_ids`` at lo."""

    lo: int
    hi: int
    lo_ids: list[str] = Field(default_factory=list)

    def holds(self, ts: int, item_id: str) -> bool:
        return self.lo < ts <= self.hi or (ts == self.lo and item_id in self.lo_ids)


class _StoredMark(BaseModel):
    ts: int
    ids: list[str] = Field(default_factory=list)
    hole: _Hole | None = None

    def mark(self) -> _Mark:
        return _Mark(self.ts, frozenset(self.ids))

    @classmethod
    def of(cls, mark: _Mark, hole: _Hole | None = None) -> "_StoredMark":
        return cls(ts=mark.at, ids=sorted(mark.ids), hole=hole)


class _Cursor(BaseModel):
    account: str | None = None
    account_id: str | None = None
    comments_since: int | None = None
    posts: dict[str, _StoredMark] = Field(default_factory=dict)
    tagged: _StoredMark | None = None
    hashtags: dict[str, _StoredMark] = Field(default_factory=dict)


class _Scan:
    """One run's progress through a newest-first post stream."""

    def __init__(self, stored: _StoredMark) -> None:
        self.mark = stored.mark()
        self.hole = stored.hole
        self.seen = self.mark
        self.top: int | None = None
        self.low: int | None = None
        self.low_ids: set[str] = set()
        self.complete = False

    def kind(self, ts: int, item_id: str) -> Literal["old", "known", "new"]:
        """Whether a post is behind the mark, inside the stretch returned earlier, or new."""
        if self.mark.covers(ts, item_id):
            return "old"
        if self.hole is not None and self.hole.holds(ts, item_id):
            return "known"
        return "new"

    def done(self, ts: int, item_id: str) -> None:
        """Record that a post (new or known) has been dealt with."""
        self.seen = self.seen.after(ts, item_id)
        self.top = ts if self.top is None else max(self.top, ts)
        if self.low is None or ts < self.low:
            self.low, self.low_ids = ts, {item_id}
        elif ts == self.low:
            self.low_ids.add(item_id)

    def stored(self) -> _StoredMark:
        """The stream's state for the cursor, whether or not the scan got to the end."""
        if self.complete:
            mark = self.seen
            if self.hole is not None and self.hole.hi > mark.at:  # the known posts were deleted
                mark = _Mark(self.hole.hi)
            return _StoredMark.of(mark)
        if self.low is None or self.top is None:
            return _StoredMark.of(self.mark, self.hole)
        # Read from the newest post down to `low`: every post above `low` was returned, now
        # or by the run that left the old hole, and so were `low_ids` at `low`.
        old = self.hole
        if old is None:
            hole = _Hole(lo=self.low, hi=self.top, lo_ids=sorted(self.low_ids))
        elif self.low <= old.hi:
            if self.low < old.lo:
                lo, lo_ids = self.low, self.low_ids
            elif self.low == old.lo:
                lo, lo_ids = self.low, self.low_ids | set(old.lo_ids)
            else:
                lo, lo_ids = old.lo, set(old.lo_ids)
            hole = _Hole(lo=lo, hi=max(self.top, old.hi), lo_ids=sorted(lo_ids))
        else:
            # Stopped above the old hole: the stretch between is unread; keep the deeper one.
            hole = old
        return _StoredMark.of(self.mark, hole)


class _Stop(Exception):
    """Ends a run early: on the read budget (error set) or on ``max_items`` (no error)."""

    def __init__(self, error: SourceError | None) -> None:
        super().__init__(str(error) if error else "max_items reached")
        self.error = error


@dataclass
class _Run:
    """What one run has read and collected so far."""

    budget: ReadBudget
    max_items: int
    mentions: list[MentionIn] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    doing: str = "Instagram"

    def pull(self, items: Iterable[T]) -> Iterator[T]:
        """Yield *items*, counting reads and stopping at the read budget."""
        iterator = iter(items)
        while True:
            try:
                self.budget.check()
            except BudgetExhausted as err:
                raise _Stop(err) from None
            try:
                item = next(iterator)
            except StopIteration:
                return
            self.budget.count()
            yield item

    def add(self, fields: dict[str, Any], raw: dict[str, Any]) -> None:
        """Keep the mention of *fields* unless this run already has it (a post both tagged
        and hashtagged); one that cannot be stored is set aside for the quarantine."""
        mention = build_mention(fields, raw)
        if isinstance(mention, Rejected):
            self.rejected.append(mention)
        elif mention.platform_id not in self.ids:
            self.ids.add(mention.platform_id)
            self.mentions.append(mention)

    @property
    def full(self) -> bool:
        """Whether ``max_items`` mentions have been collected."""
        return len(self.mentions) >= self.max_items


class InstagramCollector:
    """Comments on the city's recent posts, posts it is tagged in, and hashtag posts."""

    platform: ClassVar[str] = "instagram"
    options_model: ClassVar[type[CollectorOptions]] = InstagramOptions

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.options: InstagramOptions = spec.options
        self.login_user = self.options.login_user or self.options.account
        self.own_handles = {self.options.account, self.login_user}
        self.own_ids: set[int] = set()

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Fetch the mentions newer than *cursor*; see the module docstring for the cursor."""
        started = utcnow()
        try:
            work = _Cursor.model_validate(cursor or {})
        except ValidationError as err:
            raise SourceDataError(
                f"the stored Instagram cursor of {self.spec.name} cannot be read: {err}"
            ) from err
        floor = int((started - timedelta(days=self.spec.backfill_days)).timestamp())
        # Every configured stream gets a state now, before anything is read: a stream a cut
        # short run never reached then still starts from this run's window, not a later one.
        # Only configured streams keep one: a hashtag dropped and re-added months later
        # starts from the backfill window, not from its old mark.
        if work.comments_since is None:
            work.comments_since = floor
        work.tagged = (work.tagged or _StoredMark(ts=floor)) if self.options.tagged else None
        work.hashtags = {
            tag: work.hashtags.get(tag) or _StoredMark(ts=floor) for tag in self.options.hashtags
        }
        run = _Run(budget=ReadBudget(read_budget, "Instagram"), max_items=self.options.max_items)
        interrupted: SourceError | None = None
        loader = self._loader()
        try:
            with self._translating(run):
                self._login(loader)
                profile = self._profile(loader, work, run)
                if self.options.comments:
                    self._comments(run, profile, work, int(started.timestamp()))
                if work.tagged is not None:
                    run.doing = f"the posts @{self.options.account} is tagged in"
                    self._stream(run, profile.get_tagged_posts, work.tagged, _setter(work, None))
                for tag in self.options.hashtags:
                    run.doing = f"the #{tag} posts"
                    hashtag = instaloader.Hashtag(loader.context, {"name": tag})
                    self._stream(
                        run, hashtag.get_posts_resumable, work.hashtags[tag], _setter(work, tag)
                    )
        except _Stop as stop:
            interrupted = stop.error
        except SourceError as err:
            if run.budget.reads == 0:
                raise
            interrupted = err
        finally:
            loader.close()
        log.debug(
            "instagram source %s: %d reads, %d mentions, interrupted: %s",
            self.spec.name,
            run.budget.reads,
            len(run.mentions),
            interrupted,
        )
        return Batch(
            mentions=run.mentions,
            rejected=run.rejected,
            cursor=work.model_dump(mode="json"),
            reads=run.budget.reads,
            interrupted=interrupted,
        )

    # -- instaloader set-up -----------------------------------------------------------

    def _loader(self) -> instaloader.Instaloader:
        pacing_key = self.login_user if self._session_path() else "anonymous"
        loader = instaloader.Instaloader(
            sleep=False,
            quiet=True,
            download_pictures=False,
            download_videos=False,
            download_video_thumbnails=False,
            download_geotags=False,
            download_comments=False,
            save_metadata=False,
            compress_json=False,
            # One immediate retry for a dropped connection; the next run retries the rest.
            # At least two: instaloader consults the rate controller on the retry after a 429.
            max_connection_attempts=2,
            request_timeout=_REQUEST_TIMEOUT,
            rate_controller=lambda ctx: RaisingRateController(ctx, pacing_key),
            # A 401 ("Please wait a few minutes") means Instagram distrusts the session;
            # retrying it only makes that worse, so abort on the first one.
            fatal_status_codes=[401],
        )
        # instaloader prints its errors to stderr; a daemon logs them instead.
        loader.context.error = _instaloader_error  # type: ignore[method-assign]
        return loader

    def _session_path(self) -> Path | None:
        """The session file to log in with, or None to read anonymously."""
        explicit = self.spec.secrets.get("session_file") or self.options.session_file
        if explicit:
            return Path(explicit).expanduser()
        if self.options.login_user or self.options.comments:
            return Path(get_default_session_filename(self.login_user))
        return None

    def _login(self, loader: instaloader.Instaloader) -> None:
        path = self._session_path()
        if path is None:
            return
        try:
            loader.load_session_from_file(self.login_user, str(path))
        except FileNotFoundError as err:
            raise CredentialsRejected(
                f"no Instagram session file at {path}. {self._how_to_login()}"
            ) from err
        except Exception as err:  # a pickle can fail in any way; all mean "not usable"
            raise CredentialsRejected(
                f"the Instagram session file {path} cannot be read ({type(err).__name__}). "
                f"{self._how_to_login()}"
            ) from err
        if loader.context.user_id:
            self.own_ids.add(int(loader.context.user_id))

    def _how_to_login(self) -> str:
        env = self.spec.secret_env.get("session_file")
        where = "options.session_file" + (f" or the environment variable {env}" if env else "")
        return (
            f"On a computer where you can log in to Instagram, run `instaloader -l "
            f"{self.login_user}`, copy the session file it saves to this server, set {where} "
            f"to its path, then run `aduan sources enable {self.spec.name}`."
        )

    def _profile(
        self, loader: instaloader.Instaloader, work: _Cursor, run: _Run
    ) -> instaloader.Profile:
        account = self.options.account
        run.doing = f"the profile @{account}"
        if work.account == account and work.account_id:
            # Known from an earlier run: skip the profile page, which Instagram serves
            # only as a logged-out page and often refuses.
            profile = instaloader.Profile(
                loader.context, {"username": account, "id": int(work.account_id)}
            )
        else:
            try:
                profile = instaloader.Profile.from_username(loader.context, account)
            except instaloader.AbortDownloadException as err:
                # from_username reads the public page without the session, yet instaloader
                # blames the session for a redirect to the login page there. It is Instagram
                # turning away an anonymous visitor: not a reason to disable the source.
                raise SourceUnavailable(
                    f"Instagram did not show the public page of @{account} (it asked for a "
                    "login); the next run tries again"
                ) from err
            work.account, work.account_id = account, str(profile.userid)
            work.posts = {}
        self.own_ids.add(profile.userid)
        return profile

    # -- the three kinds of stream ----------------------------------------------------

    def _comments(
        self, run: _Run, profile: instaloader.Profile, work: _Cursor, started: int
    ) -> None:
        run.doing = f"the recent posts of @{self.options.account}"
        posts: list[instaloader.Post] = []
        regular = 0
        for post in run.pull(profile.get_posts()):
            posts.append(post)
            # Pinned posts come first whatever their age; read their comments too (the city
            # pins its announcements, citizens answer there) without counting them.
            if not _raw_post(post).get("timeline_pinned_user_ids"):
                regular += 1
            if regular >= self.options.recent_posts:
                break
        assert work.comments_since is not None
        floor = _Mark(work.comments_since)
        for post in posts:
            if run.full:
                raise _Stop(None)  # between posts: a post's comments are always read whole
            key = str(post.mediaid)
            stored = work.posts.get(key)
            mark = stored.mark() if stored else floor
            if _raw_post(post).get("comment_count") == 0:
                work.posts[key] = _StoredMark.of(mark)
                continue
            run.doing = f"the comments on {_post_url(post)}"
            seen = mark
            for comment in run.pull(post.get_comments()):
                seen = self._comment(run, post, comment, None, mark, seen)
                for answer in run.pull(comment.answers):
                    seen = self._comment(run, post, answer, comment, mark, seen)
            work.posts[key] = _StoredMark.of(seen)
        # Every recent post was read: forget posts that left the window, and start the
        # comments of posts first seen later from this run on.
        keep = {str(post.mediaid) for post in posts}
        work.posts = {key: value for key, value in work.posts.items() if key in keep}
        work.comments_since = started

    def _comment(
        self,
        run: _Run,
        post: instaloader.Post,
        item: instaloader.PostComment | instaloader.PostCommentAnswer,
        parent: instaloader.PostComment | None,
        mark: _Mark,
        seen: _Mark,
    ) -> _Mark:
        """Collect one comment or answer if new and not the city's; return the advanced mark."""
        if isinstance(item, instaloader.PostComment):
            ts, raw = int(item._node["created_at"]), dict(item._node)
        else:
            ts = int(item.created_at_utc.replace(tzinfo=UTC).timestamp())
            raw = _answer_raw(item, parent)
        item_id = str(item.id)
        owner = item.owner
        if _in_future(ts):
            # Taken into the mark, it would hide every later comment: set aside instead.
            run.rejected.append(_future_item(ts, item_id, raw))
            return seen
        if not mark.covers(ts, item_id) and not self._is_own(owner.userid, owner.username):
            media_id = str(post.mediaid)
            run.add(
                {
                    "platform": "instagram",
                    "platform_id": item_id,
                    "source": self.spec.name,
                    "author_handle": owner.username,
                    "author_name": _full_name(owner),
                    "text": item.text or "",
                    "url": f"{_post_url(post)}c/{item_id}/",
                    "created_at": _epoch_time(ts),
                    "conversation_id": media_id,
                    "reply_to_id": str(parent.id) if parent is not None else media_id,
                },
                raw,
            )
        return seen.after(ts, item_id)

    def _stream(
        self,
        run: _Run,
        posts: Callable[[], Iterable[instaloader.Post]],
        stored: _StoredMark,
        save: Callable[[_StoredMark], None],
    ) -> None:
        """Read a newest-first post stream down to its mark; store its state however it ends."""
        scan = _Scan(stored)
        try:
            for post in run.pull(posts()):
                ts = int(post.date_utc.replace(tzinfo=UTC).timestamp())
                post_id = str(post.mediaid)
                if _in_future(ts):
                    run.rejected.append(_future_item(ts, post_id, dict(post._node)))
                    continue
                kind = scan.kind(ts, post_id)
                if kind == "old":
                    break
                if kind == "new" and post_id not in run.ids:
                    self._collect_post(run, post, ts)
                scan.done(ts, post_id)
                if run.full:
                    raise _Stop(None)
            scan.complete = True
        finally:
            save(scan.stored())

    def _collect_post(self, run: _Run, post: instaloader.Post, ts: int) -> None:
        if int(post.owner_id) in self.own_ids:
            return
        # Hashtag posts carry only the owner's id: this looks the username up (one request).
        owner = post.owner_profile
        if self._is_own(owner.userid, owner.username):
            return
        run.add(
            {
                "platform": "instagram",
                "platform_id": str(post.mediaid),
                "source": self.spec.name,
                "author_handle": owner.username,
                "author_name": _full_name(owner),
                "text": post.caption or "",
                "url": _post_url(post),
                "created_at": _epoch_time(ts),
                "conversation_id": str(post.mediaid),
            },
            dict(post._node),
        )

    def _is_own(self, user_id: int, username: str) -> bool:
        return user_id in self.own_ids or username.lower() in self.own_handles

    # -- errors -----------------------------------------------------------------------

    @contextmanager
    def _translating(self, run: _Run) -> Iterator[None]:
        """Convert instaloader's and requests' exceptions into ours where they enter."""
        try:
            yield
        except InstagramRateLimit as err:
            reset = utcnow() + max(timedelta(seconds=err.wait_seconds), _MIN_BACKOFF)
            raise RateLimited(
                f"{err.reason} while reading {run.doing}; the source waits until "
                f"{format_wita(reset)}",
                reset_at=reset,
            ) from err
        except instaloader.AbortDownloadException as err:
            raise CredentialsRejected(
                f"{_credentials_problem(str(err))}. {self._how_to_login()}"
            ) from err
        except (instaloader.LoginRequiredException, instaloader.LoginException) as err:
            raise CredentialsRejected(
                f"Instagram wants a login to read {run.doing}. {self._how_to_login()}"
            ) from err
        except instaloader.ProfileNotExistsException as err:
            raise SourceDataError(
                f"Instagram has no account @{self.options.account} (or it is hidden from "
                f"{self.login_user}); check options.account of {self.spec.name}"
            ) from err
        except instaloader.PrivateProfileNotFollowedException as err:
            raise SourceDataError(
                f"@{self.options.account} is private and {self.login_user} does not follow it"
            ) from err
        except instaloader.QueryReturnedBadRequestException as err:
            raise SourceDataError(
                f"Instagram refused the request for {run.doing} as malformed (400); "
                f"instaloader may need an update: {err}"
            ) from err
        except instaloader.ConnectionException as err:
            if _caused_by(err, instaloader.TooManyRequestsException) or (
                "429 Too Many Requests" in str(err)
            ):
                reset = utcnow() + _MIN_BACKOFF
                raise RateLimited(
                    f"Instagram answered 429 Too Many Requests while reading {run.doing}; "
                    f"the source waits until {format_wita(reset)}",
                    reset_at=reset,
                ) from err
            if _caused_by(err, json.JSONDecodeError):
                raise SourceDataError(
                    f"Instagram's answer for {run.doing} was not valid JSON: {err}"
                ) from err
            raise SourceUnavailable(
                f"Instagram could not be reached or failed while reading {run.doing}: {err}"
            ) from err
        except requests.RequestException as err:
            raise SourceUnavailable(
                f"Instagram could not be reached while reading {run.doing}: {err}"
            ) from err
        except (
            instaloader.InstaloaderException,
            KeyError,
            TypeError,
            IndexError,
            ValueError,
        ) as err:
            # instaloader reads Instagram's answers with plain indexing: an answer of an
            # unexpected shape surfaces as KeyError/TypeError (or BadResponseException).
            log.debug("unexpected Instagram answer for %s", run.doing, exc_info=True)
            raise SourceDataError(
                f"Instagram's answer for {run.doing} could not be read "
                f"({type(err).__name__}: {err}); instaloader may need an update"
            ) from err


def _setter(work: _Cursor, hashtag: str | None) -> Callable[[_StoredMark], None]:
    """Stores a stream's state in *work*: the tagged stream's, or *hashtag*'s."""

    def save(stored: _StoredMark) -> None:
        if hashtag is None:
            work.tagged = stored
        else:
            work.hashtags[hashtag] = stored

    return save


def _instaloader_error(msg: str, repeat_at_end: bool = True) -> None:
    log.debug("instaloader: %s", msg)


def _caused_by(err: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _credentials_problem(text: str) -> str:
    """A plain account of why instaloader aborted (its messages are for programmers)."""
    if "checkpoint_required" in text or "challenge_required" in text:
        return (
            "Instagram wants a security check (checkpoint) for this login: open Instagram "
            "in a browser or the app as this user and confirm it's you"
        )
    if "feedback_required" in text:
        return "Instagram has blocked this login for now (feedback_required)"
    if "Please wait a few minutes" in text or '"401' in text or " 401 " in text:
        return (
            "Instagram answered 401 'Please wait a few minutes before you try again', which "
            "it says to a session it no longer trusts"
        )
    if "Redirected to login page" in text:
        return "Instagram has logged this session out"
    return f"Instagram stopped the session ({text})"


def _raw_post(post: instaloader.Post) -> dict[str, Any]:
    """The post as Instagram sent it (for posts from the mobile-style API, its media struct)."""
    # instaloader exposes the node only as this attribute: its _asdict() merges in
    # metadata it fetched later.
    node: dict[str, Any] = post._node
    iphone = node.get("iphone_struct")
    return iphone if isinstance(iphone, dict) else node


def _post_url(post: instaloader.Post) -> str:
    return f"https://www.instagram.com/p/{post.shortcode}/"


def _in_future(ts: int) -> bool:
    """Whether *ts* is more than a day ahead of now (clocks differ by minutes, not days)."""
    return ts > (utcnow() + timedelta(days=1)).timestamp()


def _future_item(ts: int, item_id: str, raw: dict[str, Any]) -> Rejected:
    """The quarantine entry of an item dated in the future."""
    at = _epoch_time(ts)
    fields: dict[str, Any] = {"platform": "instagram", "platform_id": item_id, "created_at": at}
    if isinstance(raw.get("text"), str):
        fields["text"] = raw["text"]
    return Rejected(
        reason=f"created_at: {at} is in the future",
        fields=clean_payload(fields),
        raw=clean_payload(raw),
        platform="instagram",
        platform_id=item_id[:100],
    )


def _epoch_time(ts: int) -> datetime | str:
    """*ts* (seconds since 1970) as a UTC time, or as text when out of range, so that
    ``build_mention`` refuses the record naming the value rather than the run failing."""
    try:
        return datetime.fromtimestamp(ts, UTC)
    except (ValueError, OverflowError, OSError):
        return f"{ts} seconds since 1970"


def _full_name(profile: instaloader.Profile) -> str:
    # Profile.full_name fetches the whole profile when the node lacks it: one request per
    # commenter, so read only what the answer already carried.
    node: dict[str, Any] = profile._node
    return str(node.get("full_name") or "")


def _answer_raw(
    answer: instaloader.PostCommentAnswer, parent: instaloader.PostComment | None
) -> dict[str, Any]:
    """The answer's node as sent, when its parent carried it; else rebuilt from its fields.

    instaloader turns answers into a NamedTuple and drops the node, so answers fetched by a
    separate request cannot be stored exactly as sent.
    """
    if parent is not None:
        node: dict[str, Any] = parent._node
        inline = [
            e.get("node", {}) for e in node.get("edge_threaded_comments", {}).get("edges", [])
        ]
        inline += node.get("iphone_struct", {}).get("preview_child_comments", [])
        for candidate in inline:
            if str(candidate.get("id", candidate.get("pk"))) == str(answer.id):
                return dict(candidate)
    owner: dict[str, Any] = answer.owner._node
    return {
        "id": str(answer.id),
        "created_at": int(answer.created_at_utc.replace(tzinfo=UTC).timestamp()),
        "text": answer.text,
        "owner": {k: v for k, v in owner.items() if k != "iphone_struct"},
        "likes_count": answer.likes_count,
        "parent_id": str(parent.id) if parent is not None else None,
        "rebuilt_from": "instaloader.PostCommentAnswer",
    }
