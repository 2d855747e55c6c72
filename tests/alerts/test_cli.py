"""`kerma alerts ...`: the verbs of the issue, their JSON, and bad input answered with exit code 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kerma.cli import app
from kerma.store import open_store
from tests.alerts.helpers import ct_study, store

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def db(db_url: str) -> str:
    eng = open_store(db_url)
    store(eng, ct_study(1, dlp=400.0), ct_study(2, dlp=1600.0))
    eng.dispose()
    return db_url


def test_add_rule_evaluate_list_ack_as_the_issue_says(db: str) -> None:
    code, _, err = _run(
        "alerts", "rules", "add", "--name", "CT DLP", "--scope", "study",
        "--quantity", "total_dlp_mgy_cm", "--above", "1000", "--modality", "CT", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert "rule 1 added: CT DLP" in err
    code, out, err = _run("alerts", "evaluate", "--db", db, "--json")
    assert code == 0, err
    assert json.loads(out) == {"studies": 2, "new_alerts": 1, "not_applicable": 0}
    code, out, _ = _run("alerts", "list", "--json", "--db", db)
    (a,) = json.loads(out)
    assert {"rule", "study_instance_uid", "quantity", "value", "threshold", "state"} <= set(a)
    assert (a["rule"], a["study_instance_uid"], a["quantity"]) == ("CT DLP", "1.2.2", "total_dlp_mgy_cm")
    assert (a["value"], a["threshold"], a["state"]) == (1600.0, 1000.0, "new")
    code, _, err = _run("alerts", "ack", str(a["id"]), "--by", "anna", "--comment", "seen", "--db", db)
    assert code == 0 and "new -> acknowledged" in err
    code, out, _ = _run("alerts", "show", str(a["id"]), "--db", db)
    shown = json.loads(out)
    assert shown["state"] == "acknowledged" and shown["history"][-1]["actor"] == "anna"
    # evaluating again adds nothing
    _, out, _ = _run("alerts", "evaluate", "--from", "2025-01-01", "--to", "2026-01-01", "--db", db, "--json")
    assert json.loads(out)["new_alerts"] == 0


def test_above_drl_and_list_filters(db: str) -> None:
    code, _, err = _run(
        "alerts", "rules", "add", "--name", "2 x DRL", "--scope", "study", "--quantity", "total_dlp_mgy_cm",
        "--above-drl", "2", "--exam-code", "9999", "--db", db,
    )  # fmt: skip
    assert code == 0
    assert "warning: no active DRL for exam code 9999 and dlp_mgy_cm" in err
    code, out, _ = _run("alerts", "rules", "list", "--json", "--db", db)
    (r,) = json.loads(out)
    assert r["drl_factor"] == 2.0 and r["threshold"] is None and r["filters"] == {"exam_codes": ["9999"]}
    assert _run("alerts", "list", "--state", "lost", "--db", db)[0] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--above", "-5"], "--above: must be positive, got '-5'"),
        (["--above", "abc"], "--above: 'abc' is not a number"),
        (["--above", "0"], "--above: must be positive"),
        (["--above-drl", "-1"], "--above-drl: must be positive"),
        (["--above-drl", "x2"], "--above-drl: 'x2' is not a number"),
        (["--above", "1", "--above-drl", "2"], "give --above or --above-drl, not both"),
        ([], "give exactly one of"),
        (["--above", "1", "--unit", "mGy"], "--unit:"),
        (["--above", "1", "--scope", "room"], "--scope: 'room' is not one of"),
    ],
)
def test_bad_rules_exit_2_with_a_clear_message(sqlite_url: str, args: list[str], message: str) -> None:
    base = ["alerts", "rules", "add", "--name", "bad", "--quantity", "total_dap_gy_cm2", "--db", sqlite_url]
    code, _, err = _run(*base, *args)
    assert code == 2
    assert message in " ".join(err.split())


def test_unknown_quantity_lists_the_valid_ones(sqlite_url: str) -> None:
    code, _, err = _run(
        "alerts", "rules", "add", "--name", "q", "--scope", "event", "--quantity", "dose", "--above", "1",
        "--db", sqlite_url,
    )  # fmt: skip
    text = " ".join(err.split())
    assert code == 2
    assert "--quantity: unknown quantity 'dose' for scope event; valid:" in text
    assert "ctdivol_mgy" in text and "dap_gy_cm2" in text and "fluoro_time_s" in text


def test_presets_copy_export_import(sqlite_url: str, tmp_path: Path) -> None:
    code, out, _ = _run("alerts", "rules", "presets", "--json")
    presets = json.loads(out)
    assert any(p["id"] == "de-single-person-series" and p["verified"] for p in presets)
    assert all(p["note"] == "unverified — check the source" for p in presets if not p["verified"])
    code, _, err = _run("alerts", "rules", "add-preset", "ncrp168-kar", "de-group-ct-dlp", "--db", sqlite_url)
    assert code == 0, err
    assert "(unverified — check the source)" in err
    assert _run("alerts", "rules", "add-preset", "nope", "--db", sqlite_url)[0] == 2
    out_file = tmp_path / "rules.json"
    assert _run("alerts", "rules", "export", "--out", str(out_file), "--db", sqlite_url)[0] == 0
    rules = json.loads(out_file.read_text(encoding="utf-8"))
    assert [r["preset"] for r in rules] == ["ncrp168-kar", "de-group-ct-dlp"]
    assert rules[0]["threshold"] == 5000.0  # 5 Gy, stored in mGy
    other = f"sqlite:///{tmp_path / 'other.db'}"
    code, _, err = _run("alerts", "rules", "import", str(out_file), "--db", other)
    assert code == 0, err
    _, out, _ = _run("alerts", "rules", "list", "--json", "--db", other)
    assert [r["name"] for r in json.loads(out)] == [r["name"] for r in rules]
    assert _run("alerts", "rules", "import", str(out_file), "--db", other)[0] == 2  # names taken
    assert _run("alerts", "rules", "import", str(out_file), "--replace", "--db", other)[0] == 0
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps([{"name": "x", "quantity": "total_dlp_mgy_cm", "threshold": -1}]), encoding="utf-8"
    )
    code, _, err = _run("alerts", "rules", "import", str(bad), "--db", other)
    assert code == 2 and "threshold: must be positive" in err


def test_edit_disable_delete(db: str) -> None:
    _run("alerts", "rules", "add", "--name", "r", "--quantity", "dlp_mgy_cm", "--above", "1000", "--db", db)
    assert _run("alerts", "rules", "edit", "r", "--above", "-1", "--db", db)[0] == 2
    assert _run("alerts", "rules", "edit", "r", "--above", "2", "--unit", "Gy.cm", "--db", db)[0] == 0
    _, out, _ = _run("alerts", "rules", "show", "r", "--db", db)
    assert json.loads(out)["threshold"] == 2000.0
    assert _run("alerts", "rules", "edit", "r", "--disable", "--db", db)[0] == 0
    _, out, _ = _run("alerts", "evaluate", "--db", db, "--json")
    assert json.loads(out)["new_alerts"] == 0
    _, _, err = _run("alerts", "rules", "delete", "r", "--db", db)
    assert "deleted" in err
    assert _run("alerts", "rules", "show", "r", "--db", db)[0] == 2


def test_review_and_export_from_the_command_line(db: str, tmp_path: Path) -> None:
    _run("alerts", "rules", "add", "--name", "r", "--quantity", "dlp_mgy_cm", "--above", "1000", "--db", db)
    _run("alerts", "evaluate", "--db", db)
    code, _, err = _run("alerts", "state", "1", "reportable", "--db", db)
    assert code == 2 and "comment is required" in err
    assert _run("alerts", "state", "1", "under review", "--db", db)[0] == 0
    assert _run("alerts", "comment", "1", "protocol checked", "--by", "ben", "--db", db)[0] == 0
    assert (
        _run("alerts", "state", "1", "reportable", "-m", "wrong protocol", "--by", "carla", "--db", db)[0]
        == 0
    )
    code, out, _ = _run("alerts", "export", "--format", "csv", "--db", db)
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["study_instance_uid"] == "1.2.2" and row["decision_reason"] == "wrong protocol"
    assert row["decided_by"] == "carla" and row["patient_pseudonym"].startswith("P")
    assert _run("alerts", "export", "--format", "xlsx", "--db", db)[0] == 2
    assert _run("alerts", "export", "--format", "pdf", "--db", db)[0] == 2
    out_file = tmp_path / "events.xlsx"
    assert _run("alerts", "export", "--format", "xlsx", "--out", str(out_file), "--db", db)[0] == 0
    assert out_file.stat().st_size > 0


def test_recipients_and_outbox(db: str) -> None:
    code, _, err = _run("alerts", "recipients", "add", "--name", "hook", "--channel", "webhook",
                        "--address", "http://127.0.0.1:9/x", "--db", db)  # fmt: skip
    assert code == 0 and "webhook secret (shown once):" in err
    code, _, err = _run(
        "alerts", "recipients", "add", "--name", "bad", "--address", "not-an-address", "--db", db
    )
    assert code == 2 and "not an e-mail address" in err
    _, out, _ = _run("alerts", "recipients", "list", "--json", "--db", db)
    (rec,) = json.loads(out)
    assert rec["has_secret"] is True and "secret" not in rec
    _run("alerts", "rules", "add", "--name", "r", "--quantity", "dlp_mgy_cm", "--above", "1000", "--db", db)
    _run("alerts", "evaluate", "--db", db)
    code, out, _ = _run("alerts", "send", "--json", "--db", db)
    assert code == 1 and json.loads(out)["retrying"] == 1
    _, out, _ = _run("alerts", "outbox", "list", "--json", "--db", db)
    (row,) = json.loads(out)
    assert row["state"] == "pending" and row["last_error"].startswith("webhook ConnectError")
    assert _run("alerts", "outbox", "retry", "99", "--db", db)[0] == 2
    _, _, err = _run("alerts", "recipients", "remove", "hook", "--db", db)
    assert "disabled" in err
