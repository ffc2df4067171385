"""The active classifier of a configuration, loaded without the store or the router.

``aduan classify`` needs only this and the settings (bench/cli_bench.py times it), so it
lives apart from aduan.wiring, which loads the store, the router and the collectors.
"""

import logging
from typing import TYPE_CHECKING

from aduan.settings import Settings

if TYPE_CHECKING:
    from classifier.model import Predictor

log = logging.getLogger(__name__)


def predictor_for(settings: Settings, *, train_if_missing: bool = False) -> "Predictor":
    """The active model with the configured thresholds; trains one first if asked to.

    Raises ModelMissing when there is no model and training was not asked for.
    """
    # scikit-learn loads only for the commands that classify (not for `aduan --help`)
    from classifier.exceptions import ModelOutdated
    from classifier.model import Predictor, load_active
    from classifier.persist import active_id
    from classifier.train import train

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
