"""Background work (an import runner) yields the CPU to the pages people are waiting for.

``os.nice`` alone is not enough on Linux: with ``CONFIG_SCHED_AUTOGROUP`` (on by default in
most distributions' kernels) the scheduler first shares the CPU fairly between *sessions*
and only then, inside each session, by nice value. The server starts each runner in a
session of its own (so that stopping the server leaves the import running), so a runner at
nice 10 still got as much CPU as the whole server. Measured with ``bench/web.py`` on 2
cores: page p95 of several seconds while a 100,000-row import wrote. The session's group
has a nice value of its own (``/proc/self/autogroup``); a runner that leads its session
sets it too. A runner started from a terminal shares the person's shell session and leaves
that group alone.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")


def lower_own_priority(nice: int) -> None:
    """Run this process (and the threads it starts later) at least at ``nice``; where it
    leads its own session, lower the session's scheduling group as well."""
    if nice <= 0:
        return
    with contextlib.suppress(OSError):  # not allowed here: run at the usual priority
        if os.getpriority(os.PRIO_PROCESS, 0) < nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
    if os.getsid(0) == os.getpid():
        with contextlib.suppress(OSError):  # no autogroups on this kernel, or not allowed
            AUTOGROUP.write_text(str(nice), encoding="ascii")


def session_group_nice() -> int | None:
    """The nice value of this process's scheduling group; None without autogroups."""
    try:
        return int(AUTOGROUP.read_text(encoding="ascii").split("nice")[1])
    except (OSError, IndexError, ValueError):
        return None
