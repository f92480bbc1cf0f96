"""Command line of the classroom: ``python -m classroom install|roster|publish|start|up``.

``make hub ROSTER=roster.csv`` runs ``up`` (install, apply the roster, start
the hub in the foreground); the other commands are its steps, for updates.
Run as root from a clone of the course.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from classroom.deploy import DeployError, Layout, install, publish
from classroom.roster import RosterError, apply_roster, read_roster

REPO = Path(__file__).resolve().parent.parent


def start(layout: Layout, url: str) -> None:
    """Replace this process with the hub (stopped with Ctrl-C or SIGTERM)."""
    if not layout.proxy_command.exists():
        raise DeployError(f"no classroom under {layout.root}: run `python -m classroom install` (make hub) first")
    env = {**os.environ, "MLCHEM_HUB_ROOT": str(layout.root), "MLCHEM_HUB_URL": url}
    os.chdir(layout.state)
    hub = layout.venv / "bin" / "jupyterhub"
    os.execve(hub, [str(hub), "-f", str(REPO / "classroom" / "jupyterhub_config.py")], env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m classroom", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(os.environ.get("MLCHEM_HUB_ROOT", "/srv/mlchem")),
        help="the classroom's folder (default /srv/mlchem)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="environment, proxy, exchange, course directory, student copy (idempotent)")
    roster = sub.add_parser("roster", help="check a roster (username,role CSV) and, with --apply, create its accounts")
    roster.add_argument("file", type=Path)
    roster.add_argument("--apply", action="store_true", help="create missing accounts and groups (root)")
    roster.add_argument("--passwords", type=Path, help="append 'username,password' of new accounts here (mode 600)")
    sub.add_parser("publish", help="publish the course directory's committed state to students (nbgitpuller)")
    for name, text in (("start", "start the hub"), ("up", "install, apply the roster, start the hub")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument(
            "--url",
            default=os.environ.get("MLCHEM_HUB_URL", "http://:8000"),
            help="where the hub listens (default http://:8000, all interfaces)",
        )
        if name == "up":
            cmd.add_argument("roster", type=Path)
            cmd.add_argument("--passwords", type=Path, default=None)
    args = parser.parse_args(argv)
    layout = Layout(args.root.resolve())
    try:
        if args.command in ("roster", "up"):
            members = read_roster(args.roster if args.command == "up" else args.file)
            print(
                f"roster: {sum(m.role == 'instructor' for m in members)} instructor(s), "
                f"{sum(m.role == 'student' for m in members)} student(s)"
            )
            if args.command == "roster" and not args.apply:
                return 0
            passwords = args.passwords or layout.root / "state" / "new-passwords.csv"
            (layout.root / "state").mkdir(parents=True, exist_ok=True, mode=0o700)
            created = apply_roster(members, passwords)
            print(f"accounts created: {len(created)}" + (f" (passwords in {passwords})" if created else ""))
        if args.command in ("install", "up"):
            install(layout.root, REPO)
        if args.command == "publish":
            print(f"published {publish(layout)[:12]} to {layout.student_repo}")
        if args.command in ("start", "up"):
            print(f"starting the hub at {args.url} (Ctrl-C stops it)", flush=True)
            start(layout, args.url)
    except (RosterError, DeployError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
