"""pytest plugin: how ``make test`` shares the machine's cores (pytest-xdist, ``--dist loadgroup``).

Every test belongs to one *group*, and a group runs on one worker, start to end:

* a test marked ``xdist_group`` keeps its group (each exercise's grading
  battery is one, so the three batteries run side by side);
* a notebook's cells are one group (nbval runs them in one kernel, in order);
* ``tests/classroom`` is one group (one hub for the package, real accounts);
* each test of :data:`ALONE` is a group of its own (a lecture under another
  BLAS kernel, in its own subprocess, shares nothing with the next);
* any other test is grouped with its module, so a module-scoped fixture
  (a graded toy course, a JupyterLab server) is built once, not once per worker.

Groups start longest first (:data:`FIRST`, measured on 2 cores), so no long
group is left to run alone at the end; within a group the order is pytest's.
Loaded by the repository's root ``conftest.py``; without ``-n`` it changes
nothing but the order.
"""

from __future__ import annotations

import pytest

#: Groups started before the rest, in this order (prefixes of the group's name). The hub mostly
#: waits, so it starts at once, beside the single-kernel groups (a lecture under another BLAS
#: kernel, the notebooks under nbval, the browser): beside a grading battery (two kernels per
#: core) it did not come up in time. The batteries follow, longest first, two side by side once
#: the hub is done; then the suites that grade toy courses; the rest fills in at the end.
FIRST: tuple[str, ...] = (
    "classroom",
    "tests/test_any_cpu.py",
    "lectures/",
    "tests/e2e/",
    "tests/test_binder.py",
    "tests/test_make_lab.py",
    "solutions/",
    "ex03_permutation_importance",
    "ex05_pca",
    "ex02_krr",
    "ex06_gaussian_process",
    "ex04_coulomb_matrix",
    "ex01_ridge",
    "ex07_nested_cv",
    "ex08_roc_threshold",
    "tests/grading/test_worker.py",
    "tests/grading/test_pipeline.py",
    "tests/grading/test_pool.py",
    "tests/grading/test_limits.py",
    "tests/grading/test_adversarial.py",
    "tests/grading/test_instructor.py",
    "tests/test_exercises.py",
)


#: Modules whose tests share no fixture: each test is a group (see the module docstring).
ALONE: frozenset[str] = frozenset({"tests/test_any_cpu.py"})


def group_of(item: pytest.Item) -> str:
    """The group a test runs in (see the module docstring)."""
    marks = [m.args[0] if m.args else m.kwargs.get("name", "default") for m in item.iter_markers("xdist_group")]
    if marks:
        return str(marks[0])
    path = item.nodeid.split("::")[0]
    if path.startswith("tests/classroom/"):
        return "classroom"
    return item.nodeid if path in ALONE else path


def _rank(group: str) -> int:
    return next((i for i, prefix in enumerate(FIRST) if group.startswith(prefix)), len(FIRST))


def _tag(item: pytest.Item, group: str) -> None:
    """Append ``@group`` to the test's node id, which is how ``--dist loadgroup`` finds its group.

    pytest-xdist 3.8 does this by setting ``item._nodeid``, which pytest 9 no longer reads (a node
    id is a structured ``NodeId`` there): every test became a group of its own, so a notebook's
    cells and the classroom's tests were spread over the workers. Done here for both.
    """
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest 8: xdist's own tag works
        return
    if not item.nodeid.endswith(f"@{group}"):
        item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.hookimpl(tryfirst=True)  # before xdist turns the mark into the node id's "@group"
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if not any(item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(group_of(item)))
        if getattr(config.option, "loadgroup", False):  # an xdist worker collecting for --dist loadgroup
            _tag(item, group_of(item))
    # A stable sort: a notebook's cells and a module's tests keep their order and stay together.
    items.sort(key=lambda item: _rank(group_of(item)))
