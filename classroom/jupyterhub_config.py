"""JupyterHub configuration of the one-machine classroom (started by ``python -m classroom start``).

- Login: PAM, i.e. the server's Linux accounts, admitted only if they are in
  the instructors' or the students' group (``classroom/roster.py`` makes both);
  instructors are the hub's admins.
- Servers: ``LocalProcessSpawner``, each user's JupyterLab runs as that user,
  from the classroom's shared environment, on a port of its own
  (``classroom/spawner.py``: ``MLCHEM_HUB_SERVER_PORTS``, default 20000-29999).
- Students start in their home folder; their first page is nbgitpuller's
  ``git-pull`` link, which brings the course into ``~/mlchem`` and merges
  every later update into their copy without overwriting their edits. Their
  kernels import ``utils`` (and read ``data/``) from the published course.
  They get nbgrader's Assignments panel and Validate, not the formgrader.
- Instructors start in the course directory, with the formgrader, and their
  terminals have the classroom environment first on ``PATH`` and ``VENV``
  set, so ``nbgrader collect`` and ``make grade`` work as in the README.

Settings come from the environment ``python -m classroom start`` sets:
``MLCHEM_HUB_ROOT`` (the classroom folder) and ``MLCHEM_HUB_URL`` (where the
hub listens, default ``http://:8000``, all interfaces); ``MLCHEM_HUB_SERVICE_TOKEN``,
when set, is an API token of a service allowed to list, start and stop users'
servers (scripts, the load tests).
"""

import grp
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classroom.deploy import Layout
from classroom.roster import GROUPS
from classroom.spawner import ClassroomSpawner

c = get_config()  # noqa: F821  (injected by traitlets)

layout = Layout(Path(os.environ.get("MLCHEM_HUB_ROOT", "/srv/mlchem")))

c.JupyterHub.bind_url = os.environ.get("MLCHEM_HUB_URL", "http://:8000")
c.JupyterHub.db_url = f"sqlite:///{layout.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(layout.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(layout.state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [str(layout.proxy_command)]
c.ConfigurableHTTPProxy.pid_file = str(layout.state / "proxy.pid")
# The hub's internal API and the proxy's API listen on loopback only (ports settable
# so that a second hub, e.g. a test's, can run beside the class's).
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('MLCHEM_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('MLCHEM_PROXY_API_PORT', '8001')}"

# Who may log in: the roster's two groups; instructors administer the hub.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = set(GROUPS.values())
c.PAMAuthenticator.admin_groups = {GROUPS["instructor"]}

# One JupyterLab per user, as that user; ports handed out so that two servers started
# together never get the same one (classroom/spawner.py explains).
c.JupyterHub.spawner_class = ClassroomSpawner
c.Spawner.cmd = [str(layout.venv / "bin" / "jupyterhub-singleuser")]
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 90
# A class of ~30 logs in within minutes: let their servers start together.
c.JupyterHub.concurrent_spawn_limit = 40

COURSE_FOLDER = "mlchem"
PULL_QUERY = urlencode(
    {
        "repo": str(layout.student_repo),
        "branch": "main",
        "targetpath": COURSE_FOLDER,
        "urlpath": f"lab/tree/{COURSE_FOLDER}/lectures/00_template.ipynb",
    }
)
#: The nbgitpuller link students open (also on the hub's home page and in the README).
PULL_PATH = f"/git-pull?{PULL_QUERY}"

c.JupyterHub.template_vars = {
    "announcement_home": (
        f'Course material: <a id="mlchem-pull" href="/hub/user-redirect{PULL_PATH}">get or update the course</a> '
        "(your edits are kept; new material is merged in)."
    ),
}


def is_instructor(username: str) -> bool:
    """Whether ``username`` is in the instructors' group."""
    try:
        return username in grp.getgrnam(GROUPS["instructor"]).gr_mem
    except KeyError:
        return False


def by_role(spawner) -> None:
    """Set each server's folder, start page and environment by its user's role."""
    username = spawner.user.name
    instructor = is_instructor(username)
    role = "instructor" if instructor else "student"
    env = {
        # Course-wide Jupyter settings of the role first (formgrader or not, nbgrader's exchange).
        "JUPYTER_CONFIG_PATH": str(layout.etc(role)),
        "MLCHEM_EXCHANGE_ROOT": str(layout.exchange),
        "PATH": f"{layout.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        # Lets git read the course repositories root owns (nbgitpuller, `make update`, instructors' git).
        "GIT_CONFIG_SYSTEM": str(layout.root / "etc" / "gitconfig"),
        # Kernels import `utils` from the course: the instructors' copy, or the published one.
        "PYTHONPATH": str(layout.course if instructor else layout.student_tree),
        # Every user's kernels share the server's cores (no per-user CPU quota): one thread per BLAS and
        # OpenMP pool, and idle OpenMP threads sleep instead of spinning (utils/resources.py explains).
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    # `make grade` (instructors) and `make update` (students) use the classroom's environment.
    env["VENV"] = str(layout.venv)
    env["MLCHEM_SHARED_VENV"] = "1"
    if instructor:
        spawner.notebook_dir = str(layout.course)
        spawner.default_url = "/lab"
    else:
        spawner.notebook_dir = "~"
        spawner.default_url = PULL_PATH
    spawner.environment.update(env)


c.Spawner.pre_spawn_hook = by_role

if os.environ.get("MLCHEM_HUB_SERVICE_TOKEN"):
    c.JupyterHub.services = [{"name": "mlchem-admin", "api_token": os.environ["MLCHEM_HUB_SERVICE_TOKEN"]}]
    c.JupyterHub.load_roles = [
        {
            "name": "mlchem-admin",
            "scopes": ["list:users", "read:users", "admin:servers", "access:servers"],
            "services": ["mlchem-admin"],
        }
    ]
