"""Who or what put a complaint where it is, in words ("model (yakin 87 %), kata kunci: ...").

``Complaint.routed_by`` is a code: ``model:<model id>``, ``rule:<name>``,
``triage:<user>`` or ``unmerge:<user>``; history rows carry the same code as their
actor when routing made them, and ``balasan:<source>`` when a source's reply account
sent (or could not send) a reply to a citizen. Pages show words, and the model's id
only as a tooltip.
"""

from dataclasses import dataclass

from models.tables import Complaint


@dataclass(frozen=True)
class RoutedBy:
    """How a page names what routed a complaint; *detail* goes in a tooltip (title)."""

    text: str
    detail: str | None = None


def percent(confidence: float) -> str:
    """A confidence as Indonesian pages write it: ``87 %``."""
    return f"{confidence * 100:.0f} %"


def actor_words(actor: str) -> RoutedBy:
    """An actor code (``model:...``, ``rule:...``, ``triage:...``) or a username, in words."""
    kind, sep, rest = actor.partition(":")
    if not sep:
        return RoutedBy(actor)
    if kind == "model":
        return RoutedBy("model", f"model {rest}")
    if kind == "rule":
        return RoutedBy(f"aturan \u201c{rest}\u201d")
    if kind == "triage":
        return RoutedBy(f"triase oleh {rest}")
    if kind == "unmerge":
        return RoutedBy(f"dipisahkan oleh {rest}")
    if kind == "balasan":
        return RoutedBy(f"akun balasan {rest}")
    return RoutedBy(actor)


def routed_by(complaint: Complaint) -> RoutedBy:
    """What routed *complaint*: the model with its confidence and key words, or the rule."""
    words = actor_words(complaint.routed_by)
    if not complaint.routed_by.startswith("model:"):
        return words
    text = "model"
    if complaint.confidence is not None:
        text += f" (yakin {percent(complaint.confidence)})"
    if complaint.terms:
        text += ", kata kunci: " + ", ".join(complaint.terms)
    return RoutedBy(text, words.detail)
