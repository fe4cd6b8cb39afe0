"""An import runner lowers the CPU priority of the PostgreSQL backends it drives.

Most of an import's CPU is the backend's (key checks, index upkeep, ``COPY``), so lowering
only the runner left page reads waiting behind it (``bench/web.py``, 2 cores, 100 req/s).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from onesheet.background import session_group_nice
from onesheet.services.base import Store
from onesheet.store.engine import make_engine
from onesheet.store.priority import lower_backend_priority, lower_process_priority


def _backend_pid(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_backends_of_a_lowered_engine_run_at_the_lower_priority(database_url: str) -> None:
    store = Store(make_engine(database_url))
    try:
        if store.engine.dialect.name != "postgresql":
            assert lower_backend_priority(store.engine, 7) is False  # nothing to lower
            return
        if os.geteuid() != 0:
            pytest.skip("lowering another user's process needs root or CAP_SYS_NICE")
        before = _backend_pid(store)
        assert os.getpriority(os.PRIO_PROCESS, before) == 0  # a normal backend
        assert lower_backend_priority(store.engine, 7) is True
        after = _backend_pid(store)
        assert after != before  # the pooled connection was closed, a new backend serves
        assert os.getpriority(os.PRIO_PROCESS, after) == 7
        other = Store(make_engine(database_url))  # the web's engine keeps its priority
        try:
            assert os.getpriority(os.PRIO_PROCESS, _backend_pid(other)) == 0
        finally:
            other.engine.dispose()
    finally:
        store.engine.dispose()


def test_only_postgres_processes_are_touched() -> None:
    mine = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert lower_process_priority(os.getpid(), mine + 3) is False  # pytest is not postgres
    assert os.getpriority(os.PRIO_PROCESS, os.getpid()) == mine
    assert lower_process_priority(2**22 + 17, 5) is False  # no such process


PROBE = (
    "import os; from onesheet.background import lower_own_priority, session_group_nice; "
    "lower_own_priority(7); "
    "print(os.getpriority(os.PRIO_PROCESS, 0), session_group_nice())"
)


def _probe(new_session: bool) -> tuple[int, int | None]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=new_session,
    ).stdout.split()
    return int(out[0]), None if out[1] == "None" else int(out[1])


def test_a_runner_leading_its_session_lowers_the_sessions_group() -> None:
    """The server starts runners in sessions of their own; with autogroups the scheduler
    shares the CPU between sessions first, so the group's nice is what yields to pages."""
    if session_group_nice() is None:
        pytest.skip("this kernel schedules without autogroups: the process nice is enough")
    assert _probe(new_session=True) == (7, 7)


def test_a_runner_in_a_shared_session_leaves_the_group_alone() -> None:
    """Started from a terminal, the runner shares the person's shell session: only the
    process itself is lowered, not the shell and everything else the person runs."""
    mine = session_group_nice()
    nice, group = _probe(new_session=False)
    assert nice == 7
    assert group == mine
    assert session_group_nice() == mine
