"""Errors of the classifier.

::

    ClassifierError                 (models.exceptions.AduanError)
    ├── ModelMissing                no trained model yet: run `aduan train`
    ├── UntrustedModel              a model file holds types not on the trusted list: refused
    └── CorpusError                 the labelled corpus has a bad line: names file and line
"""

from models.exceptions import AduanError


class ClassifierError(AduanError):
    """The classifier cannot give predictions."""


class ModelMissing(ClassifierError):
    """No trained model is active in the model directory."""


class UntrustedModel(ClassifierError):
    """A model file contains object types that are not on the trusted list."""


class CorpusError(ClassifierError):
    """A corpus file has a line that cannot be used; the message names file and line."""
