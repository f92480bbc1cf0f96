"""Binder: repo2docker accepts binder/, and postBuild leaves a working course behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import OFFLINE, copy_repo, strip_ansi
from utils.paths import REPO_ROOT


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Dockerfile repo2docker would build (no Docker needed with --no-build)."""
    repo2docker = Path(sys.executable).parent / "repo2docker"
    out = subprocess.run(
        [str(repo2docker), "--no-build", "--debug", str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path_factory.mktemp("r2d"),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "python=3.11" in out.stderr, "repo2docker did not pick Python 3.11 from binder/runtime.txt"
    return out.stdout


def test_dockerfile_installs_the_pinned_requirements(dockerfile: str) -> None:
    install = dockerfile.find('pip install --no-cache-dir -r "binder/requirements.txt"')
    assert install > 0, "the Dockerfile does not install binder/requirements.txt"
    # binder/requirements.txt includes ../requirements/base.txt, so the whole
    # repository must be in the image before pip runs.
    copy_all = dockerfile.find("src/ ${REPO_DIR}/")
    assert 0 < copy_all < install


def test_dockerfile_runs_postbuild_and_start(dockerfile: str) -> None:
    assert "RUN ./binder/postBuild" in dockerfile
    assert dockerfile.find('binder/requirements.txt"') < dockerfile.find("RUN ./binder/postBuild")
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile


def _install_binder_requirements(repo: Path, env: dict[str, str], venv: Path) -> None:
    """Install binder/requirements.txt into ``venv``: from uv's cache when it holds them, else with pip.

    The bootstrap (scripts/pip_install.py) installs the same pins with uv, so its cache
    holds every wheel and no network is needed; repo2docker itself uses pip, which
    needs the registry. Without both, the test is skipped and says why.
    """
    bin_dir = Path(sys.executable).parent
    python = str(venv / "bin" / "python")
    if (bin_dir / "uv").exists():
        # The scratch HOME has no cache of its own: point uv at the one the bootstrap filled.
        cache = subprocess.run([bin_dir / "uv", "cache", "dir"], capture_output=True, text=True).stdout.strip()
        result = subprocess.run(
            [bin_dir / "uv", "pip", "install", "--offline", "--quiet", "--python", python]
            + ["-r", "binder/requirements.txt"],
            cwd=repo,
            env={**env, "UV_CACHE_DIR": cache},
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode == 0:
            return
    result = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--retries", "0", "--timeout", "10"]
        + ["-r", "binder/requirements.txt"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0 and OFFLINE.search(result.stderr):
        pytest.skip(
            "needs the package registry to install binder/requirements.txt with pip (offline, "
            "and no uv cache holds them): " + result.stderr.strip().splitlines()[-1]
        )
    assert result.returncode == 0, f"pip install failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


@pytest.mark.slow
def test_postbuild_in_a_scratch_environment(tmp_path: Path, clean_env: dict[str, str]) -> None:
    """Install binder/requirements.txt into a new venv, run postBuild, check the result."""
    repo = copy_repo(tmp_path / "repo")
    home = tmp_path / "home"
    home.mkdir()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**clean_env, "HOME": str(home), "PATH": f"{venv / 'bin'}:{clean_env['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)

    def run(*cmd: str, cwd: Path = repo) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{cmd} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        return result

    _install_binder_requirements(repo, env, venv)
    post = subprocess.run(["bash", "binder/postBuild"], cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    if post.returncode != 0 and OFFLINE.search(post.stderr):
        # Its editable install builds the course package in an isolated environment, with
        # setuptools from the registry, as on Binder.
        pytest.skip("needs the package registry: postBuild's `pip install -e` fetches its build backend (setuptools)")
    assert post.returncode == 0, f"postBuild failed:\n{post.stdout[-2000:]}\n{post.stderr[-3000:]}"

    def listing(*cmd: str) -> str:
        result = run(*cmd)
        return strip_ansi(result.stdout + result.stderr)

    servers = listing("jupyter", "server", "extension", "list")
    for ext in ("formgrader", "assignment_list", "course_list", "validate_assignment"):
        assert f"nbgrader.server_extensions.{ext} enabled" in servers, servers
    labext = listing("jupyter", "labextension", "list")
    assert "@jupyter/nbgrader v0.9.6 enabled OK" in labext, labext

    # utils importable, and the course config found, from a folder outside the repo.
    probe = (
        "import utils; print(utils.REPO_ROOT)\n"
        "from nbgrader.apps.baseapp import NbGrader\n"
        "app = NbGrader(); app.initialize([])\n"
        "print(app.coursedir.course_id, app.coursedir.source_directory, app.coursedir.release_directory)\n"
    )
    out = run(str(venv / "bin" / "python"), "-c", probe, cwd=home)
    root, course = out.stdout.strip().splitlines()
    assert Path(root) == repo
    assert course == "mlchem solutions exercises"
    assert "No nbgrader_config.py file found" not in out.stderr
    assert (repo / ".exchange").is_dir()
