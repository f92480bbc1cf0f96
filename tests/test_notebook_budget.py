"""Every lecture and solution notebook runs in under 60 s and 1 GiB (Binder's limits)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BUDGET_MIB, BUDGET_SECONDS, NOTEBOOKS, record_budget
from tests.notebook_budget import run_with_budget
from utils.paths import REPO_ROOT


def test_there_are_notebooks_to_check() -> None:
    assert NOTEBOOKS, "no notebook found under lectures/ or solutions/"


@pytest.mark.budget
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_notebook_within_budget(path: Path) -> None:
    result = run_with_budget(path)
    record_budget(str(path.relative_to(REPO_ROOT)), result.seconds, result.peak_mib)
    assert result.seconds < BUDGET_SECONDS, f"{path.name} took {result.seconds:.1f} s"
    assert result.peak_mib < BUDGET_MIB, f"{path.name} peaked at {result.peak_mib:.0f} MiB"
