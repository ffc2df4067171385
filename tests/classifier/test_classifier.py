"""The trained classifier: predictions, abstention, terms, and refusing untrusted files."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifier.corpus import assign_split, load_corpus
from classifier.exceptions import CorpusError, ModelMissing, ModelOutdated, UntrustedModel
from classifier.model import load_active
from classifier.normalize import normalize, segment
from classifier.persist import MODEL_FILE, activate, active_id, load_model
from models.vocab import CATEGORIES

EASY = {
    "PDAM": "air pdam mati dari pagi di rumah saya, tolong min",
    "LPJU": "lampu jalan di depan gang mati total, gelap sekali malam hari",
    "DLHK": "sampah menumpuk di TPS tidak diangkut seminggu, baunya parah",
    "PUPR": "jalan berlubang besar dan aspal rusak parah, bahaya buat motor",
    "DISHUB": "parkir liar di bahu jalan bikin macet, jukir minta uang parkir",
    "PLN": "listrik padam lagi sudah tiga jam, pemadaman tanpa pemberitahuan",
    "DISDUKCAPIL": "sudah sebulan KTP elektronik belum jadi, blanko habis katanya",
    "SATPOLPP": "pedagang kaki lima jualan di trotoar, pejalan kaki terpaksa turun ke jalan",
    "DINKES": "antrean di puskesmas lama sekali, dokternya belum datang jam 10",
    "DISDIK": "anak saya tidak diterima PPDB zonasi padahal rumah dekat SD negeri",
    "DINSOS": "bansos PKH tidak pernah cair padahal keluarga kami terdaftar di DTKS",
    "BPBD_DAMKAR": "pohon tumbang menutup jalan, mobil tidak bisa lewat, mohon bantuan",
    "PERIZINAN": "pengurusan PBG sudah tiga bulan belum terbit, sistem OSS error terus",
    "OTHER": "pegawai kantor lurah kasar sekali melayani warga, minta uang pelicin",
    "NOT_COMPLAINT": "terima kasih banyak atas pelayanannya, mantap pemkot",
}


def test_corpus_covers_every_category_with_fixed_splits() -> None:
    examples = load_corpus()
    labels = {e.label for e in examples}
    assert labels == set(CATEGORIES)
    assert {e.split for e in examples} == {"train", "dev", "test"}
    # A text's split is a function of the text: adding examples moves nothing.
    assert assign_split("air mati") == assign_split("air mati")


def test_bad_corpus_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "X.jsonl"
    bad.write_text('{"text": "ok", "label": "PDAM"}\n{"text": "x", "label": "WATER"}\n')
    with pytest.raises(CorpusError, match=r"X.jsonl, line 2: label: unknown category 'WATER'"):
        load_corpus([bad])


def test_normalize_masks_and_formalises() -> None:
    text = "AIR MATI LGI min dr pagiii!! @prodenpasar https://t.co/x 081234567890 #LampuJalanMati"
    assert normalize(text) == (
        "air mati lagi admin dari pagi ! ! userx urlx teleponx lampu jalan mati"
    )


@pytest.mark.parametrize("category", sorted(EASY))
def test_easy_examples_are_predicted(model_dir: Path, category: str) -> None:
    prediction = load_active(model_dir).predict([EASY[category]])[0]
    assert prediction.category == category


def test_prediction_carries_confidence_terms_and_model_id(model_dir: Path) -> None:
    p = load_active(model_dir).predict(["lampu jalan mati di gatsu"])[0]
    assert 0 < p.confidence <= 1
    assert "lampu" in " ".join(p.terms)
    assert p.model_id == active_id(model_dir)


def test_abstains_below_threshold(model_dir: Path) -> None:
    text = EASY["PDAM"]
    sure = load_active(model_dir, threshold_overrides={"PDAM": 0.0}).predict([text])[0]
    unsure = load_active(model_dir, threshold_overrides={"PDAM": 1.0}).predict([text])[0]
    assert (sure.abstained, unsure.abstained) == (False, True)


def test_thresholds_and_metrics_are_recorded(model_dir: Path) -> None:
    _, meta = load_model(model_dir / str(active_id(model_dir)))
    assert set(meta["thresholds"]) <= set(CATEGORIES)
    assert meta["metrics"]["test"]["macro_f1"] > 0.7
    assert len(meta["data_hash"]) == 64
    assert "scikit-learn" in meta["versions"]


def test_untrusted_model_file_is_refused(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    shutil.copytree(model_dir / str(active_id(model_dir)), folder)
    # An object array is a pickle: loading it could run code.
    np.savez(folder / MODEL_FILE, payload=np.asarray([Path("/etc/passwd")], dtype=object))
    with pytest.raises(UntrustedModel, match="holds Python objects"):
        load_model(folder)


def test_hashtags_are_split_into_words() -> None:
    assert segment("lampujalanmati") == ["lampu", "jalan", "mati"]
    assert segment("qwzx") == ["qwzx"]
    assert normalize("#sampahnumpuk #AirMati") == "sampah menumpuk sampahnumpuk air mati"


def test_model_saved_in_an_older_layout_is_refused(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(model_dir / str(active_id(model_dir)), folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["format"] = 1
    (folder / "meta.json").write_text(json.dumps(meta))
    activate(tmp_path, "old")
    with pytest.raises(ModelOutdated, match="aduan train --force"):
        load_active(tmp_path)


def test_no_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="run `aduan train`"):
        load_active(tmp_path)


def test_meta_is_json(model_dir: Path) -> None:
    meta = json.loads((model_dir / str(active_id(model_dir)) / "meta.json").read_text())
    assert meta["id"] == active_id(model_dir)
