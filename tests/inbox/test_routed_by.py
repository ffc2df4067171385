"""What routed a complaint, in words: the model's confidence and key words, or the rule."""

from inbox.routed_by import RoutedBy, actor_words, routed_by
from models.tables import Complaint


def _complaint(
    routed_by: str, confidence: float | None = None, terms: list[str] | None = None
) -> Complaint:
    return Complaint(
        origin_mention_id=1,
        category="PDAM",
        inbox="PDAM",
        routed_by=routed_by,
        confidence=confidence,
        terms=terms,
    )


def test_the_model_is_named_with_its_confidence_and_key_words() -> None:
    by = routed_by(
        _complaint(routed_by="model:20261203T130233Z-20ebc39b", confidence=0.874, terms=["air"])
    )
    assert by == RoutedBy("model (yakin 87 %), kata kunci: air", "model 20261203T130233Z-20ebc39b")
    assert routed_by(_complaint(routed_by="model:x", confidence=None)).text == "model"


def test_rules_triage_and_people_are_named_plainly() -> None:
    assert routed_by(_complaint(routed_by="rule:air-pdam")) == RoutedBy(
        "aturan \u201cair-pdam\u201d"
    )
    assert actor_words("triage:operator1").text == "triase oleh operator1"
    assert actor_words("unmerge:operator1").text == "dipisahkan oleh operator1"
    assert actor_words("balasan:x-pemkot").text == "akun balasan x-pemkot"
    assert actor_words("pdam1") == RoutedBy("pdam1")
