"""One source of truth for versions: requirements/*.txt, read by make, conda and Binder."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from utils.paths import REPO_ROOT

REQ_DIR = REPO_ROOT / "requirements"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)\s*(#.*)?$")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """Pins of a requirements file, following ``-r`` includes. Any other form fails."""
    pins: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            pins.update(read_pins((path.parent / line[3:].strip()).resolve()))
            continue
        match = _PIN.match(line)
        assert match, f"{path.name}:{lineno}: '{raw}' is not an exact pin (name==version)"
        pins[_canon(match.group(1))] = match.group(3)
    return pins


BASE = read_pins(REQ_DIR / "base.txt")


@pytest.mark.parametrize("name", ["base.txt", "test.txt", "data.txt", "bench.txt", "bootstrap.txt", "hub.txt"])
def test_every_requirement_is_an_exact_pin(name: str) -> None:
    assert read_pins(REQ_DIR / name) is not None


def test_groups_extend_the_student_environment_without_changing_it() -> None:
    for name in ("test.txt", "data.txt", "bench.txt"):
        pins = read_pins(REQ_DIR / name)
        assert {k: pins[k] for k in BASE} == BASE, f"{name} re-pins a student package"


def test_the_known_good_stack_is_pinned() -> None:
    expected = {
        "jupyterlab": "4.6.",
        "notebook": "7.6.",
        "nbgrader": "0.9.6",
        "numpy": "2.4.",
        "scipy": "1.17.",
        "scikit-learn": "1.9.",
        "rdkit": "2026.9.",
        "pandas": "3.1.",
        "matplotlib": "3.11.",
        "ipywidgets": "8.1.",
        "pooch": "1.9.",
        "tqdm": "4.70.",
    }
    for name, prefix in expected.items():
        assert BASE[name].startswith(prefix), f"{name}=={BASE[name]}, expected {prefix}*"
    test = read_pins(REQ_DIR / "test.txt")
    assert test["pytest"].startswith("9.") and test["nbval"] == "0.11.0"


def _conda_pip_pins() -> tuple[list[str], dict[str, str]]:
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip_lines = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins: dict[str, str] = {}
    for line in pip_lines:
        if line.startswith("-r "):
            pins.update(read_pins(REPO_ROOT / line[3:].strip()))
        elif line.strip() not in ("-e .", "."):
            pytest.fail(f"environment.yml pins '{line}' outside requirements/")
    return conda, pins


def test_environment_yml_installs_the_same_versions() -> None:
    conda, pins = _conda_pip_pins()
    assert "python=3.11" in conda
    assert not [d for d in conda if d.split("=")[0] not in ("python", "pip")], (
        "environment.yml installs packages from conda: versions would drift from requirements/"
    )
    assert pins == BASE


def test_binder_installs_the_same_versions() -> None:
    assert read_pins(REPO_ROOT / "binder" / "requirements.txt") == BASE
    assert (REPO_ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_drift_is_detected(tmp_path: Path) -> None:
    """The comparison above fails when a file pins another version."""
    drifted = tmp_path / "requirements.txt"
    drifted.write_text((REQ_DIR / "base.txt").read_text().replace("numpy==", "numpy==1.0.0#"))
    (tmp_path / "x.txt").write_text("numpy>=2\n")
    assert read_pins(drifted) != BASE
    with pytest.raises(AssertionError, match="not an exact pin"):
        read_pins(tmp_path / "x.txt")


def test_running_environment_matches_the_pins() -> None:
    """The environment running the tests (.venv under make) is the pinned one."""
    assert sys.version_info[:2] == (3, 11)
    # The installer too, when the bootstrap could install it (scripts/pip_install.py falls back to pip).
    pins = read_pins(REQ_DIR / "test.txt")
    if (Path(sys.executable).parent / "uv").exists():
        pins |= read_pins(REQ_DIR / "bootstrap.txt")
    wrong = {}
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong[name] = f"pinned {version}, installed {installed}"
    assert not wrong, f"run `make install` again: {wrong}"


#: Student packages no notebook imports, and why they are pinned all the same.
NOT_IMPORTED = {
    "jupyterlab": "serves the notebooks",
    "notebook": "serves the notebooks",
    "ipykernel": "runs them",
    "nbgrader": "Validate, the Assignments panel and the formgrader",
    "nbgitpuller": "course updates that keep students' edits (make update, hub links)",
    "tqdm": "pooch's progress bar when utils.data fetches a file",
}
#: Distribution name -> import name, where they differ.
IMPORT_NAME = {"scikit-learn": "sklearn"}


def test_every_student_package_is_used() -> None:
    """A pin in the student environment costs every student its install: each is imported by
    utils or a notebook, or listed in NOT_IMPORTED with its reason (seaborn was pinned and
    imported nowhere, and was dropped)."""
    sources = [
        p.read_text(encoding="utf-8")
        for folder in ("utils", "lectures", "solutions")
        for p in (REPO_ROOT / folder).rglob("*")
        if p.suffix in (".py", ".ipynb")
    ]
    for dist in BASE:
        if dist in NOT_IMPORTED:
            continue
        module = IMPORT_NAME.get(dist, dist).replace("-", "_")
        used = re.compile(rf"(?:^|[\"' ])(?:import|from) {re.escape(module)}(?:[. ]|$)", re.M)
        assert any(used.search(text) for text in sources), f"{dist} is pinned but imported nowhere"
    assert set(NOT_IMPORTED) <= set(BASE), "NOT_IMPORTED names a package that is no longer pinned"
