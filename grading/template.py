"""The template process: imports the course's packages once, then forks a fresh kernel per submission.

This module is the whole program of a *template* process (its source is
passed to ``python -c``; it imports nothing of the course and only the
standard library itself). A grading worker starts one template under
bubblewrap (:mod:`grading.forking`), with only the Python installation, the
read-only system and the worker's *slots* folder (where each submission gets
a folder of its own) in view. The template imports the packages the
assignment uses, then reads requests from the worker on its standard input,
one JSON object per line, and answers each with one line.

For each request it forks. The child enters new user, mount, PID, network,
IPC and UTS namespaces, hides every folder of the slots folder but the
submission's own under a fresh tmpfs, gets fresh ``/tmp`` and ``/dev/shm``,
and forks the kernel: the first process of its own PID namespace, so every
process the student's code starts dies with it. The kernel drops every
capability, sets its resource limits, clears its environment and starts
ipykernel on the connection file the worker wrote. The template itself
never runs a line of a submission: it reads only the worker's requests.
Each kernel is in a user namespace of its own, without capabilities, so it
can neither trace nor read or write the memory (``ptrace``, ``/proc/<pid>/mem``)
of the template (a parent namespace) or of another kernel, such as the spare
launched for the next submission (a sibling); the template and its forks are
also not dumpable, a second lock on the same door.

What a kernel inherits from the template is the state of freshly imported
modules; whatever a kernel changes (module attributes, ``sys.modules``,
the environment, files) is in its own copy of the memory and its own mount
namespace, gone when it ends.

Limitation: ``/proc`` in a kernel is the template's (a kernel may not mount
its own inside bubblewrap's sandbox), so the kernel is process 1 of its
namespace while ``/proc/1`` is the template's first process; ``/proc/self``
is right.
"""

import ctypes
import json
import os
import resource
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
SYS_CAPSET = 126  # x86_64
LAST_CAP = 63

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target: str, fstype, flags: int, data=None) -> None:
    def enc(text):
        return text.encode() if text is not None else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _enter_namespaces(workdir: str, slots: str) -> None:
    """Unshare every namespace and leave only ``workdir`` of ``slots`` in view (called in the child)."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    _check(_libc.unshare(flags), "unshare")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # The folder is opened before it is covered, and bound back from the open descriptor.
    fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    for path in ("/tmp", "/dev/shm", slots):
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" if path != slots else "mode=755")
    os.makedirs(workdir, exist_ok=True)
    _mount(f"/proc/self/fd/{fd}", workdir, None, MS_BIND | MS_REC)
    os.close(fd)


def _drop_privileges(limits: dict) -> None:
    """Resource limits, then no capability in any set and no way to gain one."""
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    if limits.get("data"):
        resource.setrlimit(resource.RLIMIT_DATA, (limits["data"], limits["data"]))
    for cap in range(LAST_CAP + 1):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the kernel's last capability
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty
    _check(_libc.syscall(SYS_CAPSET, header, data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _become_kernel(request: dict) -> None:
    """Turn this process (process 1 of its namespace) into the submission's kernel; never returns."""
    os.setsid()
    null = os.open("/dev/null", os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    _drop_privileges(request["limits"])
    workdir = request["workdir"]
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(request["env"])
    # As for `python -m ipykernel_launcher` with PYTHONPATH set to the folder.
    sys.path[:] = [workdir, workdir, *(p for p in sys.path if p not in ("", TEMPLATE_CWD))]
    sys.argv[:] = ["ipykernel_launcher", *request["argv"]]
    if "numpy" in sys.modules:  # its global generator would otherwise be the same in every kernel
        sys.modules["numpy"].random.seed()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=request["argv"])


def spawn(request: dict) -> int:
    """Fork the kernel for ``request``; its process ID (in the template's namespace)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read)
            _enter_namespaces(request["workdir"], request["slots"])
            kernel = os.fork()
            if kernel == 0:
                os.close(write)
                try:
                    _become_kernel(request)
                finally:
                    os._exit(0)
            os.write(write, str(kernel).encode())
            os._exit(0)
        except BaseException as err:  # reported to the worker, never raised in a fork
            try:
                os.write(write, f"!{type(err).__name__}: {err}".encode())
            finally:
                os._exit(1)
    os.close(write)
    answer = b""
    while chunk := os.read(read, 4096):
        answer += chunk
    os.close(read)
    os.waitpid(child, 0)
    text = answer.decode()
    if not text or text.startswith("!"):
        raise RuntimeError(text[1:] or "the kernel's process was not created")
    return int(text)


def _preload(modules: list) -> None:
    for name in modules:
        try:
            __import__(name)
        except BaseException:  # the student's own import reports it
            pass
    import ipykernel.kernelapp  # noqa: F401 (what every kernel starts with)


TEMPLATE_CWD = os.getcwd()


def check(slots: str) -> None:
    """Fork once as for a kernel, without starting one: raises if this machine does not allow it."""
    probe = os.path.join(slots, ".probe")
    os.makedirs(probe, exist_ok=True)
    child = os.fork()
    if child == 0:
        code = 1
        try:
            _enter_namespaces(probe, slots)
            _drop_privileges({"cpu": 10, "nproc": 256})
            code = 0 if os.listdir(slots) == [".probe"] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    if status != 0:
        raise RuntimeError(f"a kernel cannot be given namespaces of its own here (status {status})")


def main() -> None:
    """Import, say ready, then answer the worker's requests until its end of the pipe closes."""
    config = json.loads(sys.stdin.readline())
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    out = sys.stdout
    try:
        check(config["slots"])
    except Exception as err:  # the worker falls back to a sandbox per kernel
        out.write(json.dumps({"error": f"{type(err).__name__}: {err}"}) + "\n")
        out.flush()
        return
    _preload(config["preload"])
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            answer = {"pid": spawn(json.loads(line))}
        except Exception as err:  # the worker decides what to do
            answer = {"error": f"{type(err).__name__}: {err}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
