"""Collectors by platform name, as used in a source's ``platform`` key."""

from harvester.base import Collector, CollectorOptions, SourceSpec
from harvester.replay import ReplayCollector

_COLLECTORS: dict[str, type[Collector]] = {
    ReplayCollector.platform: ReplayCollector,
}


def platforms() -> set[str]:
    """The platform names a source may use."""
    return set(_COLLECTORS)


def options_model(platform: str) -> type[CollectorOptions]:
    """The options schema of *platform*'s collector."""
    model: type[CollectorOptions] = _COLLECTORS[platform].options_model
    return model


def make_collector(spec: SourceSpec) -> Collector:
    """A collector for *spec*, its options validated."""
    cls = _COLLECTORS[spec.platform]
    options = cls.options_model.model_validate(spec.options)
    return cls(
        SourceSpec(
            name=spec.name,
            platform=spec.platform,
            options=options,
            secrets=spec.secrets,
            backfill_days=spec.backfill_days,
        )
    )
