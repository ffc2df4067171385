"""`aduan corpus import`: formats, label maps, unmapped labels, PII masking, provenance."""

import csv
import json
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from aduan.cli import app
from classifier.corpus import assign_split
from classifier.exceptions import CorpusError
from classifier.importer import (
    LabelledRow,
    ReadResult,
    load_label_map,
    read_labelled,
    text_key,
)
from models.masking import mask_personal
from models.tables import ExampleImport, TrainingExample
from models.training_examples import imported_examples, store_import

MAP = {"Perumda Air Minum Tirta Sewakadarma": "PDAM", "Dinas Perhubungan (UPT LPJU)": "LPJU"}
ROWS = [
    ("air PDAM mati tiga hari di Jl. Tukad Badung", "Perumda Air Minum Tirta Sewakadarma"),
    ("lampu jalan mati di gang Merpati, hubungi 0812-0000-1234", "Dinas Perhubungan (UPT LPJU)"),
    ("", "Dinas Perhubungan (UPT LPJU)"),
    ("air PDAM mati tiga hari di Jl. Tukad Badung", "Perumda Air Minum Tirta Sewakadarma"),
    ("sawah kami kekeringan, subak tidak dapat air", "Dinas Pertanian"),
    ("koperasi macet", "Dinas Koperasi dan UKM"),
    ("irigasi subak jebol", "Dinas Pertanian"),
    (
        "NIK saya 5171019999990017, email wayan.sudarsana@example.com, "
        "telp +62 812-0000-8765: meteran air PDAM rusak",
        " perumda air minum tirta sewakadarma ",
    ),
]


def write_csv(path: Path, rows: list[tuple[str, str]] = ROWS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["no", "isi_laporan", "opd_tujuan"])
        for i, (text, label) in enumerate(rows, start=1):
            writer.writerow([i, text, label])
    return path


def write_map(path: Path) -> Path:
    path.write_text(yaml.safe_dump(MAP, allow_unicode=True), encoding="utf-8")
    return path


def read(tmp_path: Path) -> ReadResult:
    return read_labelled(
        write_csv(tmp_path / "history.csv"),
        text_column="isi_laporan",
        label_column="opd_tujuan",
        label_map=load_label_map(write_map(tmp_path / "map.yaml")),
    )


def test_csv_with_map_counts_empty_duplicate_and_unmapped(tmp_path: Path) -> None:
    result = read(tmp_path)
    assert [(r.row, r.category) for r in result.rows] == [(2, "PDAM"), (3, "LPJU"), (9, "PDAM")]
    counts = result.counts()
    assert counts == {
        "read": 8,
        "usable": 3,
        "empty": 1,
        "duplicate_in_file": 1,
        "unmapped": 3,
        "unmapped_labels": {"Dinas Pertanian": 2, "Dinas Koperasi dan UKM": 1},
    }
    # the original label is kept beside the category, for provenance
    assert result.rows[2].source_label == "perumda air minum tirta sewakadarma"


def test_pii_is_masked_before_anything_is_kept(tmp_path: Path) -> None:
    texts = " ".join(r.text for r in read(tmp_path).rows)
    for secret in ("5171019999990017", "wayan.sudarsana", "0812-0000-1234", "812-0000-8765"):
        assert secret not in texts
    assert "[NIK]" in texts and "[email]" in texts and texts.count("[telepon]") == 2


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("hub 081200004321 ya", "hub [telepon] ya"),
        ("telp (0361) 223344 kantor", "telp [telepon] kantor"),
        ("wa 0812 0000 2468", "wa [telepon]"),
        ("KK 5171 0300 0000 0042 hilang", "KK [KK] hilang"),
        ("kejadian 01-02-2024 jam 10", "kejadian 01-02-2024 jam 10"),
        ("RT 05 RW 02 no. 17", "RT [nomor] RW [nomor] no. [nomor]"),
        ("mail kadek.ayu@example.net", "mail [email]"),
    ],
)
def test_imported_text_is_masked_by_the_one_masking_function(
    tmp_path: Path, text: str, masked: str
) -> None:
    # The importer keeps no patterns of its own: it masks with models.masking.
    path = write_csv(tmp_path / "one.csv", [(text, "Perumda Air Minum Tirta Sewakadarma")])
    labels = load_label_map(write_map(tmp_path / "map.yaml"))
    result = read_labelled(
        path, text_column="isi_laporan", label_column="opd_tujuan", label_map=labels
    )
    assert [r.text for r in result.rows] == [masked] == [mask_personal(text)]


def test_codes_without_a_map_and_unknown_codes_skipped(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(r)
            for r in (
                {"text": "jalan berlubang", "label": "PUPR"},
                {"text": "air mati", "label": "WATER"},
                {"text": "sampah numpuk", "label": "DLHK"},
            )
        ),
        encoding="utf-8",
    )
    result = read_labelled(path)
    assert [r.category for r in result.rows] == ["PUPR", "DLHK"]
    assert result.unmapped == {"WATER": 1}


def test_xlsx_is_read_with_its_row_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Isi", "OPD"])
    sheet.append(["lampu jalan mati total", "Dinas Perhubungan (UPT LPJU)"])
    sheet.append([None, None])
    sheet.append(["pipa PDAM bocor di depan rumah", "Perumda Air Minum Tirta Sewakadarma"])
    book.save(tmp_path / "h.xlsx")
    result = read_labelled(
        tmp_path / "h.xlsx",
        text_column="Isi",
        label_column="OPD",
        label_map=load_label_map(write_map(tmp_path / "m.yaml")),
    )
    assert [(r.row, r.category) for r in result.rows] == [(2, "LPJU"), (4, "PDAM")]


def test_missing_column_and_bad_map_are_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv")
    with pytest.raises(CorpusError, match=r"h.csv, row 2: no column 'teks'; columns are 'no'"):
        read_labelled(path, text_column="teks", label_column="opd_tujuan")
    bad = tmp_path / "bad.yaml"
    bad.write_text("Dinas Sosial: SOCIAL\n")
    with pytest.raises(CorpusError, match=r"bad.yaml: 'Dinas Sosial': 'SOCIAL' is not a category"):
        load_label_map(bad)
    inverse = tmp_path / "inv.yaml"
    inverse.write_text("labels:\n  DINSOS: [Dinas Sosial, Dinsos]\n")
    assert load_label_map(inverse) == {"dinas sosial": "DINSOS", "dinsos": "DINSOS"}


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    """A CSV saved by Excel in Windows-1252 (a curly quote is byte 0x92 there)."""
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "teks,opd\nlampu mati,LPJU\nair mati di \u2019Gatsu\u2019,PDAM\n".encode("cp1252")
    )
    with pytest.raises(CorpusError, match=r"excel.csv, line 3: not UTF-8 text \(byte 0x92\)"):
        read_labelled(path, text_column="teks", label_column="opd")
    jsonl = tmp_path / "h.jsonl"
    jsonl.write_bytes(b'{"teks": "lampu mati", "opd": "LPJU"}\n{"teks": "caf\xe9"}\n')
    with pytest.raises(CorpusError, match=r"h.jsonl, line 2: not UTF-8 text \(byte 0xe9\)"):
        read_labelled(jsonl, text_column="teks", label_column="opd")


def test_a_quote_left_open_is_named_with_the_line_it_opens_on(tmp_path: Path) -> None:
    """The rest of the file became one field, past the csv module's limit."""
    path = tmp_path / "h.csv"
    rows = "".join(f"lampu mati di gang {i},LPJU\n" for i in range(6000))
    path.write_text('teks,opd\nair mati,PDAM\n"air mati lagi,PDAM\n' + rows)
    with pytest.raises(CorpusError, match=r"h.csv, line 3: field larger than field limit .*quote"):
        read_labelled(path, text_column="teks", label_column="opd")


def test_jsonl_lines_split_as_a_file_does_and_a_line_too_deep_is_named(tmp_path: Path) -> None:
    """A line separator (U+2028) inside a JSON string is part of the text, not a line end."""
    path = tmp_path / "h.jsonl"
    records = [
        {"teks": "lampu mati\u2028di gang merpati", "opd": "LPJU"},
        {"teks": "air mati", "opd": "PDAM"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in records))
    rows = read_labelled(path, text_column="teks", label_column="opd").rows
    assert [(r.row, r.text) for r in rows] == [
        (1, "lampu mati\u2028di gang merpati"),
        (2, "air mati"),
    ]
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"teks": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(CorpusError, match=r"deep.jsonl, line 1: JSON nested too deeply"):
        read_labelled(deep, text_column="teks", label_column="opd")


def test_control_characters_and_half_surrogates_are_cleaned_before_storing(
    engine: Engine, tmp_path: Path
) -> None:
    """A NUL failed the whole import on PostgreSQL (a traceback); a lone surrogate, which
    JSON may escape, failed it on both stores (not encodable in UTF-8)."""
    path = tmp_path / "h.jsonl"
    path.write_text(
        '{"teks": "air\\u0000 mati di\\tpanjer\\u001b", "opd": "PDAM\\u0000"}\n'
        '{"teks": "lampu mati \\ud83d di gang merpati", "opd": "LPJU"}\n'
    )
    result = read_labelled(path, text_column="teks", label_column="opd")
    assert [(r.text, r.category) for r in result.rows] == [
        ("air mati di\tpanjer", "PDAM"),
        ("lampu mati \ufffd di gang merpati", "LPJU"),
    ]
    with Session(engine) as s:
        stored = store_import(
            session=s,
            file_name=path.name,
            file_sha256="0" * 64,
            actor="tester",
            rows=result.rows,
            splits=[assign_split(r.text) for r in result.rows],
            counts=result.counts(),
        )
        s.commit()
    assert stored.stored == 2


def test_store_keeps_provenance_and_skips_texts_already_stored(engine: Engine) -> None:
    rows = read_labelled_rows()
    with Session(engine) as session:
        first = store_import(
            session=session,
            file_name="a.csv",
            file_sha256="0" * 64,
            actor="kadek",
            rows=rows,
            splits=["train"] * len(rows),
            counts={"read": 2},
        )
        session.commit()
        again = store_import(
            session=session,
            file_name="b.csv",
            file_sha256="1" * 64,
            actor="made",
            rows=rows,
            splits=["train"] * len(rows),
            counts={"read": 2},
        )
        session.commit()
        assert (first.stored, again.stored, again.already_stored) == (2, 0, 2)
        stored = imported_examples(session=session)
        runs = list(session.exec(select(ExampleImport).order_by(col(ExampleImport.id))))
    assert [(e.row, e.category, e.import_id) for e in stored] == [
        (2, "PDAM", first.import_id),
        (3, "LPJU", first.import_id),
    ]
    assert [(r.file_name, r.actor, r.counts["stored"]) for r in runs] == [
        ("a.csv", "kadek", 2),
        ("b.csv", "made", 0),
    ]
    assert runs[0].imported_at.tzinfo is not None


def read_labelled_rows() -> list[LabelledRow]:
    texts = [("air PDAM mati", "PDAM", "Perumda"), ("lampu jalan mati", "LPJU", "UPT LPJU")]
    return [
        LabelledRow(row=i, text=t, category=c, source_label=s, key=text_key(t))
        for i, (t, c, s) in enumerate(texts, start=2)
    ]


def _import(config_file: Path, tmp_path: Path) -> str:
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(config_file),
            "corpus",
            "import",
            str(write_csv(tmp_path / "history.csv")),
            "--text-column",
            "isi_laporan",
            "--label-column",
            "opd_tujuan",
            "--map",
            str(write_map(tmp_path / "map.yaml")),
            "--actor",
            "tester",
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_import_lists_unmapped_labels_and_records_who(
    config_file: Path, store_url: str, tmp_path: Path
) -> None:
    config = yaml.safe_load(config_file.read_text())
    config["store"]["url"] = store_url
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True))
    output = _import(config_file, tmp_path)
    assert "8 rows read, 3 stored" in output
    assert "Dinas Pertanian" in output  # unmapped labels are listed
    listing = CliRunner().invoke(app, ["--config", str(config_file), "corpus", "imports"])
    assert "history.csv" in listing.output and "tester" in listing.output
    stored = _stored(store_url)
    assert len(stored) == 3 and all("0812" not in text for text, _ in stored)
    # each text's split is fixed by its text, so the held-out slice never moves
    assert all(split == assign_split(text) for text, split in stored)
    again = _import(config_file, tmp_path)
    assert "0 stored" in again and "3 already stored" in again


def test_train_uses_the_imported_source(config_file: Path, tmp_path: Path) -> None:
    config = yaml.safe_load(config_file.read_text())
    config["classifier"]["model_dir"] = str(tmp_path / "models")
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True))
    _import(config_file, tmp_path)
    trained = CliRunner().invoke(app, ["--config", str(config_file), "train"])
    assert trained.exit_code == 0, trained.output
    assert "adding 3 imported examples" in trained.output
    meta = json.loads(next((tmp_path / "models").glob("*/meta.json")).read_text())
    assert meta["examples_by_source"]["imported"] == 3


def _stored(url: str) -> list[tuple[str, str]]:
    from models.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        rows = [(e.text, e.split) for e in session.exec(select(TrainingExample))]
    engine.dispose()
    return rows
