"""The classroom's port pool: no two servers ever handed one port (classroom/spawner.py).

The hub itself is tested in tests/classroom (ten servers started together, each
listening on its own port of the range); these tests check the pool alone.
"""

from __future__ import annotations

import doctest
import re
import socket
import threading
from pathlib import Path

import pytest

from classroom import spawner
from classroom.spawner import PortPool, ephemeral_ports, parse_ports

# A small range below the ephemeral ports, apart from the hub's default 20000-29999.
RANGE = range(31000, 31010)


def test_doctests() -> None:
    result = doctest.testmod(spawner, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_concurrent_takes_get_distinct_ports() -> None:
    pool = PortPool(RANGE, seed=1)
    barrier = threading.Barrier(len(RANGE))
    taken: list[int] = []

    def take() -> None:
        barrier.wait()
        taken.append(pool.take())

    threads = [threading.Thread(target=take) for _ in RANGE]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == list(RANGE)
    assert pool.held() == frozenset(RANGE)


def test_a_port_another_program_listens_on_is_skipped() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", RANGE.start))
        listener.listen()
        pool = PortPool(range(RANGE.start, RANGE.start + 2), seed=0)
        assert pool.take() == RANGE.start + 1
        with pytest.raises(RuntimeError, match=r"1 held by servers, 1 in use by other programs"):
            pool.take()


def test_a_released_port_is_handed_out_again_and_a_held_one_never() -> None:
    pool = PortPool(range(RANGE.start, RANGE.start + 2), seed=0)
    first, second = pool.take(), pool.take()
    assert {first, second} == {RANGE.start, RANGE.start + 1}
    pool.release(first)
    assert pool.take() == first
    pool.release(12345)  # never held: nothing happens
    assert pool.held() == {first, second}


@pytest.mark.parametrize("text", ["", "20000", "20000-", "a-b", "20000-19999", "1000-2000", "60000-70000"])
def test_malformed_ranges_are_refused_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_ports(text)


def test_the_ephemeral_range_is_read_from_the_kernel(tmp_path: Path) -> None:
    sysctl = tmp_path / "ip_local_port_range"
    sysctl.write_text("40000\t50000\n")
    assert ephemeral_ports(sysctl) == range(40000, 50001)
    sysctl.write_text("garbage")
    assert ephemeral_ports(sysctl) == range(32768, 61000)


def test_the_hubs_pool_reads_its_range_and_warns_if_it_overlaps_the_ephemeral_ports(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(spawner, "_POOL", None)
    monkeypatch.setenv("MLCHEM_HUB_SERVER_PORTS", f"{RANGE.start}-{RANGE.stop - 1}")
    assert spawner.pool().ports == RANGE
    assert "overlap" not in caplog.text

    ephemeral = ephemeral_ports()
    monkeypatch.setattr(spawner, "_POOL", None)
    monkeypatch.setenv("MLCHEM_HUB_SERVER_PORTS", f"{ephemeral.start}-{ephemeral.start + 9}")
    assert spawner.pool().ports == range(ephemeral.start, ephemeral.start + 10)
    assert "overlap the kernel's ephemeral ports" in caplog.text

    monkeypatch.setattr(spawner, "_POOL", None)
    monkeypatch.setenv("MLCHEM_HUB_SERVER_PORTS", "8000")
    with pytest.raises(ValueError, match="port range '8000'"):
        spawner.pool()


def test_the_default_range_is_below_linuxs_default_ephemeral_ports() -> None:
    assert spawner.DEFAULT_PORTS.stop <= 32768
