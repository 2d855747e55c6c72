"""Simulated messy surveys with every kind of damage: the share of rows recovered with correct values."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerma.registry.importer import Batch, read_batch, repair_batch
from kerma.registry.simulate import DAMAGE_KINDS, simulate_surveys
from kerma.registry.truth import compare


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("surveys")
    simulate_surveys(out, facilities=30, seed=7, years=(2023,))
    return out


@pytest.fixture(scope="module")
def repaired(simulated: Path) -> tuple[Batch, list[str]]:
    batch = read_batch([simulated])
    return batch, repair_batch(batch.files)


def test_every_damage_kind_is_simulated(simulated: Path) -> None:
    truth = (simulated / "_ground_truth.csv").read_text(encoding="utf-8")
    seen = {d for line in truth.splitlines()[1:] for d in line.rsplit(",", 1)[1].split(";") if d}
    assert (
        set(DAMAGE_KINDS)
        - {
            "renamed_headers",
            "reordered_columns",
            "merged_header",
            "missing_header",
            "title_rows",
            "several_sheets",
            "units_in_headers",
            "empty_rows",
            "meta_in_title",
        }
        <= seen
    )
    formats = {p.suffix for p in simulated.iterdir() if not p.name.startswith("_")}
    assert formats == {".xlsx", ".xls", ".ods", ".csv"}
    raw = [p.read_bytes() for p in simulated.glob("*.csv")]
    assert any(b"\xe4" in r or b"\xf6" in r or b"\xfc" in r for r in raw), "a Windows-1252 CSV"
    assert any("ä".encode() in r or "ö".encode() in r or "ü".encode() in r for r in raw), "a UTF-8 CSV"


def test_more_than_99_percent_of_rows_recovered(simulated: Path, repaired: tuple[Batch, list[str]]) -> None:
    batch, flags = repaired
    rec = compare(batch.files, simulated / "_ground_truth.csv")
    assert rec.records > 1000
    assert rec.share > 0.99, rec.failures[:20]
    # rows that must not count (duplicated rows, summary rows, the second copy of a file) are rejected
    assert rec.rejected_as_expected == rec.expected_rejections > 0
    assert any("duplicate file" in f for f in flags)
    for damage, (n, ok) in rec.by_damage.items():
        assert ok / n > 0.95, (damage, n, ok)


def test_every_repair_is_logged_per_cell(repaired: tuple[Batch, list[str]]) -> None:
    batch, _ = repaired
    for f in batch.files:
        for r in f.rows():
            if r.status.value == "repaired":
                assert r.repairs, (f.name, r.source_row)
            for rep in r.repairs:
                assert rep.file == f.name and rep.sheet and rep.row >= 1 and rep.rule
            if r.status.value == "rejected":
                assert r.reason
