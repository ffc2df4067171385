"""Collectors by platform name, as used in a source's ``platform`` key.

Platform modules are imported on first use, so a daemon that only replays files never
imports tweepy, facebook-sdk or instaloader.
"""

from importlib import import_module

from harvester.base import Collector, CollectorOptions, SourceSpec

_COLLECTORS: dict[str, str] = {
    "replay": "harvester.replay:ReplayCollector",
    "twitter": "harvester.twitter:TwitterCollector",
    "facebook": "harvester.facebook:FacebookCollector",
    "instagram": "harvester.instagram:InstagramCollector",
    "instagram_graph": "harvester.instagram_graph:InstagramGraphCollector",
}


def platforms() -> set[str]:
    """The platform names a source may use."""
    return set(_COLLECTORS)


def collector_class(platform: str) -> type[Collector]:
    """The collector class of *platform*."""
    module, _, name = _COLLECTORS[platform].partition(":")
    cls: type[Collector] = getattr(import_module(module), name)
    return cls


def options_model(platform: str) -> type[CollectorOptions]:
    """The options schema of *platform*'s collector."""
    return collector_class(platform).options_model


def make_collector(spec: SourceSpec) -> Collector:
    """A collector for *spec*, its options validated."""
    cls = collector_class(spec.platform)
    options = cls.options_model.model_validate(spec.options)
    return cls(
        SourceSpec(
            name=spec.name,
            platform=spec.platform,
            options=options,
            secrets=spec.secrets,
            secret_env=spec.secret_env,
            backfill_days=spec.backfill_days,
        )
    )
