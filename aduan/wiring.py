"""Builds the running parts (engine, classifier, policy, collectors) from settings."""

import logging
from pathlib import Path

from sqlalchemy.engine import Engine

from aduan.settings import Settings, SourceConfig
from classifier.exceptions import ModelOutdated
from classifier.model import Predictor, load_active
from classifier.persist import active_id
from classifier.train import train
from harvester.base import Collector, SourceSpec
from harvester.registry import make_collector
from models.agencies import sync_agencies
from models.db import make_engine, session_scope
from models.migrate import upgrade
from models.tables import Agency
from router.policy import RoutingPolicy

log = logging.getLogger(__name__)


def engine_for(settings: Settings) -> Engine:
    """The store engine; creates the folder of an SQLite file."""
    url = settings.store.url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return make_engine(url)


def prepare_store(settings: Settings, engine: Engine) -> None:
    """Migrate the store to the newest schema and load the configured agencies."""
    upgrade(engine)
    with session_scope(engine) as session:
        sync_agencies(
            session=session,
            agencies=[Agency.model_validate(a.model_dump()) for a in settings.agencies],
        )


def predictor_for(settings: Settings, *, train_if_missing: bool = False) -> Predictor:
    """The active model with the configured thresholds; trains one first if asked to.

    Raises ModelMissing when there is no model and training was not asked for.
    """
    cfg = settings.classifier

    def load() -> Predictor:
        return load_active(
            cfg.model_dir,
            threshold_overrides=cfg.thresholds,
            default_threshold=cfg.default_threshold,
        )

    if train_if_missing and active_id(cfg.model_dir) is None:
        log.info("no trained model in %s; training one from the bundled corpus", cfg.model_dir)
        train(cfg.model_dir)
    try:
        return load()
    except ModelOutdated:
        if not train_if_missing:
            raise
        log.info("the active model is in an older format; training a new one")
        train(cfg.model_dir)
        return load()


def policy_for(settings: Settings) -> RoutingPolicy:
    """The routing policy of the configuration."""
    channels: dict[str, tuple[str, ...]] = {}
    for agency in settings.agencies:
        wanted = tuple(
            name
            for name, target in (("email", agency.email), ("webhook", agency.webhook_url))
            if target
        )
        if wanted:
            channels[agency.code] = wanted
    return RoutingPolicy(
        category_inbox=dict(settings.categories),
        triage_inbox=settings.routing.triage_inbox,
        channels=channels,
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
