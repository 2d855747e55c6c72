"""Suggestions: accuracy on labelled local names, and the names the simulator writes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kerma.nomenclature.codes import builtin_codes
from kerma.nomenclature.lexicon import extract
from kerma.nomenclature.suggest import DEFAULT_AUTO_CONFIDENCE, rank, signatures
from kerma.nomenclature.text import name_key

HERE = Path(__file__).parent


def _accuracy(path: Path) -> tuple[int, float, float, float]:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    top1 = top3 = confident = 0
    for r in rows:
        got = rank(r["modality"], [r["name"]])
        codes = [s.exam_code for s in got]
        top1 += codes[:1] == [r["exam_code"]]
        top3 += r["exam_code"] in codes
        confident += bool(got) and got[0].confidence >= DEFAULT_AUTO_CONFIDENCE and codes[0] == r["exam_code"]
    n = len(rows)
    return n, top1 / n, top3 / n, confident / n


def test_labelled_names_accuracy() -> None:
    # the vocabulary was tuned on these names (measured: top-1 99.8 %, top-3 100 % of 568)
    n, top1, top3, _ = _accuracy(HERE / "labelled_names.csv")
    assert n >= 300
    assert top1 >= 0.98 and top3 >= 0.99


def test_heldout_names_accuracy() -> None:
    # names written separately and not tuned on (measured: top-1 97.7 %, top-3 98.5 % of 132)
    n, top1, top3, _ = _accuracy(HERE / "heldout_names.csv")
    assert n >= 100
    assert top1 >= 0.95 and top3 >= 0.97


def test_every_code_is_known_and_every_label_is_a_code() -> None:
    codes = builtin_codes()
    assert set(signatures()) <= set(codes)
    for name in ("labelled_names.csv", "heldout_names.csv"):
        for r in csv.DictReader((HERE / name).open(encoding="utf-8")):
            assert r["exam_code"] in codes, r


@pytest.mark.parametrize(
    ("modality", "name", "code"),
    [
        ("CT", "CT SCHÄDEL NATIV 3", "1010"),
        ("CT", "ct schaedel nativ", "1010"),
        ("CT", "1.1 Kopf", "1010"),
        ("CT", "crâne", "1010"),
        ("CT", "Thorax^Thorax_NON_CON (Adult)", "1030"),
        ("CT", "Thoraxabdomen", "1065"),  # an unknown compound split into known words
        ("CT", "Thorx", "1030"),  # a typo close to a known word
        ("DX", "Thx pa", "K-XR-CHEST-PA"),
        ("DX", "Abd", "K-XR-ABDOMEN"),
        ("CT", "torace", "1030"),
        ("XA", "Koronarangiographie + PCI", "K-XA-CORO-PCI"),
    ],
)
def test_names_with_diacritics_numbers_and_abbreviations(modality: str, name: str, code: str) -> None:
    best = rank(modality, [name])[0]
    assert best.exam_code == code
    assert best.confidence >= DEFAULT_AUTO_CONFIDENCE


def test_modality_decides() -> None:
    assert rank("CT", ["Kopf"])[0].exam_code == "1010"
    assert rank("DX", ["Schädel 2 Ebenen"])[0].exam_code == "K-XR-SKULL"
    assert rank("MG", ["Brust bds"])[0].exam_code == "K-MG-SCREENING"
    assert rank("CT", ["Specials^PhysicsTesting (Adult)"]) == []


def test_ambiguous_names_get_low_confidence() -> None:
    got = rank("CT", ["Becken"])  # soft tissue or bones: both are candidates
    assert {s.exam_code for s in got[:2]} == {"1070", "1071"}
    assert got[0].confidence < DEFAULT_AUTO_CONFIDENCE


def test_normalised_key_and_concepts() -> None:
    assert name_key("CT Schädel-nativ 2") == name_key("ct  SCHÄDEL nativ") == "ct schadel nativ"
    assert extract(["Thorax p.a. + seitlich"], "DX") >= {"CHEST", "TWOVIEW"}


SIMULATED = {
    "ct-head": {"1010"},
    "ct-chest": {"1030"},
    "ct-abdomen-pelvis": {"1060"},
    "ct-chest-abdomen-pelvis": {"1065"},
    "ct-pulmonary-angio": {"K-CT-CTPA"},
    "ct-sinuses": {"1021"},
    "ct-lumbar-spine": {"1041"},
    "ct-coronary": {"1110"},
    "xr-chest-pa": {"K-XR-CHEST-PA"},
    "xr-chest-pa-lat": {"K-XR-CHEST-2V"},
    "xr-knee": {"K-XR-KNEE"},
    "xr-lumbar-spine": {"K-XR-LSPINE-2V"},
    "xr-pelvis": {"K-XR-PELVIS"},
    "xr-abdomen": {"K-XR-ABDOMEN"},
    "xr-hand": {"K-XR-HAND"},
    "mg-screening": {"K-MG-SCREENING"},
    "mg-diagnostic": {"K-MG-DIAGNOSTIC"},
    "mg-unilateral": {"K-MG-DIAGNOSTIC"},
    "rf-ercp": {"K-RF-ERCP"},
    "rf-swallow": {"K-RF-SWALLOW", "K-RF-UPPER-GI"},
    "rf-mcu": {"K-RF-VCUG"},
    "xa-coro": {"K-XA-CORO"},
    "xa-pci": {"K-XA-PCI", "K-XA-CORO-PCI"},
    "xa-cerebral": {"K-XA-CEREBRAL"},
    "xa-peripheral": {
        "K-XA-ANGIO-LEG",
        "K-XA-PTA",
        "K-XA-PTA-PELVIS",
        "K-XA-PTA-THIGH-KNEE",
        "K-XA-PTA-LOWER-LEG-FOOT",
    },
}


def test_simulated_names_map_out_of_the_box() -> None:
    protocols = pytest.importorskip("kerma.simulate.protocols")
    exams = next(v for v in vars(protocols).values() if isinstance(v, tuple) and v and hasattr(v[0], "names"))
    total = right = 0
    for exam in exams:
        expected = SIMULATED.get(exam.key)
        if expected is None:
            continue
        for name in {n for names in exam.names.values() for n in names}:
            got = rank(exam.modality, [name])
            total += 1
            right += (
                bool(got) and got[0].exam_code in expected and got[0].confidence >= DEFAULT_AUTO_CONFIDENCE
            )
    # measured: 333 of 338 names (98.5 %) map to the intended exam at auto-accept confidence
    assert total >= 300 and right / total >= 0.97
