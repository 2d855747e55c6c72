"""Mapping over the store: at ingest, re-applied to history when rules change, suggestions, export."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

from sqlalchemy import select
from typer.testing import CliRunner

from kerma.config import Settings
from kerma.ingest.hooks import default_hooks
from kerma.ingest.pipeline import Ingestor, Parsed
from kerma.nomenclature.export import study_columns
from kerma.nomenclature.rules import clear_cache
from kerma.nomenclature.service import add_rule, apply_rules, retire_rule, unmapped_names
from kerma.store import open_store
from kerma.store.queries import RowFilter, study_query
from kerma.store.schema.nomenclature import study_exam_codes
from tests.factories import ct_event, ct_rdsr

_SEQ = itertools.count()


def _ingest(engine, tmp_path, names):  # type: ignore[no-untyped-def]
    ing = Ingestor(
        engine, Settings(secret_file=tmp_path / "k.key", quarantine_dir=tmp_path / "q"), hooks=default_hooks()
    )
    for name in names:
        i = next(_SEQ)
        rep = ct_rdsr(f"9.8.{i}", f"1.2.9.{i}", [ct_event(f"1.2.9.{i}.1", 100.0)], 100.0, patient_id=f"P{i}")
        rep.study.study_description = name
        rep.events[0].protocol = None
        rep.study.study_datetime = datetime(2025, 1, 1 + i % 28)
        ing.store_one(Parsed(name, rep, None))


def _codes(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return dict(conn.execute(select(study_exam_codes.c.study_id, study_exam_codes.c.exam_code)).all())


def test_ingest_maps_and_rule_changes_remap_history(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clear_cache()
    engine = open_store(db_url)
    _ingest(engine, tmp_path, ["CT Thorax"])
    assert _codes(engine) == {}  # no rule yet
    with engine.begin() as conn:
        rule = add_rule(conn, pattern="ct thorax", exam_code="1030", modality="CT")
    _ingest(engine, tmp_path, ["CT THORAX 2"])  # mapped at ingest by the hook (new rules version)
    assert sorted(_codes(engine).values()) == ["1030"]
    report = apply_rules(engine)  # the older study is mapped when rules are re-applied
    assert report.mapped == 1 and sorted(_codes(engine).values()) == ["1030", "1030"]
    with engine.begin() as conn:
        retire_rule(conn, rule)
        add_rule(conn, pattern=r"thorax", exam_code="1031", match="regex", modality="CT")
    report = apply_rules(engine)
    assert report.changed == 2 and set(_codes(engine).values()) == {"1031"}
    with engine.connect() as conn:
        rows = conn.execute(select(study_exam_codes.c.rule_version)).scalars().all()
    assert rows == [3, 3]  # add (1), retire (2), add (3)
    # the study export gains exam_code and exam_name
    cols, stmt = study_query(RowFilter(), study_columns())
    with engine.connect() as conn:
        out = [dict(zip(cols, r, strict=True)) for r in conn.execute(stmt)]
    assert {(r["exam_code"], r["exam_name"]) for r in out} == {("1031", "High-contrast lung")}
    engine.dispose()


def test_suggest_and_auto_apply(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clear_cache()
    engine = open_store(db_url)
    _ingest(engine, tmp_path, ["CT Schädel nativ", "cct nativ", "CCT", "Becken", "Specials^PhysicsTesting"])
    names = {u.name: u for u in unmapped_names(engine)}
    assert names["CT Schädel nativ"].suggestions[0].exam_code == "1010"
    assert "Specials^PhysicsTesting" in names and names["Specials^PhysicsTesting"].suggestions == []
    from kerma.cli import app

    url = engine.url.render_as_string(hide_password=False)
    res = CliRunner().invoke(app, ["map", "apply", "--db", url, "--auto", "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)[0]
    accepted = {a["name"]: a["exam_code"] for a in report["accepted"]}
    # 'Becken' (soft tissue or bones?) stays for a person to decide
    assert accepted == {"CT Schädel nativ": "1010", "cct nativ": "1010", "CCT": "1010"}
    assert report["mapped"] == 3 and report["unmapped"] == 2
    res = CliRunner().invoke(app, ["map", "suggest", "--db", url, "--format", "json"])
    left = json.loads(res.stdout)
    assert {r["name"] for r in left} == {"Becken", "Specials^PhysicsTesting"}
    assert {s["exam_code"] for s in left[0]["suggestions"][:2]} <= {"1070", "1071"}
    res = CliRunner().invoke(app, ["map", "list", "--db", url, "--format", "csv"])
    assert "1010,Cranium,rule,3" in res.stdout
    res = CliRunner().invoke(app, ["map", "add", "Becken", "NO-CODE", "--db", url])
    assert res.exit_code == 2
    engine.dispose()
