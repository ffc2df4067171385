"""Loading and validating ``config.yaml`` once, at start-up.

Every problem is reported as ``FILE: key.path: what is wrong``, all at once, so an
operator can fix the file in one go.
"""

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from harvester.registry import options_model, platforms
from models.exceptions import ConfigError
from models.vocab import CATEGORIES, NOT_COMPLAINT, Role
from notify.replies import DEFAULT_TEMPLATES, check_template
from notify.settings import SmtpSecurity, min_lease
from notify.urlcheck import WebhookURLError, check_webhook_url

DEFAULT_CONFIG = Path("config.yaml")


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PydanticCustomError(
            "positive_int", "must be a positive integer, got {got}", {"got": _show(value)}
        )
    return value


def _positive_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise PydanticCustomError(
            "positive_number", "must be a positive number, got {got}", {"got": _show(value)}
        )
    return value


def _probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise PydanticCustomError(
            "probability", "must be a number from 0 to 1, got {got}", {"got": _show(value)}
        )
    return float(value)


PositiveInt = Annotated[int, BeforeValidator(_positive_int)]
#: seconds: whole or fractional (an int stays an int, so the config page shows it as given)
PositiveNumber = Annotated[int | float, BeforeValidator(_positive_number)]
Probability = Annotated[float, BeforeValidator(_probability)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)]
#: an inbox's code, as the store holds it (agency.code, complaint.inbox: 40 characters)
InboxCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=40)]


class Strict(BaseModel):
    """A config section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(Strict):
    """How often a job runs; give exactly one unit."""

    seconds: PositiveInt | None = None
    minutes: PositiveInt | None = None
    hours: PositiveInt | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> "Schedule":
        given = [v for v in (self.seconds, self.minutes, self.hours) if v is not None]
        if len(given) != 1:
            raise PydanticCustomError("schedule", "give exactly one of seconds, minutes or hours")
        return self

    @property
    def interval_seconds(self) -> int:
        """The interval in seconds."""
        return (self.seconds or 0) + (self.minutes or 0) * 60 + (self.hours or 0) * 3600


class SourceConfig(Strict):
    """One configured source: a platform account or query, or a replay file."""

    name: Name
    platform: str
    enabled: bool = True
    schedule: Schedule
    backfill_days: PositiveInt = 3
    monthly_read_cap: PositiveInt | None = None
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="option name -> NAME of the environment variable holding the secret",
    )
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        known = platforms()
        if value not in known:
            raise PydanticCustomError(
                "platform",
                "unknown platform {got}; known: {known}",
                {"got": _show(value), "known": ", ".join(sorted(known))},
            )
        return value

    def missing_secrets(self, environ: dict[str, str] | None = None) -> list[str]:
        """Names of the environment variables this source needs that are unset or empty."""
        env = os.environ if environ is None else environ
        return [var for var in self.secrets.values() if not env.get(var)]

    def secret_values(self) -> dict[str, str]:
        """The secrets read from the environment, by option name."""
        return {key: os.environ.get(var, "") for key, var in self.secrets.items()}


class AgencyConfig(Strict):
    """An inbox that receives complaints (a ``notify.settings.Recipient``)."""

    code: InboxCode
    name: str
    email: str | None = None
    webhook_url: str | None = None
    #: NAME of the environment variable holding the webhook's HMAC secret
    webhook_secret_env: str | None = None
    external: bool = False
    #: one e-mail a day listing new complaints, instead of one per complaint
    digest: bool = False
    #: who hears of a missed deadline (level 1); default: the inbox's own address.
    #: Escalation webhooks are signed with the secret named by webhook_secret_env.
    escalation_email: str | None = None
    escalation_webhook: str | None = None
    #: the head of the agency, told at level 2; default: the escalation contacts
    head_email: str | None = None
    head_webhook: str | None = None
    #: give each complaint entering this inbox a petugas (an active agency user of it):
    #: round_robin (in turn) or least_loaded (fewest open complaints); None: by hand
    auto_assign: Literal["round_robin", "least_loaded"] | None = None

    @property
    def webhook_secret(self) -> str | None:
        """The webhook's HMAC secret, read from the variable named by webhook_secret_env."""
        return _env_value(self.webhook_secret_env)

    def webhooks(self) -> dict[str, str]:
        """Every webhook URL configured for this inbox, by key."""
        given = {
            "webhook_url": self.webhook_url,
            "escalation_webhook": self.escalation_webhook,
            "head_webhook": self.head_webhook,
        }
        return {key: url for key, url in given.items() if url}


class RuleMatch(Strict):
    """What a rule looks for; every given condition must hold."""

    #: any of these words or phrases in the normalised text (case-insensitive)
    keywords: list[str] = Field(default_factory=list)
    #: a regular expression searched in the normalised text
    regex: str | None = None
    authors: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise PydanticCustomError(
                    "regex", "not a valid regular expression: {problem}", {"problem": str(err)}
                ) from None
        return value

    @model_validator(mode="after")
    def _something(self) -> "RuleMatch":
        if not (self.keywords or self.regex or self.authors or self.platforms or self.sources):
            raise PydanticCustomError("rule", "a rule must match on something")
        return self


class RuleAction(Strict):
    """What a matching rule decides: a category (and so its inbox), or an inbox directly."""

    category: str | None = None
    inbox: InboxCode | None = None

    @model_validator(mode="after")
    def _something(self) -> "RuleAction":
        if self.category is None and self.inbox is None:
            raise PydanticCustomError("rule", "give a category, an inbox, or both")
        if self.category is not None and self.category not in CATEGORIES:
            raise PydanticCustomError(
                "categories", "unknown category {got}", {"got": _show(self.category)}
            )
        return self


class RuleConfig(Strict):
    """A routing rule, tried in order before the model (like a helpdesk trigger)."""

    name: Name
    match: RuleMatch
    action: RuleAction


class DedupeConfig(Strict):
    """When several reports are one problem."""

    window_hours: PositiveInt = 48
    #: text similarity (0..1) above which same-category, same-place reports merge
    min_similarity: Probability = 0.3


class JurisdictionRoad(Strict):
    """A road the city does not own: complaints about it go to its owner."""

    name: str
    inbox: InboxCode
    reason: str
    aliases: list[str] = Field(default_factory=list)
    #: only complaints about these topics (e.g. drainage) go to the owner; empty: all
    topics: list[str] = Field(default_factory=list)


class LocationConfig(Strict):
    """The gazetteer: which region, extra places, and roads owned by others."""

    region: str = "51.71"
    places: Path | None = None
    #: replaces the built-in list (router/data/places.yaml) when given
    jurisdiction: list[JurisdictionRoad] | None = None


class DeadlineConfig(Strict):
    """Service deadlines in working days (weekends and public holidays excluded)."""

    initial_response_days: PositiveInt = 3
    follow_up_days: PositiveInt = 5
    holidays_country: str = "ID"


class SmtpConfig(Strict):
    """The mail server notifications go through (a ``notify.settings.SmtpSettings``)."""

    host: str = "localhost"
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    security: SmtpSecurity = "none"
    #: NAMES of the environment variables holding the SMTP user and password
    username_env: str | None = None
    password_env: str | None = None
    from_address: str = "aduan@localhost"
    timeout_seconds: PositiveNumber = 20

    @property
    def username(self) -> str | None:
        """The SMTP user, read from the variable named by username_env."""
        return _env_value(self.username_env)

    @property
    def password(self) -> str | None:
        """The SMTP password, read from the variable named by password_env."""
        return _env_value(self.password_env)


class DeliveryConfig(Strict):
    """The outbox worker: e-mail and webhooks to agencies, with retries.

    A ``notify.settings.DeliverySettings``: the worker reads it as it is.
    """

    schedule: Schedule = Schedule(seconds=15)
    smtp: SmtpConfig = SmtpConfig()
    webhook_timeout_seconds: PositiveNumber = 10
    #: allow webhooks to loopback and private addresses (tests, an internal receiver)
    allow_private_webhooks: bool = False
    max_attempts: PositiveInt = 8
    backoff_base_seconds: PositiveInt = 30
    backoff_max_seconds: PositiveInt = 3600
    #: hour (WITA) at which daily digests go out
    digest_hour: Annotated[int, Field(ge=0, le=23)] = 7
    #: how long a claimed notification stays reserved for its worker (a crashed
    #: worker's rows are sent by another after it); default: 5 minutes or more
    lease_seconds: PositiveInt | None = None

    @model_validator(mode="after")
    def _lease_covers_a_send(self) -> "DeliveryConfig":
        need = min_lease(
            smtp_timeout=self.smtp.timeout_seconds, webhook_timeout=self.webhook_timeout_seconds
        )
        if self.lease_seconds is not None and self.lease_seconds < need:
            raise PydanticCustomError(
                "rule",
                "lease_seconds must be at least {need} (twice the longest a send may take "
                "with these timeouts)",
                {"need": f"{need:g}"},
            )
        return self


class EscalationConfig(Strict):
    """Missed deadlines: escalation levels and the daily overdue digest (lifecycle.escalation)."""

    enabled: bool = True
    schedule: Schedule = Schedule(minutes=5)
    #: working days after a missed deadline until the head of the agency is told
    second_level_days: PositiveInt = 2
    #: hour (WITA) from which each agency gets its daily list of overdue complaints
    digest_hour: Annotated[int, Field(ge=0, le=23)] = 8
    overdue_digest: bool = True


class AlertsConfig(Strict):
    """Alerts about sources to the administrators (lifecycle.source_alerts)."""

    enabled: bool = True
    schedule: Schedule = Schedule(minutes=5)
    email: str | None = None
    webhook_url: str | None = None
    #: NAME of the environment variable holding the alert webhook's HMAC secret
    webhook_secret_env: str | None = None
    #: consecutive failed runs before a failing source is reported
    failing_runs: PositiveInt = 5
    #: minutes a source may stay paused by the platform before it is reported
    rate_limited_minutes: PositiveInt = 60
    #: hours without a new mention before a source that is normally busy is reported
    silent_hours: PositiveInt = 24
    #: a source is "normally busy" when it stored at least this many mentions a day
    #: over the last week; quieter sources are never reported as silent
    silent_min_per_day: PositiveInt = 10
    #: share of the monthly read cap that raises the first warning (the second: 100 %)
    read_cap_warning: Probability = 0.8

    @property
    def webhook_secret(self) -> str | None:
        """The alert webhook's HMAC secret, read from the variable named by webhook_secret_env."""
        return _env_value(self.webhook_secret_env)


class IncidentConfig(Strict):
    """Bursts of reports of one category at one place (lifecycle.incidents)."""

    enabled: bool = True
    schedule: Schedule = Schedule(minutes=15)
    #: the recent window whose report count is compared with the usual rate
    window_hours: PositiveInt = 6
    #: the past days the usual rate of each place is learned from
    baseline_days: PositiveInt = 28
    #: fewer reports than this in the window never make an incident
    min_reports: PositiveInt = 5
    #: an incident opens when a count this high has a Poisson probability below this
    p_value: Probability = 0.0001
    #: the least usual rate assumed for a place, in reports per day (a place with no
    #: history is not "infinitely surprising" at its first reports)
    min_rate_per_day: PositiveNumber = 0.2


class ClassifierConfig(Strict):
    """Where models live and how sure a prediction must be to skip triage."""

    model_dir: Path = Path("data/models")
    default_threshold: Probability = 0.6
    thresholds: dict[str, Probability] = Field(default_factory=dict)

    @field_validator("thresholds")
    @classmethod
    def _known_categories(cls, value: dict[str, float]) -> dict[str, float]:
        _check_categories(value)
        return value

    def threshold(self, category: str) -> float:
        """The confidence *category* needs to be routed without triage."""
        return self.thresholds.get(category, self.default_threshold)


class RoutingConfig(Strict):
    """The routing job."""

    schedule: Schedule = Schedule(seconds=10)
    #: route right after each harvest that stored something (the schedule stays the
    #: fallback); false routes on the schedule only
    after_harvest: bool = True
    #: route a harvest's new mentions in the transaction that stores them (classified
    #: before it); false stores them for the routing job, which then routes them
    on_arrival: bool = True
    #: mentions classified and routed per transaction (larger batches classify faster)
    batch_size: PositiveInt = 1000
    triage_inbox: InboxCode = "KOMINFO"
    #: days after a complaint was closed (selesai) during which a citizen's new reply in
    #: its conversation reopens it; a later reply files a new complaint linked to it
    reopen_days: PositiveInt = 14


class StoreConfig(Strict):
    """The tracking store."""

    url: str = "sqlite:///data/aduan.db"

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise PydanticCustomError(
                "url", "not a database URL: {got}", {"got": _show(value)}
            ) from None
        if backend not in ("sqlite", "postgresql"):
            raise PydanticCustomError(
                "url", "only sqlite and postgresql are supported, got {got}", {"got": _show(value)}
            )
        return value


#: which reply channel a source's platform gets when its account names none
DEFAULT_REPLY_CHANNEL = {
    "twitter": "x",
    "facebook": "facebook",
    "instagram": "manual",
    "instagram_graph": "instagram_graph",
    "replay": "log",
}
#: the secrets each reply channel needs (X: OAuth 1.0a user tokens or an OAuth 2.0 user token)
_X_OAUTH1 = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
_GRAPH_SECRETS = ("page_access_token",)


class ReplyAccountConfig(Strict):
    """The account that answers one source's mentions on the platform."""

    source: Name
    #: auto: posted at once; review: the Kominfo team approves each draft first
    mode: Literal["auto", "review"] = "review"
    #: x, facebook, instagram_graph, manual (reply by hand), log (the demo sink);
    #: by default from the source's platform (instagram: manual)
    channel: Literal["x", "facebook", "instagram_graph", "manual", "log"] | None = None
    max_per_hour: PositiveInt = 30
    #: the account's own handles: their posts are never answered
    own_handles: list[str] = Field(default_factory=list)
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="secret name -> NAME of the environment variable holding it",
    )
    #: user_id (X), page_id (Facebook), api_version (Graph), log_path (log)
    options: dict[str, Any] = Field(default_factory=dict)


class RepliesConfig(Strict):
    """Public replies to citizens: templates per event and the answering accounts."""

    #: event -> sandboxed Jinja template (variables nomor, instansi, status, tautan, catatan)
    templates: dict[str, str] = Field(default_factory=dict)
    accounts: list[ReplyAccountConfig] = Field(default_factory=list)

    @field_validator("templates")
    @classmethod
    def _valid_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if name not in DEFAULT_TEMPLATES:
                raise PydanticCustomError(
                    "template",
                    "unknown template {got}; known: {known}",
                    {"got": _show(name), "known": ", ".join(DEFAULT_TEMPLATES)},
                )
            try:
                check_template(name, text)
            except ValueError as err:
                raise PydanticCustomError("template", "{why}", {"why": str(err)}) from None
        return value


class PublicConfig(Strict):
    """What citizens see: the complaint number's prefix and the public tracking page."""

    #: the city prefix of public complaint numbers: DPS-26-00123
    number_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,8}$")] = "DPS"
    #: the inbox's public address, for the tracking link in replies (no trailing slash)
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")] = (
        "http://127.0.0.1:8000"
    )
    #: look-ups of /lacak per client address per minute
    tracking_per_minute: PositiveInt = 20

    @property
    def tracking_url(self) -> str:
        """Where a citizen follows a complaint: ``<base_url>/lacak/<number>`` minus the number."""
        return self.base_url.rstrip("/") + "/lacak/"


class WebConfig(Strict):
    """The web inbox: served by the daemon (embedded) or alone by ``aduan web``."""

    #: ``aduan run`` serves the inbox in its own process (the single-machine default);
    #: false when ``aduan web`` serves it (``aduan web`` serves it either way)
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    #: worker processes of ``aduan web`` (the embedded server is one)
    workers: Annotated[int, Field(ge=1, le=64)] = 2
    #: a daemon that does not serve the inbox serves /healthz and /metrics alone on
    #: this port (on ``host``); none: no health endpoint (``aduan run --health-port``)
    health_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    #: NAME of the environment variable holding the cookie-signing key; when unset, a
    #: random key is created once in the data directory
    secret_key_env: str = "ADUAN_WEB_SECRET"  # noqa: S105 (a variable name, not a secret)
    session_hours: PositiveInt = 12
    #: mark cookies Secure (serve over HTTPS behind a proxy)
    secure_cookies: bool = False
    #: failed sign-ins allowed for one account from one address in 15 minutes
    login_attempts: PositiveInt = 5
    #: failed sign-ins allowed from one address, whatever the accounts, in 15 minutes
    login_attempts_per_address: PositiveInt = 20
    #: serve the API's documentation (/api/docs, Swagger UI from vendored files) and
    #: its OpenAPI document (/api/openapi.json); off unless asked for
    api_docs: bool = False
    #: addresses (or networks) of reverse proxies whose X-Forwarded-For and
    #: X-Forwarded-Proto are believed; empty: none, the client is the TCP peer
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)


class RetentionConfig(Strict):
    """How many days personal data is kept, per kind (null keeps it); see models.retention."""

    #: the platform's raw answer stored beside each mention, from when it was fetched
    raw_payload_days: PositiveInt | None = 30
    #: text and author of mentions that were not complaints, from when they were posted
    not_complaint_days: PositiveInt | None = 90
    #: author handle, name and link of a complaint's mentions, from when it was finished
    closed_author_days: PositiveInt | None = 365
    #: access-log entries, from when they were written
    access_log_days: PositiveInt | None = 730
    #: rows changed per transaction
    batch_size: PositiveInt = 500
    #: the hour (WITA) at which the daemon's daily retention job runs
    hour: Annotated[int, Field(ge=0, le=23)] = 2


class PrivacyConfig(Strict):
    """Personal data (UU PDP): who may read citizens' original text, and retention.

    Every exit masks personal data (NIK, phone numbers, e-mail addresses, plates,
    house and RT/RW numbers). The roles listed here may ask for the original text: the
    complaint page's "tampilkan teks asli" and the API's ``original=true``, both
    recorded in the access log. Open311, CSV exports, notifications and logs are
    always masked.
    """

    original_text_roles: list[Role] = Field(default_factory=lambda: [Role.ADMIN, Role.OPERATOR])
    retention: RetentionConfig = RetentionConfig()


class Settings(Strict):
    """The whole validated configuration."""

    config_path: Path = Field(exclude=True, default=DEFAULT_CONFIG)
    data_dir: Path = Path("data")
    store: StoreConfig = StoreConfig()
    web: WebConfig = WebConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    routing: RoutingConfig = RoutingConfig()
    rules: list[RuleConfig] = Field(default_factory=list)
    dedupe: DedupeConfig = DedupeConfig()
    location: LocationConfig = LocationConfig()
    deadlines: DeadlineConfig = DeadlineConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    escalation: EscalationConfig = EscalationConfig()
    alerts: AlertsConfig = AlertsConfig()
    incidents: IncidentConfig = IncidentConfig()
    public: PublicConfig = PublicConfig()
    replies: RepliesConfig = RepliesConfig()
    agencies: list[AgencyConfig]
    categories: dict[str, InboxCode]
    sources: list[SourceConfig] = Field(default_factory=list)

    @field_validator("categories")
    @classmethod
    def _map_every_category(cls, value: dict[str, str]) -> dict[str, str]:
        _check_categories(value)
        missing = [c for c in CATEGORIES if c != NOT_COMPLAINT and c not in value]
        if missing:
            raise PydanticCustomError(
                "categories", "no inbox for {missing}", {"missing": ", ".join(missing)}
            )
        if NOT_COMPLAINT in value:
            raise PydanticCustomError(
                "categories", "NOT_COMPLAINT is never filed, so it has no inbox"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Settings":
        codes = {a.code for a in self.agencies}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if len(codes) != len(self.agencies):
            problems.append((("agencies",), "agency codes must be unique"))
        for category, inbox in self.categories.items():
            if inbox not in codes:
                problems.append((("categories", category), f"unknown inbox {_show(inbox)}"))
        if self.routing.triage_inbox not in codes:
            problems.append(
                (("routing", "triage_inbox"), f"unknown inbox {_show(self.routing.triage_inbox)}")
            )
        allow_private = self.delivery.allow_private_webhooks
        for i, agency in enumerate(self.agencies):
            if agency.auto_assign and agency.external:
                problems.append(
                    (
                        ("agencies", i, "auto_assign"),
                        "an external body (external: true) has no petugas in aduan to assign",
                    )
                )
            hooks = agency.webhooks()
            if not hooks:
                continue
            for key, url in hooks.items():
                try:
                    check_webhook_url(url, allow_private, resolve=False)
                except WebhookURLError as err:
                    problems.append((("agencies", i, key), str(err)))
            if not agency.webhook_secret_env:
                problems.append(
                    (
                        ("agencies", i, "webhook_secret_env"),
                        "a webhook needs the NAME of the environment variable with its HMAC secret",
                    )
                )
        if self.alerts.webhook_url:
            try:
                check_webhook_url(self.alerts.webhook_url, allow_private, resolve=False)
            except WebhookURLError as err:
                problems.append((("alerts", "webhook_url"), str(err)))
            if not self.alerts.webhook_secret_env:
                problems.append(
                    (
                        ("alerts", "webhook_secret_env"),
                        "a webhook needs the NAME of the environment variable with its HMAC secret",
                    )
                )
        for i, rule in enumerate(self.rules):
            if rule.action.inbox is not None and rule.action.inbox not in codes:
                problems.append(
                    (("rules", i, "action", "inbox"), f"unknown inbox {_show(rule.action.inbox)}")
                )
        for i, road in enumerate(self.location.jurisdiction or []):
            if road.inbox not in codes:
                problems.append(
                    (("location", "jurisdiction", i, "inbox"), f"unknown inbox {_show(road.inbox)}")
                )
        names = [s.name for s in self.sources]
        for i, source in enumerate(self.sources):
            if names.count(source.name) > 1:
                problems.append((("sources", i, "name"), f"duplicate source name {source.name}"))
        problems += self._reply_problems()
        if problems:
            raise _Problems(problems)
        return self

    def _reply_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        sources = {s.name: s for s in self.sources}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: set[str] = set()
        for i, account in enumerate(self.replies.accounts):
            where: tuple[str | int, ...] = ("replies", "accounts", i)
            source = sources.get(account.source)
            if source is None:
                problems.append(((*where, "source"), f"unknown source {_show(account.source)}"))
                continue
            if account.source in seen:
                problems.append(((*where, "source"), f"second account for {account.source}"))
            seen.add(account.source)
            channel = self.reply_channel(account)
            if channel == "x":
                oauth1 = all(k in account.secrets for k in _X_OAUTH1)
                if "user_token" not in account.secrets and not oauth1:
                    problems.append(
                        (
                            (*where, "secrets"),
                            "X replies need user-context credentials: user_token (OAuth 2.0) "
                            f"or {', '.join(_X_OAUTH1)} (OAuth 1.0a); the app-only bearer "
                            "token cannot post",
                        )
                    )
            graph = channel in ("facebook", "instagram_graph")
            if graph and "page_access_token" not in account.secrets:
                problems.append(((*where, "secrets"), f"{channel} replies need page_access_token"))
        return problems

    def reply_channel(self, account: ReplyAccountConfig) -> str:
        """How *account* posts: its own ``channel`` or its source platform's default."""
        if account.channel is not None:
            return account.channel
        platform = next((s.platform for s in self.sources if s.name == account.source), "")
        return DEFAULT_REPLY_CHANNEL.get(platform, "manual")

    def source(self, name: str) -> SourceConfig:
        """The configured source called *name*."""
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.config_path}: no source named {name!r} (configured: {known})")


class _Problems(ValueError):
    """Several located problems found by a cross-field check."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(msg for _, msg in problems))
        self.problems = problems


class Environment(BaseSettings):
    """Overrides read from the environment (ADUAN_CONFIG, ADUAN_DATABASE_URL)."""

    model_config = SettingsConfigDict(env_prefix="ADUAN_", extra="ignore")

    config: Path | None = None
    database_url: str | None = None


def load_settings(path: Path | None = None) -> Settings:
    """Read, validate and resolve the configuration; raise ConfigError naming every problem."""
    env = Environment()
    path = path or env.config or DEFAULT_CONFIG
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{label}: cannot read: {err}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{label}: {where}YAML syntax error: {err.problem}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{label}: YAML syntax error: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: must be a mapping of sections, got {type(data).__name__}")
    if env.database_url:
        data.setdefault("store", {})
        if isinstance(data["store"], dict):
            data["store"] = {**data["store"], "url": env.database_url}
    try:
        settings = Settings.model_validate({**data, "config_path": path})
    except ValidationError as err:
        raise ConfigError("\n".join(_describe(label, err))) from None
    _check_source_options(label, settings)
    return _resolve_paths(settings, path.parent)


def _check_source_options(label: str, settings: Settings) -> None:
    lines: list[str] = []
    for i, source in enumerate(settings.sources):
        try:
            options_model(source.platform).model_validate(source.options)
        except ValidationError as err:
            lines.extend(_describe(label, err, prefix=("sources", i, "options")))
    if lines:
        raise ConfigError("\n".join(lines))


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    """Paths in the file are relative to the file, not to the working directory."""

    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else (base / p).resolve()

    url = make_url(settings.store.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = resolve(Path(url.database or ""))
        url = url.set(database=str(db))
    sources = [
        s.model_copy(update={"options": _resolve_option_paths(s.options, resolve)})
        for s in settings.sources
    ]
    return settings.model_copy(
        update={
            "data_dir": resolve(settings.data_dir),
            "store": StoreConfig(url=url.render_as_string(hide_password=False)),
            "classifier": settings.classifier.model_copy(
                update={"model_dir": resolve(settings.classifier.model_dir)}
            ),
            "location": settings.location.model_copy(
                update={
                    "places": resolve(settings.location.places)
                    if settings.location.places
                    else None
                }
            ),
            "sources": sources,
        }
    )


def _resolve_option_paths(options: dict[str, Any], resolve: Any) -> dict[str, Any]:
    out = dict(options)
    for key in ("path", "session_file"):
        if isinstance(out.get(key), str):
            out[key] = str(resolve(Path(out[key])))
    return out


def _describe(label: str, err: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[str]:
    lines = []
    for e in err.errors():
        ctx_error = e.get("ctx", {}).get("error")
        if isinstance(ctx_error, _Problems):
            for loc, msg in ctx_error.problems:
                lines.append(f"{label}: {_path(prefix + loc)}: {msg}")
            continue
        loc = prefix + tuple(e["loc"])
        lines.append(f"{label}: {_path(loc)}: {_message(e)}")
    return lines


#: error types raised by this module, whose messages already say what is wrong
_OWN_MESSAGES = frozenset(
    {
        "positive_int",
        "positive_number",
        "probability",
        "platform",
        "url",
        "categories",
        "schedule",
        "regex",
        "rule",
    }
)


def _message(e: Any) -> str:
    kind = e["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind in _OWN_MESSAGES:
        return str(e["msg"])
    msg = str(e["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    msg = msg[:1].lower() + msg[1:]
    return f"{msg}, got {_show(e.get('input'))}"


def _path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _env_value(name: str | None) -> str | None:
    """The value of the environment variable *name*; None when unnamed, unset or empty."""
    return os.environ.get(name) or None if name else None


def _check_categories(value: dict[str, Any]) -> None:
    unknown = [k for k in value if k not in CATEGORIES]
    if unknown:
        raise PydanticCustomError(
            "categories",
            "unknown category {got}; known: {known}",
            {"got": ", ".join(unknown), "known": ", ".join(CATEGORIES)},
        )
