"""The environments are built by scripts/pip_install.py: uv when the bootstrap installed it, else pip."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from utils.paths import REPO_ROOT


def _installer():
    spec = importlib.util.spec_from_file_location("pip_install", REPO_ROOT / "scripts" / "pip_install.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_uv_first_then_pip() -> None:
    install = _installer()
    offline, online, pip = install.commands(["-r", "req.txt"], "/venv/bin/uv")
    assert offline[:4] == ["/venv/bin/uv", "pip", "install", "--offline"]
    assert online[:3] == ["/venv/bin/uv", "pip", "install"] and "--offline" not in online
    assert online[online.index("--python") + 1] == sys.executable
    assert pip[:4] == [sys.executable, "-m", "pip", "install"]
    assert all(c[-2:] == ["-r", "req.txt"] for c in (offline, online, pip))
    assert install.commands(["-r", "req.txt"], None) == [pip]


def test_pip_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    install = _installer()
    monkeypatch.setenv("MLCHEM_INSTALLER", "pip")
    assert install.uv_binary() is None


def test_a_failing_uv_falls_back_to_pip(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install = _installer()
    monkeypatch.setattr(install, "uv_binary", lambda: "/bin/false")
    # `pip install --help` succeeds without installing anything.
    assert install.main(["--help"]) == 0
    assert "false failed (exit 1); installing with pip instead" in capsys.readouterr().err


def test_pip_failure_is_reported() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "pip_install.py"), "--no-index", "no-such-package-xyz==1"],
        capture_output=True,
        text=True,
        env={"MLCHEM_INSTALLER": "pip", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0 and "no-such-package-xyz" in result.stderr


def test_the_makefile_installs_every_environment_through_the_installer() -> None:
    """Only the bootstrap step calls pip directly; every requirements file goes through pip_install.py."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    direct = [line.strip() for line in makefile.splitlines() if re.search(r"-m pip install", line)]
    assert direct == [
        "@$(1)/python -m pip install --quiet --disable-pip-version-check -r requirements/bootstrap.txt \\"
    ], direct
    for requirements in ("base.txt", "test.txt", "bench.txt"):
        assert f"scripts/pip_install.py -r requirements/{requirements}" in makefile
    assert makefile.count("$(call bootstrap,") == 2  # .venv and .venv-bench


def test_dry_run_of_make_install_bootstraps_uv(tmp_path: Path) -> None:
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "install", f"VENV={tmp_path / 'v'}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.splitlines()
    bootstrap = next(i for i, line in enumerate(lines) if "requirements/bootstrap.txt" in line)
    base = next(i for i, line in enumerate(lines) if "pip_install.py -r requirements/base.txt" in line)
    assert bootstrap < base
