"""Instagram through the official Graph API: a business account linked to a Facebook Page.

For accounts with Graph access (the instaloader collector, ``harvester.instagram``,
stays for those without). Reads, with the Page token:

* comments and their replies on the account's newest media
  (``/{ig-user-id}/media``, then ``/{media-id}/comments`` with ``replies``);
* media the account is tagged in (``/{ig-user-id}/tags``);
* recent media of hashtags (``/ig_hashtag_search``, ``/{hashtag-id}/recent_media``;
  Instagram gives the last 24 hours and counts 30 distinct hashtags per week).

Each stream keeps a mark (``harvester.cursor.Mark``: the newest time returned and the
ids at that time); a first run reads ``backfill_days`` back. The account's own comments
and replies (``account``) are skipped: our replies never come back as mentions. Hidden
comments are kept with ``raw["hidden"]`` so replies skip them. Graph errors enter the
same tree as the Facebook collector's: 190/102 reject the credentials, 4/17/32/613 and
the business-use-case limits rate-limit until the usage header's time, 5xx and
transient errors make the source unavailable until the next run.
"""

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar

import requests
from pydantic import Field

from harvester.base import Batch, CollectorOptions, SourceSpec
from harvester.cursor import Mark, parse_time
from harvester.exceptions import (
    CredentialsRejected,
    RateLimited,
    SourceDataError,
    SourceError,
    SourceUnavailable,
)
from models.tables import MentionIn
from models.types import utcnow

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
_TIMEOUT_S = 30
_USAGE_HEADERS = ("x-app-usage", "x-business-use-case-usage")
_TOKEN_CODES = frozenset({102, 190})
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 368, 613, *range(80000, 80015)})
_DEFAULT_BACKOFF = timedelta(hours=1)
_COMMENT_FIELDS = "id,text,timestamp,username,hidden,replies{id,text,timestamp,username,hidden}"
_MEDIA_FIELDS = "id,caption,timestamp,permalink,username"


class InstagramGraphOptions(CollectorOptions):
    """Options of an Instagram Graph API source."""

    ig_user_id: str = Field(min_length=1, max_length=40, pattern=r"^[0-9]+$")
    """The Instagram business account's id (``/{page-id}?fields=instagram_business_account``)."""
    account: str = Field(default="", max_length=100)
    """The account's username: its own comments and replies are skipped."""
    api_version: str = Field(default="v21.0", pattern=r"^v[0-9]+\.[0-9]+$")
    """Graph API version."""
    comments: bool = True
    """Read comments and replies on the account's newest media."""
    max_media: Annotated[int, Field(ge=1, le=50)] = 10
    """How many of the newest media have their comments read each run."""
    tagged: bool = True
    """Read media the account is tagged in."""
    hashtags: tuple[str, ...] = ()
    """Hashtags (without #) whose recent media are read."""
    max_pages: Annotated[int, Field(ge=1, le=100)] = 5
    """Result pages followed per stream and run."""


class InstagramGraphCollector:
    """Reads an Instagram business account's comments, tags and hashtags via the Graph API."""

    platform: ClassVar[str] = "instagram_graph"
    options_model: ClassVar[type[CollectorOptions]] = InstagramGraphOptions

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.options: InstagramGraphOptions = spec.options
        self.http = requests.Session()
        self.usage: dict[str, Any] = {}
        self.reads = 0

    # -- the run -----------------------------------------------------------------------

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Mentions newer than each stream's mark; the marks of the streams read whole."""
        token = self.spec.secrets.get("page_access_token") or ""
        if not token:
            env = self.spec.secret_env.get("page_access_token", "page_access_token")
            raise CredentialsRejected(f"no Page access token: set {env}")
        start = utcnow() - timedelta(days=self.spec.backfill_days)
        marks = {k: _load(v) for k, v in (cursor or {}).items()}
        out: list[MentionIn] = []
        new_cursor = dict(cursor or {})
        self.reads = 0
        try:
            for stream, items in self._streams(token):
                mark = marks.get(stream)
                got: list[MentionIn] = []
                for item in items:
                    at = item.created_at
                    if at < start or (mark is not None and mark.covers(at, item.platform_id)):
                        continue
                    got.append(item)
                newest = mark
                for m in got:
                    newest = (
                        Mark(m.created_at, frozenset({m.platform_id}))
                        if newest is None
                        else newest.after(m.created_at, m.platform_id)
                    )
                if newest is not None:
                    new_cursor[stream] = _dump(newest)
                out += got
        except SourceError as err:
            if not out:
                raise
            return Batch(out, new_cursor, reads=self.reads, interrupted=err, usage=self.usage)
        return Batch(out, new_cursor, reads=self.reads, usage=self.usage)

    def _streams(self, token: str) -> Iterator[tuple[str, list[MentionIn]]]:
        """(stream name, its mentions), one stream at a time, each read whole."""
        o = self.options
        if o.comments:
            media = self._get(
                token, f"{o.ig_user_id}/media", fields="id,permalink", limit=o.max_media
            )
            items: list[MentionIn] = []
            for post in media.get("data") or []:
                for comment in self._pages(token, f"{post['id']}/comments", fields=_COMMENT_FIELDS):
                    items += self._comment(comment, post)
            yield "comments", items
        if o.tagged:
            tags = self._pages(token, f"{o.ig_user_id}/tags", fields=_MEDIA_FIELDS)
            yield "tags", [m for m in (self._media(p) for p in tags) if m]
        for tag in o.hashtags:
            found = self._get(token, "ig_hashtag_search", user_id=o.ig_user_id, q=tag)
            ids = [h["id"] for h in found.get("data") or [] if "id" in h]
            recent: list[MentionIn] = []
            for hashtag_id in ids[:1]:
                pages = self._pages(
                    token,
                    f"{hashtag_id}/recent_media",
                    user_id=o.ig_user_id,
                    fields="id,caption,timestamp,permalink",
                )
                recent += [m for m in (self._media(p) for p in pages) if m]
            yield f"hashtag:{tag}", recent

    # -- items -------------------------------------------------------------------------

    def _own(self, username: Any) -> bool:
        return (
            bool(self.options.account)
            and str(username or "").lower() == self.options.account.lower()
        )

    def _comment(self, comment: dict[str, Any], post: dict[str, Any]) -> list[MentionIn]:
        out = []
        replies = (comment.get("replies") or {}).get("data") or []
        for item, parent in [(comment, post["id"]), *((r, comment.get("id")) for r in replies)]:
            if self._own(item.get("username")):
                continue  # our own replies (and comments) are never mentions
            mention = self._mention(
                item, item.get("text"), post.get("permalink"), post["id"], parent
            )
            if mention is not None:
                out.append(mention)
        return out

    def _media(self, post: dict[str, Any]) -> MentionIn | None:
        if self._own(post.get("username")):
            return None
        return self._mention(post, post.get("caption"), post.get("permalink"), post.get("id"), None)

    def _mention(
        self,
        item: dict[str, Any],
        text: Any,
        url: Any,
        conversation: Any,
        parent: Any,
    ) -> MentionIn | None:
        at = parse_time(item.get("timestamp"))
        item_id = str(item.get("id") or "")
        if at is None or not item_id:
            log.warning("%s: an item without id or time was skipped", self.spec.name)
            return None
        return MentionIn(
            platform="instagram",
            platform_id=item_id,
            source=self.spec.name,
            author_handle=str(item.get("username") or ""),
            text=str(text or "").replace("\x00", ""),
            url=str(url or ""),
            created_at=at,
            conversation_id=str(conversation) if conversation else None,
            reply_to_id=str(parent) if parent else None,
            raw=dict(item),
        )

    # -- HTTP --------------------------------------------------------------------------

    def _pages(self, token: str, path: str, **params: Any) -> list[dict[str, Any]]:
        """Items of up to max_pages pages of *path*."""
        body = self._get(token, path, **params)
        items = list(body.get("data") or [])
        for _ in range(self.options.max_pages - 1):
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (body.get("paging") or {}).get("next"):
                break
            body = self._get(token, path, after=after, **params)
            items += body.get("data") or []
        return items

    def _get(self, token: str, path: str, **params: Any) -> dict[str, Any]:
        url = f"{GRAPH_URL}/{self.options.api_version}/{path}"
        try:
            response = self.http.get(
                url, params={**params, "access_token": token}, timeout=_TIMEOUT_S
            )
        except requests.RequestException as err:
            raise SourceUnavailable(f"Instagram Graph API unreachable: {err}") from None
        self._keep_usage(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict) or "error" in body:
            raise self._error(body, response.status_code, path)
        self.reads += len(body.get("data") or [])
        return body

    def _keep_usage(self, response: requests.Response) -> None:
        for name in _USAGE_HEADERS:
            value = response.headers.get(name)
            if value:
                try:
                    self.usage[name] = json.loads(value)
                except ValueError:
                    self.usage[name] = value

    def _error(self, body: Any, status: int, path: str) -> SourceError:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        said = str(error.get("message") or f"HTTP {status}")
        env = self.spec.secret_env.get("page_access_token", "page_access_token")
        if code in _TOKEN_CODES:
            return CredentialsRejected(
                f"Instagram (Graph API) no longer accepts the Page access token: renew it and "
                f"set {env}. Facebook said (#{code}): {said}"
            )
        if code in _RATE_LIMIT_CODES:
            reset = utcnow() + _wait(self.usage)
            return RateLimited(
                f"Instagram (Graph API) asked to slow down (#{code}: {said}); reading resumes "
                f"after {reset:%Y-%m-%d %H:%M} UTC",
                reset_at=reset,
            )
        if status >= 500 or error.get("is_transient") is True or code in (1, 2):
            return SourceUnavailable(
                f"Instagram (Graph API) had a temporary problem reading {path} "
                f"({said}); will retry next run"
            )
        return SourceDataError(
            f"Instagram (Graph API) refused the request for {path} (#{code}: {said}); check "
            "ig_user_id and the token's permissions (instagram_basic, "
            "instagram_manage_comments, pages_read_engagement)"
        )


def _wait(usage: dict[str, Any]) -> timedelta:
    minutes = [m for m in _find_key(usage, "estimated_time_to_regain_access") if m > 0]
    return timedelta(minutes=max(minutes)) if minutes else _DEFAULT_BACKOFF


def _find_key(value: Any, key: str) -> Iterator[int]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and isinstance(v, int | float):
                yield int(v)
            else:
                yield from _find_key(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _find_key(v, key)


def _load(value: Any) -> Mark[datetime] | None:
    if not isinstance(value, dict):
        return None
    at = parse_time(value.get("at"))
    if at is None:
        return None
    return Mark(at, frozenset(str(i) for i in value.get("ids") or []))


def _dump(mark: Mark[datetime]) -> dict[str, Any]:
    return {"at": mark.at.isoformat(), "ids": sorted(mark.ids)}
