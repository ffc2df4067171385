"""Errors of the classifier.

::

    ClassifierError                 (models.exceptions.AduanError)
    ├── ModelMissing                no trained model yet: run `aduan train`
    ├── ModelOutdated               saved in an older layout: retrain
    ├── UntrustedModel              a model file holds types not on the trusted list: refused
    └── CorpusError                 the labelled corpus has a bad line: names file and line
"""

from models.exceptions import AduanError


class ClassifierError(AduanError):
    """The classifier cannot give predictions."""


class ModelMissing(ClassifierError):
    """No trained model is active in the model directory."""


class ModelOutdated(ClassifierError):
    """The active model was saved in a layout this version cannot use."""


class UntrustedModel(ClassifierError):
    """A model file contains object types that are not on the trusted list."""


class CorpusError(ClassifierError):
    """A corpus file has a line that cannot be used; the message names file and line."""
