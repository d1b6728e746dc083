"""Extra HTTP worker processes for `smsgate serve --workers N`.

One Python process serves HTTP on one core; the API's CPU cost per request is what limits
ingest on PostgreSQL. The parent binds its listening socket (SO_REUSEPORT), then forks N-1
children before any event loop or database connection exists; each binds its own socket to
the same port, and the kernel spreads new connections over the sockets. Only the parent
runs the dispatcher and the demo carrier and prints the banner: the children serve HTTP and
nothing else.

A child stops on SIGTERM/SIGINT like the parent's server; the parent stops its children
when it stops, and on Linux the kernel stops them if the parent dies (parent-death signal).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT_S = 15.0


def fork_workers(count: int, child_main: Callable[[], None]) -> list[int]:
    """Fork `count` children that each run `child_main` and exit; returns their pids.

    Call before any event loop or database connection exists in this process.
    """
    pids: list[int] = []
    parent = os.getpid()
    for _ in range(count):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's code
            status = 1
            try:
                _die_with(parent)
                child_main()
                status = 0
            except BaseException:
                log.exception("worker %d failed", os.getpid(), extra={"event": "worker_failed"})
            finally:
                logging.shutdown()
                os._exit(status)
        pids.append(pid)
    return pids


def stop_workers(pids: list[int], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM every child still running, wait for them, SIGKILL the ones that hang."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    waiting = set(pids)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done == 0:
                    continue
            waiting.discard(pid)
        if waiting:
            time.sleep(0.05)
    for pid in waiting:
        log.warning("worker %d did not stop: killed", pid, extra={"event": "worker_killed"})
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


@contextlib.contextmanager
def workers_stopped_after(pids: list[int]) -> Iterator[None]:
    try:
        yield
    finally:
        if pids:
            stop_workers(pids)


def _die_with(parent: int) -> None:
    """Have the kernel SIGTERM this process when `parent` dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)
