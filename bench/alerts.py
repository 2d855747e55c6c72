"""Alert benchmark: ingest throughput with 50 active trigger rules against no rules, in the same run.

The same simulated files are imported into fresh SQLite stores, alternating 'no rules' and '50 rules'
runs; the median of each is compared. Exam codes are mapped at ingest (every CT study to one code, every
radiograph to one code) and the built-in DRL sets are installed, so DRL, device-series and group rules do
real work rather than stopping at 'no exam code'. Two recipients get outbox rows for every alert.
Target: the rules cost less than 20 % of ingest time. Then the pure evaluation rate over the stored
history (`kerma alerts evaluate`) is printed.

    python bench/alerts.py --studies 300 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def rules_50() -> list[dict[str, Any]]:
    """Fifty rules of every kind and scope, thresholds set so that a few percent of studies alert."""
    rules: list[dict[str, Any]] = []
    study = [
        ("total_dlp_mgy_cm", ["CT"], 1500),
        ("ctdivol_mgy_max", ["CT"], 60),
        ("ctdivol_mgy_sum", ["CT"], 150),
        ("ctdivol_mgy_mean", ["CT"], 60),
        ("total_dap_gy_cm2", ["RF", "XA"], 150),
        ("total_kar_mgy", ["XA"], 3000),
        ("total_fluoro_time_s", ["RF", "XA"], 1800),
        ("total_dap_gy_cm2", ["DX", "CR"], 10),
        ("total_agd_mgy", ["MG"], 6),
        ("administered_activity_mbq", ["NM", "PT"], 800),
    ]
    for i in range(20):
        q, mods, t = study[i % len(study)]
        rules.append({"name": f"study {i}", "scope": "study", "quantity": q, "threshold": t * (1 + i // 10),
                      "filters": {"modalities": mods}})  # fmt: skip
    event = [
        ("ctdivol_mgy", ["CT"], 70),
        ("dlp_mgy_cm", ["CT"], 1200),
        ("dap_gy_cm2", ["DX", "CR", "RF", "XA"], 20),
        ("kar_mgy", ["XA", "RF"], 500),
        ("agd_mgy", ["MG"], 3),
    ]
    for i in range(10):
        q, mods, t = event[i % len(event)]
        rules.append({"name": f"event {i}", "scope": "event", "quantity": q, "threshold": t * (1 + i // 5),
                      "filters": {"modalities": mods}})  # fmt: skip
    for i, (q, scope) in enumerate(
        [("total_dlp_mgy_cm", "study"), ("ctdivol_mgy", "event"), ("dap_gy_cm2", "event"),
         ("total_dap_gy_cm2", "study"), ("agd_mgy", "event")]
    ):  # fmt: skip
        rules.append({"name": f"drl {i}", "scope": scope, "quantity": q, "drl_factor": 5.0})
    for i, q in enumerate(["total_dlp_mgy_cm", "total_dap_gy_cm2", "total_kar_mgy", "effective_dose_msv",
                           "ctdivol_mgy_sum"]):  # fmt: skip
        rules.append({"name": f"patient {i}", "scope": "patient", "quantity": q, "threshold": 3000.0})
    for i, q in enumerate(["total_dlp_mgy_cm", "ctdivol_mgy_mean"]):
        rules.append({"name": f"device {i}", "scope": "device", "quantity": q, "drl_factor": 2.0,
                      "params": {"count": 20, "min_count": 5}})  # fmt: skip
    return rules


PRESETS = (
    "de-single-person-series",
    "de-group-ct-dlp",
    "de-group-ct-ctdivol",
    "de-group-fluoro-dap",
    "ct-dose-check-alert",
    "ct-dose-check-notification",
    "registry-outlier-ct-dlp",
    "aapm-ct-adult-head",
)


def setup_store(url: str, with_rules: bool) -> Any:
    """A fresh store with exam-code mapping and DRLs; with or without the 50 rules."""
    from kerma.alerts.presets import copy_preset
    from kerma.alerts.routing import add_recipient
    from kerma.alerts.rules import rule_from_dict
    from kerma.alerts.rulestore import create_rule
    from kerma.drl.sets import ensure_builtin
    from kerma.nomenclature.service import add_rule as add_mapping
    from kerma.store import open_store

    engine = open_store(url)
    with engine.begin() as conn:
        ensure_builtin(conn)
        add_mapping(conn, pattern=".", exam_code="1030", match="regex", modality="CT", actor="bench")
        add_mapping(conn, pattern=".", exam_code="K-XR-CHEST-PA", match="regex", modality="DX", actor="bench")
        if with_rules:
            add_recipient(conn, {"name": "mpe", "address": "mpe@example.org"}, "bench")
            add_recipient(
                conn, {"name": "ris", "channel": "webhook", "address": "http://127.0.0.1:9/"}, "bench"
            )
            for data in rules_50():
                create_rule(conn, rule_from_dict(data), "bench")
            for p in PRESETS:
                copy_preset(conn, p, "bench")
    return engine


def timed_hooks(spent: list[float]) -> list[Any]:
    """The installed ingest hooks, with the alert hook's own time added to ``spent``."""
    from kerma.alerts.hooks import evaluate_stored
    from kerma.ingest.hooks import default_hooks

    def alert_hook(conn: Any, result: Any, report: Any) -> None:
        t = time.perf_counter()
        evaluate_stored(conn, result, report)
        spent.append(time.perf_counter() - t)

    return [alert_hook if h is evaluate_stored else h for h in default_hooks()]


def run_import(files: Path, url: str, with_rules: bool) -> tuple[float, int, int, float]:
    """Seconds to import the files (parse + store + hooks), files stored, alerts raised, and the seconds
    spent in the alert hook."""
    from sqlalchemy import func, select

    from kerma.alerts.rulestore import list_rules
    from kerma.config import Settings
    from kerma.ingest.pipeline import Ingestor
    from kerma.store.schema.alerts import alerts

    engine = setup_store(url, with_rules)
    with engine.connect() as conn:
        n_rules = len(list_rules(conn, enabled_only=True))
    assert n_rules == (50 if with_rules else 0), n_rules
    spent: list[float] = []
    ingestor = Ingestor(engine, Settings(), hooks=timed_hooks(spent))
    t = time.perf_counter()
    report = ingestor.import_paths([files])
    dt = time.perf_counter() - t
    with engine.connect() as conn:
        n_alerts = int(conn.execute(select(func.count()).select_from(alerts)).scalar_one())
    engine.dispose()
    return dt, report.stored, n_alerts, sum(spent)


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--studies", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    import os

    os.environ.setdefault("KERMA_SITE_SECRET", "bench-site-secret-0123456789abcdef")
    from kerma.alerts.history import evaluate_range
    from kerma.simulate import simulate
    from kerma.store import open_store

    with tempfile.TemporaryDirectory(prefix="kerma-bench-alerts-") as tmp:
        tmpdir = Path(tmp)
        os.environ["KERMA_QUARANTINE"] = str(tmpdir / "quarantine")
        files = tmpdir / "files"
        summary = simulate(files, studies=args.studies, seed=args.seed)
        print(f"simulated {args.studies} studies, {summary.files} files")
        # warm-up: imports, compiled code paths, file cache
        run_import(files, f"sqlite:///{tmpdir / 'warm.db'}", True)
        times: dict[bool, list[float]] = {False: [], True: []}
        in_hook: list[float] = []
        stored = alerts_raised = 0
        for r in range(args.repeats):
            for with_rules in (False, True):
                url = f"sqlite:///{tmpdir / f'run{r}-{int(with_rules)}.db'}"
                dt, stored, n, spent = run_import(files, url, with_rules)
                times[with_rules].append(dt)
                if with_rules:
                    alerts_raised = n
                    in_hook.append(spent / dt)
        base, ruled = statistics.median(times[False]), statistics.median(times[True])
        overhead = (ruled - base) / base
        share = statistics.median(in_hook)
        print(f"objects stored per run: {stored}")
        for label, key in (("no rules", False), ("50 rules", True)):
            med = statistics.median(times[key])
            runs = ", ".join(f"{t:.2f}" for t in times[key])
            print(f"{label:9} : {med:7.2f} s  {stored / med:7.1f} objects/s   (runs: {runs})")
        print(f"alerts raised with 50 rules: {alerts_raised}")
        print(f"rules cost, A/B throughput : {overhead * 100:+.1f} % of ingest time")
        print(f"rules cost, time in hook   : {share * 100:.1f} % of ingest time (target < 20 %)")
        # pure evaluation over stored history (no parsing, no storing)
        engine = open_store(f"sqlite:///{tmpdir / 'run0-1.db'}")
        t = time.perf_counter()
        ev = evaluate_range(engine)
        dt = time.perf_counter() - t
        engine.dispose()
        print(f"re-evaluation of {ev.studies} stored studies with 50 rules: {dt:.2f} s "
              f"({ev.studies / dt:.0f} studies/s, {ev.new_alerts} new alerts)")  # fmt: skip
        sys.exit(0 if share < 0.20 else 1)


if __name__ == "__main__":
    main()
