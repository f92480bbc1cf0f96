"""Build (and push) the single-user image of the Kubernetes classroom with repo2docker.

repo2docker reads ``binder/`` exactly as Binder does, so the hub's students get
Binder's environment. Three things differ from Binder, all outside ``binder/``:

* the image is built from the *committed* course (``git archive HEAD``) without
  ``solutions/`` and ``tests/`` (they hold the answers; on a hub every student has
  a terminal), and is tagged with the commit;
* the course is copied to ``/srv/mlchem`` (``--target-repo-dir``), because the
  hub mounts each student's own volume over the home folder;
* the user is ``jovyan`` with uid 1000, what the chart runs pods as.

Usage, from the repository root (needs Docker and the test requirements)::

    python classroom/kubernetes/build_image.py registry.example.org/mlchem/mlchem-classroom --push

Only the standard library at import time, so the tests can import it.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where the image carries the course (values.yaml's nbgrader config loads its nbgrader_config.py).
TARGET_REPO_DIR = "/srv/mlchem"
#: Zero to JupyterHub runs user pods as uid 1000 (singleuser.uid); repo2docker's user must match.
USER_ID = 1000
#: nbgrader uses JUPYTERHUB_USER as the student id only when the Unix user is ``jovyan``.
USER_NAME = "jovyan"
#: Folders that hold answers (instructor solutions, hidden tests, mutants, alternatives).
NOT_IN_IMAGE = ("solutions", "tests")


def commit_tag(repo: Path = REPO_ROOT) -> str:
    """The image tag: the abbreviated hash of the commit that is built."""
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def export_commit(dest: Path, repo: Path = REPO_ROOT, ref: str = "HEAD") -> Path:
    """Write the files of ``ref`` to ``dest``, without :data:`NOT_IN_IMAGE`; return ``dest``."""
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", ref], check=True, capture_output=True
    ).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    for name in NOT_IN_IMAGE:
        shutil.rmtree(dest / name, ignore_errors=True)
    return dest


def repo2docker_argv(source: Path, image: str, *, push: bool = False) -> list[str]:
    """repo2docker's arguments (without the program) that build ``image`` from ``source``."""
    return [
        "--no-run",
        "--user-id",
        str(USER_ID),
        "--user-name",
        USER_NAME,
        "--target-repo-dir",
        TARGET_REPO_DIR,
        "--image-name",
        image,
        *(["--push"] if push else []),
        str(source),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("image", help="image name without tag, e.g. registry.example.org/mlchem/mlchem-classroom")
    parser.add_argument("--push", action="store_true", help="push the image to its registry after building")
    args = parser.parse_args(argv)

    dirty = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "status", "--porcelain"], capture_output=True, text=True, check=True
    ).stdout
    if dirty:
        print("note: uncommitted changes are not in the image (it is built from HEAD)", file=sys.stderr)
    tag = commit_tag()
    image = f"{args.image}:{tag}"
    repo2docker = Path(sys.executable).parent / "repo2docker"
    with tempfile.TemporaryDirectory(prefix="mlchem-image-") as tmp:
        source = export_commit(Path(tmp) / "mlchem")
        subprocess.run([str(repo2docker), *repo2docker_argv(source, image, push=args.push)], check=True)
    print(f"built {image}; deploy it with: classroom/kubernetes/install.sh {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
