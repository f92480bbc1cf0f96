"""Each user's server on a port that no other server of the class can be handed.

JupyterHub's ``LocalProcessSpawner`` picks a server's port by binding a socket
to port 0 and closing it, then tells the new server to listen there. When a
class logs in together, two servers can be handed the same port before either
has bound it (about once in 200 starts of ten; measured with
``jupyterhub.utils.random_port`` on Linux 6.18). The second server then exits
("port in use": ``jupyterhub-singleuser`` does not retry another port), but the
hub's readiness check still gets an answer from the *first* server on that port
(it accepts any answer below 500, even a 404) and reports the second student's
server as running: the student sees an error page until the hub notices, at
its next poll, that the process is gone.

:class:`PortPool` removes the race: it hands out ports from a range below the
kernel's ephemeral range (so no socket bound to port 0 and no outgoing
connection can take one), never the same port twice while a server holds it,
and only a port it could bind just now. :class:`ClassroomSpawner` is
``LocalProcessSpawner`` with its ports from one pool per hub.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import socket
import threading
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner

#: Where the servers' ports come from unless ``MLCHEM_HUB_SERVER_PORTS`` says otherwise
#: ("first-last"): below Linux's default ephemeral range (32768-60999).
DEFAULT_PORTS = range(20000, 30000)


def ephemeral_ports(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> range:
    """The kernel's ephemeral port range (the ports ``bind(0)`` and ``connect`` pick from).

    Parameters
    ----------
    path : Path
        The sysctl file holding "first last".

    Returns
    -------
    range
        First to last, inclusive; Linux's default 32768-60999 when the file is unreadable.

    Examples
    --------
    >>> r = ephemeral_ports(Path("/nonexistent"))
    >>> (r.start, r.stop - 1)
    (32768, 60999)
    """
    try:
        first, last = (int(p) for p in path.read_text().split())
    except (OSError, ValueError):
        first, last = 32768, 60999
    return range(first, last + 1)


def parse_ports(text: str) -> range:
    """Read a port range written "first-last" (inclusive).

    Parameters
    ----------
    text : str
        For instance ``"20000-29999"``.

    Returns
    -------
    range
        The ports, ``first`` to ``last`` inclusive.

    Raises
    ------
    ValueError
        If the text is not two integers joined by "-", or not ``1024 <= first <= last <= 65535``.

    Examples
    --------
    >>> parse_ports("20000-20009")
    range(20000, 20010)
    >>> parse_ports("80-90")
    Traceback (most recent call last):
    ...
    ValueError: port range '80-90': expected first-last with 1024 <= first <= last <= 65535
    """
    message = f"port range {text!r}: expected first-last with 1024 <= first <= last <= 65535"
    try:
        first, last = (int(p) for p in text.split("-"))
    except ValueError:
        raise ValueError(message) from None
    if not 1024 <= first <= last <= 65535:
        raise ValueError(message)
    return range(first, last + 1)


class PortPool:
    """Ports for servers: each held by one server at a time, each free when handed out.

    Parameters
    ----------
    ports : range
        The ports to hand out.
    ip : str
        The address the servers listen on; a port is free if a socket can be bound
        there (with ``SO_REUSEADDR``, as the servers bind).
    seed : int or None
        Seeds the order in which free ports are tried (random, so that a hub restarted
        while its old servers still run does not try their ports first).

    Examples
    --------
    >>> pool = PortPool(range(30000, 30003), seed=0)
    >>> taken = {pool.take(), pool.take(), pool.take()}
    >>> sorted(taken)
    [30000, 30001, 30002]
    >>> pool.take()
    Traceback (most recent call last):
    ...
    RuntimeError: no free port left in 30000-30002 (3 held by servers, 0 in use by other programs)
    >>> pool.release(30001)
    >>> pool.take()
    30001
    """

    def __init__(self, ports: range, ip: str = "127.0.0.1", seed: int | None = None) -> None:
        self.ports = ports
        self.ip = ip
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def _bindable(self, port: int) -> bool:
        family = socket.AF_INET6 if ":" in self.ip else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.ip, port))
            except OSError as error:
                if error.errno in (errno.EADDRINUSE, errno.EACCES):
                    return False
                raise
        return True

    def take(self) -> int:
        """Hold and return a port no server holds and no program has bound.

        Raises
        ------
        RuntimeError
            If every port of the range is held or in use.
        """
        with self._lock:
            candidates = [p for p in self.ports if p not in self._held]
            self._random.shuffle(candidates)
            for port in candidates:
                if self._bindable(port):
                    self._held.add(port)
                    return port
            raise RuntimeError(
                f"no free port left in {self.ports.start}-{self.ports.stop - 1} "
                f"({len(self._held)} held by servers, {len(candidates)} in use by other programs)"
            )

    def release(self, port: int) -> None:
        """Let ``port`` be handed out again (its server has stopped)."""
        with self._lock:
            self._held.discard(port)

    def held(self) -> frozenset[int]:
        """The ports servers hold now."""
        with self._lock:
            return frozenset(self._held)


_POOL: PortPool | None = None


def pool(log: logging.Logger | None = None) -> PortPool:
    """The hub's pool (one per process), over ``MLCHEM_HUB_SERVER_PORTS`` or :data:`DEFAULT_PORTS`.

    Parameters
    ----------
    log : logging.Logger or None
        Where to warn, when the pool is made, if its range overlaps the kernel's ephemeral
        ports (the pool still works; a port could then be taken by another program's
        outgoing connection between hand-out and bind, and that server would fail to start).

    Raises
    ------
    ValueError
        If ``MLCHEM_HUB_SERVER_PORTS`` is malformed.
    """
    global _POOL
    if _POOL is None:
        text = os.environ.get("MLCHEM_HUB_SERVER_PORTS")
        ports = parse_ports(text) if text else DEFAULT_PORTS
        ephemeral = ephemeral_ports()
        if ports.start < ephemeral.stop and ephemeral.start < ports.stop:
            (log or logging.getLogger(__name__)).warning(
                "servers' ports %d-%d overlap the kernel's ephemeral ports %d-%d (net.ipv4.ip_local_port_range): "
                "set MLCHEM_HUB_SERVER_PORTS to a range outside them",
                ports.start,
                ports.stop - 1,
                ephemeral.start,
                ephemeral.stop - 1,
            )
        _POOL = PortPool(ports)
    return _POOL


class ClassroomSpawner(LocalProcessSpawner):
    """``LocalProcessSpawner`` whose servers get their ports from :func:`pool`."""

    _held_port: int = 0

    def _release_port(self) -> None:
        if self._held_port:
            pool().release(self._held_port)
            self._held_port = 0

    async def start(self):
        """Take a port, then start the server as ``LocalProcessSpawner`` does."""
        self._release_port()
        self._held_port = self.port = pool(self.log).take()
        try:
            return await super().start()
        except BaseException:
            self._release_port()
            raise

    async def stop(self, now: bool = False) -> None:
        """Stop the server, then give its port back."""
        try:
            await super().stop(now=now)
        finally:
            self._release_port()
