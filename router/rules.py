"""Routing rules from config, tried in order before the model (like helpdesk triggers)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.mentions import PendingMention
from models.tables import MentionBase


@dataclass(frozen=True)
class Rule:
    """A named condition on a mention and the category and/or inbox it decides.

    Every given condition must hold; keywords match whole words or phrases of the
    normalised text, the regex is searched in it.
    """

    name: str
    category: str | None = None
    inbox: str | None = None
    keywords: tuple[str, ...] = ()
    regex: str | None = None
    authors: frozenset[str] = field(default_factory=frozenset)
    platforms: frozenset[str] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)
    _keywords: re.Pattern[str] | None = field(init=False, default=None, repr=False, compare=False)
    _regex: re.Pattern[str] | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = "|".join(re.escape(k.lower().strip()) for k in self.keywords if k.strip())
        object.__setattr__(self, "_keywords", re.compile(rf"\b(?:{words})\b") if words else None)
        object.__setattr__(self, "_regex", re.compile(self.regex) if self.regex else None)

    def matches(self, mention: MentionBase | PendingMention, normalised: str) -> bool:
        """Whether every condition of the rule holds for *mention*."""
        if self.platforms and mention.platform not in self.platforms:
            return False
        if self.sources and mention.source not in self.sources:
            return False
        if self.authors and mention.author_handle.lower() not in self.authors:
            return False
        if self._keywords is not None and not self._keywords.search(normalised):
            return False
        return self._regex is None or self._regex.search(normalised) is not None


def first_match(
    rules: Sequence[Rule], mention: MentionBase | PendingMention, normalised: str
) -> Rule | None:
    """The first rule, in configured order, that matches *mention*."""
    for rule in rules:
        if rule.matches(mention, normalised):
            return rule
    return None
