"""Builds the running parts (engine, classifier, policy, collectors) from settings."""

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from aduan.config_view import mask_store_url
from aduan.settings import RuleConfig, Settings, SourceConfig
from classifier.normalize import normalize
from harvester.base import Collector, SourceSpec
from harvester.registry import make_collector
from lifecycle.auto_assign import assign_entered
from lifecycle.deadlines import WorkingCalendar, deadline_fn
from lifecycle.escalation import EscalationPolicy
from lifecycle.source_alerts import AlertRules, WatchedSource
from lifecycle.spikes import SpikeRules
from models.agencies import sync_agencies
from models.db import make_engine, session_scope
from models.exceptions import StoreError
from models.locks import hold_lock
from models.retention import RetentionPolicy
from models.store_health import describe, store_problem
from models.tables import Agency
from models.vocab import OutboxRecipient, ReplyChannel, StoreProblem
from notify.replies import ReplyAccount, ReplyPolicy
from notify.settings import Contact, Recipient, contact_key
from router.location import Gazetteer, Jurisdiction
from router.policy import RoutingPolicy
from router.rules import Rule

if TYPE_CHECKING:
    from inbox.sessions import AuthConfig

log = logging.getLogger(__name__)


def engine_for(settings: Settings) -> Engine:
    """The store engine; creates the folder of an SQLite file."""
    url = settings.store.url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return make_engine(url)


#: what a start-up error says the store's problem is
_OPEN_PROBLEMS: dict[StoreProblem, str] = {
    StoreProblem.UNAVAILABLE: "cannot reach or open the database",
    StoreProblem.DISK_FULL: "the disk is full",
    StoreProblem.READ_ONLY: "the database is read-only",
    StoreProblem.BUSY: "the database stayed locked by another process",
    StoreProblem.DATA_ERROR: "the store refused the start-up changes",
    StoreProblem.OTHER: "the store failed",
}


def open_store(settings: Settings) -> Engine:
    """The store, migrated and with the agencies loaded; a StoreError in one line naming
    ``store.url`` (password and query values masked) when it cannot be opened."""
    where = f"store.url {mask_store_url(settings.store.url)}"
    try:
        engine = engine_for(settings)
        prepare_store(settings, engine)
    except SQLAlchemyError as err:
        problem = _OPEN_PROBLEMS[store_problem(err)]
        raise StoreError(f"{where}: {problem}: {describe(err)}") from None
    except OSError as err:
        # a lock file or the folder of an SQLite file: the folder must be writable
        path = err.filename or settings.store.url
        raise StoreError(
            f"{where}: cannot write {path}: {err.strerror or err} "
            "(the store's folder must be writable)"
        ) from None
    return engine


def prepare_store(settings: Settings, engine: Engine) -> None:
    """Migrate the store to the newest schema and load the configured agencies.

    Daemon instances starting together take turns: two at once would both try to
    create the same tables and insert the same agencies.
    """
    # Alembic (about 0.13 s to import) loads only when a command opens the store
    from models.migrate import upgrade

    with hold_lock(engine, "migrate"):
        upgrade(engine)
        with session_scope(engine) as session:
            sync_agencies(
                session=session,
                agencies=[Agency.model_validate(a.model_dump()) for a in settings.agencies],
            )


def auth_config_for(settings: Settings) -> "AuthConfig":
    """Sign-in settings; refuses a weak or placeholder cookie key, naming its variable."""
    # the web inbox loads only for the commands that serve it
    from inbox.sessions import AuthConfig
    from inbox.signing import load_secret_key

    web = settings.web
    return AuthConfig(
        secret_key=load_secret_key(web.secret_key_env, settings.data_dir),
        session_hours=web.session_hours,
        secure_cookies=web.secure_cookies,
        login_attempts=web.login_attempts,
        login_attempts_per_address=web.login_attempts_per_address,
    )


def recipients(settings: Settings) -> dict[str, Recipient]:
    """Where each inbox's notifications go: its config, by code (secrets read when sent)."""
    return {a.code: a for a in settings.agencies}


def contacts(settings: Settings) -> dict[str, Recipient]:
    """The further recipients of notifications, by ``notify.settings.contact_key``.

    Per inbox: its own address sent at once (overdue digests), its escalation contacts
    (else its own address) and its head (else the escalation contacts); and the
    administrators of source alerts. Secrets are read from the environment here.
    """
    out: dict[str, Recipient] = {}
    for a in settings.agencies:
        secret = a.webhook_secret
        own = Contact(a.code, a.name, a.email, a.webhook_url, secret)
        escalation = Contact(
            a.code,
            a.name,
            a.escalation_email or a.email,
            a.escalation_webhook or a.webhook_url,
            secret,
        )
        head = Contact(
            a.code,
            f"Pimpinan {a.name}",
            a.head_email or escalation.email,
            a.head_webhook or escalation.webhook_url,
            secret,
        )
        out[contact_key(OutboxRecipient.AGENCY, a.code)] = own
        out[contact_key(OutboxRecipient.ESCALATION, a.code)] = escalation
        out[contact_key(OutboxRecipient.HEAD, a.code)] = head
    alerts = settings.alerts
    out[contact_key(OutboxRecipient.ADMINS, None)] = Contact(
        "admin", "Admin aduan", alerts.email, alerts.webhook_url, alerts.webhook_secret
    )
    return out


def calendar_for(settings: Settings) -> WorkingCalendar:
    """The working-day calendar of the configured country."""
    return WorkingCalendar(settings.deadlines.holidays_country)


def escalation_policy_for(settings: Settings) -> EscalationPolicy:
    """Who hears of missed deadlines and when, from ``escalation`` and ``routing``."""
    cfg = settings.escalation
    return EscalationPolicy(
        kominfo_inbox=settings.routing.triage_inbox,
        calendar=calendar_for(settings),
        second_level_days=cfg.second_level_days,
        digest_hour=cfg.digest_hour,
    )


def alert_rules_for(settings: Settings) -> AlertRules:
    """When a source is reported to the administrators, from ``alerts``."""
    cfg = settings.alerts
    return AlertRules(
        failing_runs=cfg.failing_runs,
        rate_limited_minutes=cfg.rate_limited_minutes,
        silent_hours=cfg.silent_hours,
        silent_min_per_day=cfg.silent_min_per_day,
        read_cap_warning=cfg.read_cap_warning,
    )


def spike_rules_for(settings: Settings) -> SpikeRules:
    """The incident detector's thresholds, from ``incidents``."""
    cfg = settings.incidents
    return SpikeRules(
        window_hours=cfg.window_hours,
        baseline_days=cfg.baseline_days,
        min_reports=cfg.min_reports,
        p_value=cfg.p_value,
        min_rate_per_day=float(cfg.min_rate_per_day),
    )


def watched_sources(settings: Settings) -> list[WatchedSource]:
    """The enabled sources, with their monthly read caps."""
    return [WatchedSource(s.name, s.monthly_read_cap) for s in settings.sources if s.enabled]


def policy_for(settings: Settings) -> RoutingPolicy:
    """The routing policy of the configuration: inbox map, rules, places, dedupe."""
    channels: dict[str, tuple[str, ...]] = {}
    for agency in settings.agencies:
        wanted = tuple(
            name
            for name, target in (("email", agency.email), ("webhook", agency.webhook_url))
            if target
        )
        if wanted:
            channels[agency.code] = wanted
    location = settings.location
    gazetteer = Gazetteer.for_region(location.region, location.places)
    if location.jurisdiction is None:
        jurisdiction = Jurisdiction.default(gazetteer)
    else:
        jurisdiction = Jurisdiction.from_config(
            [road.model_dump() for road in location.jurisdiction], gazetteer
        )
    auto_assign = {a.code: a.auto_assign for a in settings.agencies if a.auto_assign}
    return RoutingPolicy(
        category_inbox=dict(settings.categories),
        triage_inbox=settings.routing.triage_inbox,
        channels=channels,
        rules=tuple(_rule(r) for r in settings.rules),
        locate=gazetteer.locate,
        owner_of=jurisdiction.owner_of,
        dedupe_window=timedelta(hours=settings.dedupe.window_hours),
        dedupe_min_similarity=settings.dedupe.min_similarity,
        deadlines=deadline_fn(calendar_for(settings), settings.deadlines),
        reopen_window=timedelta(days=settings.routing.reopen_days),
        number_prefix=settings.public.number_prefix,
        replies=reply_policy_for(settings),
        web_base_url=settings.public.base_url,
        auto_assign=auto_assign,
        # routing loads the complaints it filed for the hook: only when someone assigns
        on_inbox_entry=assign_entered if auto_assign else None,
    )


def reply_policy_for(settings: Settings) -> ReplyPolicy | None:
    """Which sources answer citizens and how; None when no account is configured."""
    if not settings.replies.accounts:
        return None
    accounts = {}
    for cfg in settings.replies.accounts:
        source = settings.source(cfg.source)
        # The account a source reads is its own: its posts are never answered either.
        own = {h.lower().lstrip("@") for h in cfg.own_handles}
        for key in ("account_username", "account", "login_user"):
            if isinstance(source.options.get(key), str):
                own.add(source.options[key].lower().lstrip("@"))
        options = dict(cfg.options)
        if "log_path" in options:
            # The demo sink's file lives under data_dir, like the store and the models.
            options["log_path"] = str(settings.data_dir / str(options["log_path"]))
        accounts[cfg.source] = ReplyAccount(
            source=cfg.source,
            channel=ReplyChannel(settings.reply_channel(cfg)),
            mode=cfg.mode,
            max_per_hour=cfg.max_per_hour,
            own_handles=frozenset(own),
            secrets=dict(cfg.secrets),
            options=options,
        )
    return ReplyPolicy(
        accounts=accounts,
        tracking_url=settings.public.tracking_url,
        templates={
            **ReplyPolicy(accounts={}, tracking_url="").templates,
            **settings.replies.templates,
        },
        agency_names={a.code: a.name for a in settings.agencies},
    )


def _rule(cfg: RuleConfig) -> Rule:
    match = cfg.match
    return Rule(
        name=cfg.name,
        category=cfg.action.category,
        inbox=cfg.action.inbox,
        keywords=tuple(normalize(k) for k in match.keywords),
        regex=match.regex,
        authors=frozenset(a.lower().lstrip("@") for a in match.authors),
        platforms=frozenset(match.platforms),
        sources=frozenset(match.sources),
    )


def collector_for(source: SourceConfig) -> Collector:
    """A collector for a configured source, with its secrets read from the environment."""
    return make_collector(
        SourceSpec(
            name=source.name,
            platform=source.platform,
            options=source.options,
            secrets=source.secret_values(),
            secret_env=dict(source.secrets),
            backfill_days=source.backfill_days,
        )
    )


def retention_policy_for(settings: Settings) -> RetentionPolicy:
    """How long each kind of personal data is kept, from ``privacy.retention``."""
    cfg = settings.privacy.retention

    def days(n: int | None) -> timedelta | None:
        return None if n is None else timedelta(days=n)

    return RetentionPolicy(
        raw_payload=days(cfg.raw_payload_days),
        not_complaint=days(cfg.not_complaint_days),
        closed_author=days(cfg.closed_author_days),
        access_log=days(cfg.access_log_days),
        batch_size=cfg.batch_size,
    )


def original_text_roles(settings: Settings) -> frozenset[str]:
    """The roles that may ask for citizens' original (unmasked) text."""
    return frozenset(role.value for role in settings.privacy.original_text_roles)
