"""The root of aduan's exceptions and the store's own errors.

Every error aduan raises on purpose derives from ``AduanError``::

    AduanError
    ├── StoreError                 models: the store cannot be reached or migrated
    ├── InvalidMention             models: a collected record the store refuses
    ├── ConfigError                aduan.settings: config file or environment is wrong
    ├── SourceError                harvester: a source failed (see harvester.exceptions)
    └── ClassifierError            classifier: no usable model (see classifier.exceptions)

The class decides the reaction; callers never parse messages.
"""


class AduanError(Exception):
    """Root of every error aduan raises deliberately."""


class StoreError(AduanError):
    """The tracking store is unreachable or its schema is not at the expected revision."""


class NotFound(AduanError):
    """A row asked for by key does not exist; raised by store look-ups."""


class InvalidMention(AduanError, ValueError):
    """A collected mention the store refuses (an unknown platform); raised by
    ``models.mentions.insert_mentions`` before anything is written, naming the record,
    so a caller handling records one by one can set that one aside."""

    def __init__(self, message: str, *, platform_id: str, source: str) -> None:
        super().__init__(message)
        self.platform_id, self.source = platform_id, source


class InvalidTransition(AduanError):
    """A status change not allowed by the complaint lifecycle; the caller rejects the input."""


class AccountError(AduanError):
    """Invalid account input (role, agency, username, password); the caller shows the message."""


class WeakPassword(AccountError):
    """A password refused by the strength rules; raised before anything is hashed or stored."""


class ConfigError(AduanError):
    """The configuration file or environment is invalid; start-up stops with this message."""


class AssignmentRefused(AduanError):
    """A petugas who may not work the complaint (another agency, disabled, not an agency
    user); the message, in Indonesian, says why."""
