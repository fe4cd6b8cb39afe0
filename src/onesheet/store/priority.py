"""Background work at a lower CPU priority — including the PostgreSQL backends it drives.

An import runner lowers its own priority with ``os.nice`` so a cadre's page answers first.
On a county's one machine most of an import's CPU is not the runner's, though: it is the
PostgreSQL backend that checks keys, maintains indexes and takes the ``COPY``. Measured on
2 cores with 100 req/s offered (``bench/web.py``), that backend at the normal priority
was what kept the p95 of page reads above 300 ms while a 300,000-row import wrote.

PostgreSQL has no per-session priority, so the runner lowers the operating-system
priority of each backend its engine opens. That is only done when it is safe: the server
is on this machine (a Unix socket or a loopback address) and the process is a
``postgres`` process; Linux then allows it to root, to the ``postgres`` user or to a
runner given ``CAP_SYS_NICE``. Otherwise nothing changes and the import runs as before.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


def lower_backend_priority(engine: Engine, nice: int) -> bool:
    """Every PostgreSQL backend ``engine`` opens from now on runs at least ``nice``.

    Returns whether the engine qualifies (PostgreSQL on this machine, ``nice`` > 0).
    Connections already pooled are closed so that every later one is lowered too.
    """
    if nice <= 0 or engine.dialect.name != "postgresql" or not _server_is_local(engine):
        return False

    @event.listens_for(engine, "connect")
    def _lower(dbapi_connection: Any, _record: Any) -> None:
        pid = getattr(getattr(dbapi_connection, "info", None), "backend_pid", None)
        if isinstance(pid, int):
            lower_process_priority(pid, nice)

    engine.dispose()
    return True


def lower_process_priority(pid: int, nice: int) -> bool:
    """Raise ``pid``'s nice value to ``nice`` if it is a local ``postgres`` process and
    this process may; never raises its priority, never touches another program."""
    try:
        if Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip() != "postgres":
            return False
        if os.getpriority(os.PRIO_PROCESS, pid) >= nice:
            return True
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError as exc:  # not allowed, or the backend is gone: run at its priority
        log.debug("backend %s keeps its priority: %s", pid, exc)
        return False
    return True


def _server_is_local(engine: Engine) -> bool:
    host = engine.url.host or ""
    query_host = engine.url.query.get("host", "")
    hosts = [host, *([query_host] if isinstance(query_host, str) else list(query_host))]
    return all(h in LOCAL_HOSTS or h.startswith("/") for h in hosts)
