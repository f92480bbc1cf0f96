"""The Kubernetes classroom (classroom/kubernetes/): what can be checked without a cluster.

* values.yaml parses, sets only keys of the pinned Zero to JupyterHub chart, and
  holds no secrets and no package installs;
* its single-user settings load into KubeSpawner the way the chart's hub config
  maps them, and the pod KubeSpawner would create has the image, the memory the
  notebook budget implies, the exchange volume and the nbgrader config;
* the image is built by repo2docker from the same binder/ files Binder uses,
  and its jupyterhub-singleuser matches the chart's JupyterHub major version.

Nothing here reaches a cluster, a registry or the network.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grading.limits import Limits
from tests.conftest import BUDGET_MIB
from utils.paths import REPO_ROOT

K8S = REPO_ROOT / "classroom" / "kubernetes"
VALUES: dict[str, Any] = yaml.safe_load((K8S / "values.yaml").read_text())
MIB = 2**20

#: Chart version -> the JupyterHub it ships (images/hub/requirements.txt at that tag
#: of jupyterhub/zero-to-jupyterhub-k8s; Chart.yaml's appVersion says the same).
CHART_JUPYTERHUB = {"4.4.0": "5.5.0"}

#: Memory the Jupyter server and a terminal get on top of the notebooks (measured:
#: JupyterLab with nbgrader and nbgitpuller holds about 125 MiB at rest).
SERVER_MIB = 512
#: Grading kernels an instructor's pod is sized for (`make grade WORKERS=2`).
GRADING_WORKERS = 2

#: Every key path values.yaml may set, as found in values.schema.yaml of chart 4.4.0
#: (read from the chart's repository when this file was written; the test stays
#: offline, so update this list by hand when the chart pin changes).
CHART_KEYS = {
    "hub",
    "hub.config",
    "hub.extraConfig",
    "custom",
    "singleuser",
    "singleuser.image",
    "singleuser.image.name",
    "singleuser.image.tag",
    "singleuser.image.pullPolicy",
    "singleuser.uid",
    "singleuser.fsGid",
    "singleuser.cmd",
    "singleuser.memory",
    "singleuser.memory.guarantee",
    "singleuser.memory.limit",
    "singleuser.cpu",
    "singleuser.cpu.guarantee",
    "singleuser.cpu.limit",
    "singleuser.storage",
    "singleuser.storage.type",
    "singleuser.storage.capacity",
    "singleuser.storage.homeMountPath",
    "singleuser.storage.extraVolumes",
    "singleuser.storage.extraVolumeMounts",
    "singleuser.defaultUrl",
    "singleuser.extraFiles",
    "singleuser.extraEnv",
    "cull",
    "cull.enabled",
    "cull.timeout",
    "cull.every",
    "cull.adminUsers",
    "cull.users",
    "cull.maxAge",
    "prePuller",
    "prePuller.continuous",
    "prePuller.continuous.enabled",
    "prePuller.hook",
    "prePuller.hook.enabled",
}
#: Sections whose content the chart passes through (traitlets config, Python, k8s specs).
FREE_FORM = {
    "hub.config",
    "hub.extraConfig",
    "custom",
    "singleuser.extraFiles",
    "singleuser.storage.extraVolumes",
    "singleuser.storage.extraVolumeMounts",
    "singleuser.extraEnv",
}


def _load_build_image():
    spec = importlib.util.spec_from_file_location("build_image", K8S / "build_image.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_image = _load_build_image()


def _get(path: str, default: Any = None) -> Any:
    """values.yaml's value at a dotted path (the chart's ``z2jh.get_config``)."""
    node: Any = VALUES
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def _chart_version() -> str:
    match = re.search(r"^CHART_VERSION=(\S+)$", (K8S / "install.sh").read_text(), re.M)
    assert match, "install.sh does not pin CHART_VERSION"
    return match.group(1)


# --- 1. values.yaml ---------------------------------------------------------------


def test_values_use_only_keys_of_the_pinned_chart() -> None:
    assert _chart_version() in CHART_JUPYTERHUB, "new chart pin: re-check CHART_KEYS against its schema"

    def walk(node: dict[str, Any], prefix: str = "") -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            assert path in CHART_KEYS, f"values.yaml sets '{path}', not a key of chart {_chart_version()}"
            if isinstance(value, dict) and path not in FREE_FORM:
                walk(value, path + ".")

    walk(VALUES)


def test_values_hold_no_secrets_and_install_nothing() -> None:
    text = (K8S / "values.yaml").read_text()
    secret_keys = re.compile(
        r"^\s*(client_secret|clientSecret|client_id|clientId|cookieSecret|"
        r"cookie_secret|secretToken|apiToken|api_token|password)\s*:",
        re.M,
    )
    assert not secret_keys.findall(text), "secrets belong in the secrets file, not values.yaml"
    # The environment is binder/'s: nothing may install packages on top of it at start.
    for word in ("pip install", "conda install", "mamba install", "apt-get", "npm install"):
        assert word not in text, f"values.yaml runs '{word}': put packages in requirements/base.txt"
    assert not _get("singleuser.lifecycleHooks") and not _get("singleuser.initContainers")


def test_every_file_values_yaml_names_exists() -> None:
    query = parse_qs(urlsplit(_get("singleuser.defaultUrl")).query)
    assert urlsplit(_get("singleuser.defaultUrl")).path == "/git-pull"
    assert query["repo"] == ["https://github.com/mlchem-course/mlchem-course"]
    assert "mlchem-course/mlchem-course" in (REPO_ROOT / "README.md").read_text()  # the Binder badge's slug
    target, urlpath = query["targetpath"][0], query["urlpath"][0]
    assert urlpath.startswith(f"lab/tree/{target}/")
    assert (REPO_ROOT / urlpath.removeprefix(f"lab/tree/{target}/")).is_file()
    claim = _get("singleuser.storage.extraVolumes")[0]["persistentVolumeClaim"]["claimName"]
    manifests = list(yaml.safe_load_all((K8S / "exchange-pvc.yaml").read_text()))
    pvc = next(m for m in manifests if m["kind"] == "PersistentVolumeClaim")
    assert pvc["metadata"]["name"] == claim and pvc["spec"]["accessModes"] == ["ReadWriteMany"]


# --- 2. KubeSpawner -----------------------------------------------------------------


def z2jh_config() -> Config:
    """KubeSpawner settings from values.yaml, mapped as the chart's jupyterhub_config.py
    (chart 4.4.0) maps the keys this file uses."""
    c = Config()
    ks = c.KubeSpawner
    ks.image = f"{_get('singleuser.image.name')}:{_get('singleuser.image.tag')}"
    for trait, key in (
        ("image_pull_policy", "image.pullPolicy"),
        ("uid", "uid"),
        ("fs_gid", "fsGid"),
        ("mem_limit", "memory.limit"),
        ("mem_guarantee", "memory.guarantee"),
        ("cpu_limit", "cpu.limit"),
        ("cpu_guarantee", "cpu.guarantee"),
        ("environment", "extraEnv"),
    ):
        if _get(f"singleuser.{key}") is not None:
            setattr(ks, trait, _get(f"singleuser.{key}"))
    ks.cmd = _get("singleuser.cmd")
    c.Spawner.default_url = _get("singleuser.defaultUrl")
    assert _get("singleuser.storage.type") == "dynamic"
    ks.storage_pvc_ensure = True
    ks.storage_capacity = _get("singleuser.storage.capacity")
    volumes = {
        "volume-{user_server}": {"name": "volume-{user_server}", "persistentVolumeClaim": {"claimName": "{pvc_name}"}}
    }
    mounts = {
        "volume-{user_server}": {"mountPath": _get("singleuser.storage.homeMountPath"), "name": "volume-{user_server}"}
    }
    files = _get("singleuser.extraFiles", {})
    volumes["files"] = {
        "name": "files",
        "secret": {"secretName": "singleuser", "items": [{"key": k, "path": k} for k in files]},
    }
    for idx, (key, spec) in enumerate(files.items()):
        mounts[f"{idx}-files"] = {"mountPath": spec["mountPath"], "subPath": key, "name": "files"}
    for volume in _get("singleuser.storage.extraVolumes", []):
        volumes[volume["name"]] = volume
    for idx, mount in enumerate(_get("singleuser.storage.extraVolumeMounts", [])):
        mounts[f"{idx}-{mount['name']}"] = mount
    ks.volumes, ks.volume_mounts = volumes, mounts
    for section, cfg in _get("hub.config", {}).items():
        c[section].update(cfg)
    for _, code in sorted(_get("hub.extraConfig", {}).items()):
        exec(code, {"c": c, "get_config": _get})
    return c


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kubeconfig naming an unreachable cluster: KubeSpawner loads one, never calls it."""
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "none",
                "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "none", "user": {}}],
                "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
            }
        )
    )
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


def spawn_pod(groups: list[str]) -> tuple[Any, Any]:
    """KubeSpawner with values.yaml's settings for a user in ``groups``: (spawner, pod manifest)."""
    from kubespawner import KubeSpawner

    user = SimpleNamespace(name="ada", id=7, url="/user/ada/", groups=[SimpleNamespace(name=g) for g in groups])

    async def run() -> tuple[Any, Any]:
        spawner = KubeSpawner(config=z2jh_config(), user=user, _mock=True)
        try:
            spawner.pre_spawn_hook(spawner)
            return spawner, await spawner.get_pod_manifest()
        finally:
            await spawner.api.api_client.close()

    return asyncio.run(run())


def _env(pod: Any) -> dict[str, str]:
    return {e.name: e.value for e in pod.spec.containers[0].env}


def test_student_pod(kubeconfig: None) -> None:
    spawner, pod = spawn_pod(groups=[])
    container = pod.spec.containers[0]
    assert spawner.image == container.image == f"{_get('singleuser.image.name')}:{_get('singleuser.image.tag')}"
    # The chart's command becomes the container's args: the image's entrypoint (binder/start) still runs.
    assert container.args == ["jupyterhub-singleuser"] and container.command is None
    assert container.working_dir == "/home/jovyan"
    security = container.security_context  # KubeSpawner puts the uid on the container
    assert security["runAsUser"] == 1000 == build_image.USER_ID
    assert pod.spec.security_context["fsGroup"] == 100
    # Memory from the notebook budget: guarantee = one notebook, limit = one notebook + the server.
    assert spawner.mem_guarantee == container.resources.requests["memory"] == BUDGET_MIB * MIB
    assert spawner.mem_limit == container.resources.limits["memory"] == (BUDGET_MIB + SERVER_MIB) * MIB
    assert container.resources.requests["cpu"] == 0.5 and container.resources.limits["cpu"] == 1.0
    mounts = {m.mount_path: m for m in container.volume_mounts}
    assert mounts["/home/jovyan"].name == "volume-ada"
    assert mounts["/srv/nbgrader/exchange"].name == "nbgrader-exchange"
    volumes = {v.name: v for v in pod.spec.volumes}
    assert volumes["nbgrader-exchange"].persistent_volume_claim["claimName"] == "mlchem-nbgrader-exchange"
    assert mounts["/etc/jupyter/nbgrader_config.py"].name == "files"
    env = _env(pod)
    assert env["JUPYTER_CONFIG_PATH"] == "/etc/jupyter/mlchem-student"
    assert "MLCHEM_COURSE_DIR" not in env
    assert env["JUPYTERHUB_DEFAULT_URL"] == _get("singleuser.defaultUrl")
    assert env["JUPYTERHUB_USER"] == "ada"  # nbgrader's student id when the Unix user is jovyan


def test_instructor_pod(kubeconfig: None) -> None:
    spawner, pod = spawn_pod(groups=[_get("custom.mlchem.instructorGroup")])
    container = pod.spec.containers[0]
    env = _env(pod)
    assert "JUPYTER_CONFIG_PATH" not in env, "instructors must keep the formgrader"
    assert env["MLCHEM_COURSE_DIR"].startswith("/home/jovyan/")
    # Room for the server and GRADING_WORKERS kernels at the grader's memory limit each.
    assert container.resources.limits["memory"] == SERVER_MIB * MIB + GRADING_WORKERS * Limits().memory_bytes
    assert container.resources.requests["memory"] >= 2 * BUDGET_MIB * MIB
    assert container.resources.limits["cpu"] == GRADING_WORKERS
    assert "/srv/nbgrader/exchange" in {m.mount_path for m in container.volume_mounts}
    # The student's settings were not changed by an instructor's spawn.
    _, student = spawn_pod(groups=[])
    assert student.spec.containers[0].resources.limits["memory"] == (BUDGET_MIB + SERVER_MIB) * MIB


def _nbgrader_config(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Config:
    text = _get("singleuser.extraFiles.nbgrader-config.stringData")
    image_copy = f"{build_image.TARGET_REPO_DIR}/nbgrader_config.py"
    assert f'load_subconfig("{image_copy}")' in text
    # Stand in for the image's copy of the course with this repository.
    (tmp_path / "nbgrader_config.py").write_text(text.replace(image_copy, str(REPO_ROOT / "nbgrader_config.py")))
    monkeypatch.delenv("MLCHEM_COURSE_DIR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return PyFileConfigLoader("nbgrader_config.py", str(tmp_path)).load_config()


def test_nbgrader_config_of_students_and_instructors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    student = _nbgrader_config(tmp_path, {}, monkeypatch)
    assert student.CourseDirectory.course_id == "mlchem"
    assert student.Exchange.root == "/srv/nbgrader/exchange"
    assert student.Validator.width == 200  # the course's own settings still apply
    clone = tmp_path / "course"
    clone.mkdir()
    (clone / "nbgrader_config.py").write_text((REPO_ROOT / "nbgrader_config.py").read_text())
    (tmp_path / "instructor").mkdir()
    instructor = _nbgrader_config(tmp_path / "instructor", {"MLCHEM_COURSE_DIR": str(clone)}, monkeypatch)
    assert instructor.CourseDirectory.root == str(clone)
    assert instructor.CourseDirectory.db_url == f"sqlite:///{clone / 'gradebook.db'}"
    assert instructor.Exchange.root == "/srv/nbgrader/exchange", "the clone's .exchange must not win"


_EFFECTIVE_EXTENSIONS = """
import json, logging
from jupyter_core.paths import jupyter_path
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_page_config
app = ServerApp()
app.load_config_file()
app.find_server_extensions()
page = get_page_config(jupyter_path("labextensions"), logger=logging.getLogger())
print(json.dumps({"server": app.jpserver_extensions, "lab_disabled": sorted(page["disabledExtensions"])}))
"""


@pytest.mark.slow  # runs nbgrader or a notebook: not in make test-fast
def test_students_have_no_formgrader(tmp_path: Path, clean_env: dict[str, str]) -> None:
    """The student config folder switches the formgrader off; without it (instructors) it is on.

    Checks the settings a server started with that JUPYTER_CONFIG_PATH would use (the
    same ServerApp and page-config code jupyterhub-singleuser runs)."""
    for spec in _get("singleuser.extraFiles").values():
        if spec["mountPath"].startswith("/etc/jupyter/mlchem-student/"):
            dest = tmp_path / spec["mountPath"].removeprefix("/etc/jupyter/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            assert dest.suffix == ".json"  # the chart renders `data` by the file's extension
            dest.write_text(json.dumps(spec["data"]))

    def effective(config_path: str) -> dict[str, Any]:
        # binder/start puts the course's jupyter-config in front of what the pod sets.
        env = {
            **clean_env,
            "HOME": str(tmp_path),
            "JUPYTER_CONFIG_PATH": f"{REPO_ROOT / 'jupyter-config'}{config_path}",
        }
        out = subprocess.run(
            [sys.executable, "-c", _EFFECTIVE_EXTENSIONS],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=tmp_path,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    student = effective(f":{tmp_path / 'mlchem-student'}")
    nbgrader = "nbgrader.server_extensions."
    assert student["server"][nbgrader + "formgrader"] is False
    assert student["server"][nbgrader + "course_list"] is False
    assert student["server"][nbgrader + "assignment_list"] is True
    assert student["server"][nbgrader + "validate_assignment"] is True
    assert student["server"]["grading.validate_report"] is True  # Validate's report, failing check first
    assert "@jupyter/nbgrader:formgrader" in student["lab_disabled"]
    assert "@jupyter/nbgrader:validate-assignment" not in student["lab_disabled"]
    assert "@jupyterlab/apputils-extension:announcements" in student["lab_disabled"]  # the course's own
    instructor = effective("")
    assert instructor["server"][nbgrader + "formgrader"] is True
    assert "@jupyter/nbgrader:formgrader" not in instructor["lab_disabled"]


# --- 3. the image -------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("not a git checkout: build_image.py builds from a commit")
    return build_image.export_commit(tmp_path_factory.mktemp("export") / "mlchem")


def _at_head(path: str) -> bytes:
    return subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"HEAD:{path}"], capture_output=True, check=True).stdout


def test_image_is_built_from_binders_files(exported: Path) -> None:
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "ls-tree",
            "-r",
            "--name-only",
            "HEAD",
            "binder",
            "requirements",
            "jupyter-config",
            "utils",
            "data",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for path in [*listed, "pyproject.toml", "nbgrader_config.py"]:
        assert (exported / path).read_bytes() == _at_head(path), f"{path} differs from the commit"
    for hidden in build_image.NOT_IN_IMAGE:
        assert not (exported / hidden).exists(), f"{hidden}/ would be readable by every student"


def test_repo2docker_arguments(exported: Path) -> None:
    from repo2docker.__main__ import make_r2d

    argv = build_image.repo2docker_argv(exported, "registry.example.org/mlchem/x:abc", push=True)
    r2d = make_r2d(argv)
    assert (r2d.user_id, r2d.user_name) == (1000, "jovyan")
    assert r2d.target_repo_dir == build_image.TARGET_REPO_DIR
    assert r2d.repo == str(exported) and not r2d.run and r2d.push
    assert r2d.output_image_spec == "registry.example.org/mlchem/x:abc"


def test_repo2docker_reads_binder(exported: Path, tmp_path: Path) -> None:
    """The Dockerfile repo2docker writes for the export installs binder/'s files, as on Binder."""
    argv = [a if a != "--no-run" else "--no-build" for a in build_image.repo2docker_argv(exported, "x:y")]
    out = subprocess.run(
        [str(Path(sys.executable).parent / "repo2docker"), "--debug", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "python=3.11" in out.stderr
    dockerfile = out.stdout
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile


def test_image_jupyterhub_matches_the_charts() -> None:
    """jupyterhub-singleuser in the image has the hub's major version (a mismatch warns of
    failed log-ins). The image gets it from repo2docker's frozen environment, because
    requirements/base.txt does not pin jupyterhub."""
    import repo2docker

    assert not re.search(r"^jupyterhub==", (REPO_ROOT / "requirements" / "base.txt").read_text(), re.M)
    python = (REPO_ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")
    lock = Path(repo2docker.__file__).parent / "buildpacks" / "conda" / f"environment.py-{python}-linux-64.lock"
    match = re.search(r"/jupyterhub-singleuser-(\d+)\.(\d+)\.(\d+)-", lock.read_text())
    assert match, f"no jupyterhub-singleuser in {lock.name}"
    hub = CHART_JUPYTERHUB[_chart_version()]
    assert match.group(1) == hub.split(".")[0], (
        f"image has jupyterhub-singleuser {'.'.join(match.groups())}, chart's hub is {hub}"
    )


def test_readme_names_the_pinned_chart() -> None:
    readme = (K8S / "README.md").read_text()
    version = _chart_version()
    assert f"`{version}`" in readme and f"JupyterHub {CHART_JUPYTERHUB[version]}" in readme
    assert f"Chart {version}" in (K8S / "values.yaml").read_text()


def test_the_course_folders_own_config_uses_the_shared_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    """nbgrader run in the course folder reads the course's nbgrader_config.py last: the pod's
    environment (singleuser.extraEnv) must still point it at the shared exchange."""
    env = _get("singleuser.extraEnv")
    monkeypatch.setenv("MLCHEM_EXCHANGE_ROOT", env["MLCHEM_EXCHANGE_ROOT"])
    course = PyFileConfigLoader("nbgrader_config.py", str(REPO_ROOT)).load_config()
    assert course.Exchange.root == "/srv/nbgrader/exchange"
    monkeypatch.delenv("MLCHEM_EXCHANGE_ROOT")
    local = PyFileConfigLoader("nbgrader_config.py", str(REPO_ROOT)).load_config()
    assert local.Exchange.root == str(REPO_ROOT / ".exchange"), "make lab keeps its own exchange"
