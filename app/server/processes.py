"""``rpc-hub serve --processes N``: N server processes on one port, over a shared store.

Each child is a whole server (``run.serve``) listening with ``SO_REUSEPORT``, so the kernel
spreads new connections over them and one machine's cores are all used. The parent only
supervises: it forwards SIGTERM, SIGINT and SIGHUP to every child, starts again a child that
died after it had served, and exits once all of them have drained. A child that dies before
serving (a bad setting, an unreachable store) stops them all: starting it again would fail
the same way. State lives in the store, so the
children must share one: over the memory backend each would hold its own shop and queue.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import replace
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

from app import logs
from app.settings import Settings
from app.stores import StartupError

log = logging.getLogger("app.server")

_PR_SET_PDEATHSIG = 1
_RESTART_DELAY_S = 1.0
"""A child that dies at once (a bad plugin, say) is not started again in a tight loop."""


def refusal(settings: Settings) -> str | None:
    """Why these settings cannot run several processes, or None if they can."""
    if settings.processes > 1 and settings.store == "memory":
        return (
            "--processes needs a shared store: each process would keep its own carts, tasks "
            "and players in memory. Use --store redis://host:6379/0 (RPC_STORE), or one process."
        )
    return None


def supervise(settings: Settings) -> int:
    """Run ``settings.processes`` servers on one port until a signal; 0 if all drained."""
    # Port 0 must become one port for all: hold it (bound, never listening) while we run.
    holder = _hold_port(settings.host, settings.port) if settings.port == 0 else None
    port = settings.port if holder is None else holder.getsockname()[1]
    child_settings = replace(settings, port=port, processes=1)
    context = multiprocessing.get_context("spawn")
    children: dict[int, tuple[BaseProcess, Event]] = {}
    stopping = False

    def start(slot: int) -> None:
        serving = context.Event()
        own = child_settings
        if settings.metrics_port:  # each process's own numbers, on a port of its own
            own = replace(own, metrics_port=settings.metrics_port + slot)
        child = context.Process(target=_child, args=(own, serving), name=f"rpc-hub-{slot}")
        child.start()
        children[slot] = (child, serving)

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for child, _ in children.values():
            if child.pid is not None and child.exitcode is None:
                _send(child.pid, signal.SIGTERM if signum == signal.SIGINT else signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    for slot in range(settings.processes):
        start(slot)
    log.info("supervising %d server processes on port %d", settings.processes, port)
    failed = False
    while children:
        wait([child.sentinel for child, _ in children.values()])
        for slot, (child, serving) in list(children.items()):
            if child.exitcode is None:
                continue
            del children[slot]
            failed |= child.exitcode != 0
            if stopping:
                continue
            if not serving.is_set():
                log.error("server process %s failed to start; stopping the others", child.pid)
                forward(signal.SIGTERM, None)
                continue
            log.error("server process %s exited (%s); starting it again", child.pid, child.exitcode)
            time.sleep(_RESTART_DELAY_S)
            if not stopping:
                start(slot)
    if holder is not None:
        holder.close()
    log.info("all %d server processes stopped", settings.processes)
    return 1 if failed else 0


def _child(settings: Settings, serving: Event) -> None:
    from app.server import loop
    from app.server.run import serve

    _die_with(os.getppid())
    logs.configure(settings.log_format, settings.log_level, floods=logs.SERVER_FLOODS)
    try:
        loop.run(serve(settings, reuse_port=True, on_serving=serving.set), settings.loop)
    except StartupError as error:
        log.error("%s", error)
        sys.exit(1)
    sys.exit(0)


def _die_with(parent: int) -> None:
    """Be sent SIGTERM if the supervisor dies (even by SIGKILL): never outlive it (Linux)."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


def _hold_port(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind((host, port))
    return holder


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it exited since we looked
        os.kill(pid, signum)
