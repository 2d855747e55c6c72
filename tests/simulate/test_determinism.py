"""The same seed gives the same bytes (in another process too); another seed gives other data."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from kerma.simulate import ground_truth, simulate

STUDIES = 60


def _digests(out: Path) -> dict[str, str]:
    return {
        str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def test_same_seed_same_bytes_across_processes(tmp_path: Path) -> None:
    simulate(tmp_path / "a", STUDIES, seed=5)
    # a second process with another hash seed: nothing may depend on set/dict hashing or on the clock
    code = (
        "import sys; from pathlib import Path; from kerma.simulate import simulate; "
        "simulate(Path(sys.argv[1]), int(sys.argv[2]), seed=5)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b"), str(STUDIES)], check=True, env=env)
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert len(first) > STUDIES  # every study has at least one file, plus the ground truth
    assert first == second


def test_other_seed_other_data(tmp_path: Path) -> None:
    simulate(tmp_path / "a", STUDIES, seed=5)
    simulate(tmp_path / "b", STUDIES, seed=6)
    assert set(_digests(tmp_path / "a").values()).isdisjoint(_digests(tmp_path / "b").values())
    uids_a = {row.study_instance_uid for row in ground_truth(tmp_path / "a")}
    uids_b = {row.study_instance_uid for row in ground_truth(tmp_path / "b")}
    assert len(uids_a) == STUDIES and uids_a.isdisjoint(uids_b)


def test_progress_reports_each_study(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = simulate(tmp_path, 7, seed=1, progress=seen.append)
    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert summary.studies == 7
