"""The simulated data set shared by the simulator tests (written once per session)."""

from __future__ import annotations

import pytest

from kerma.simulate import ground_truth, simulate
from tests.simulate.helpers import Simulated

SEED = 11
STUDIES = 900


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """A 900-study simulation written once per test session (about a second)."""
    out = tmp_path_factory.mktemp("simulated")
    summary = simulate(out, STUDIES, seed=SEED)
    return Simulated(out, summary, ground_truth(out))
