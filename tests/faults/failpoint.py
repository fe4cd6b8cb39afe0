"""The real ``onesheet`` CLI with failpoints, so a kill lands at a known place.

    ONESHEET_FAILPOINT_DIR=/tmp/x python -m tests.faults.failpoint serve --port 8001

Nothing of the app is replaced: a few functions are wrapped, and each wrapper does nothing
but call the real function unless the test armed it by creating ``<dir>/<name>.armed``.
Armed, it fires once: it removes the file, writes ``<dir>/<name>.json`` (what the open
transaction has written so far) and waits until the test kills the process with SIGKILL, or
lets it go on by creating ``<dir>/<name>.release``.
Failpoints:

``task_save``
    ``store.tasks.refresh_counters``, which a task save calls after claiming the task's
    version, writing the batch through the recorder and marking the items filled, and before
    the counters, the audit event and the commit. The marker counts, on the save's own
    connection, the observations and filled items the uncommitted transaction already holds.
``report_rows``
    the rows a report streams into its writer (``services.reports._render``): the pause comes
    after ``PAUSE_AFTER_ROWS`` rows have gone into the file, before ``report_run`` and the
    audit event are written and committed.

``import_write``
    the recorder's write of an import's batch (``services.data_import.record``): the pause
    comes after every observation of the batch has been written, before the review queue,
    the audit event and the commit. The marker counts the batch's observations in the
    transaction. An API import runs in its job's runner process (``jobs run``, started
    through this module when ``ONESHEET_JOB_RUNNER`` says so): the marker's pid is the
    runner's, not the server's.

``audit_spooled``
    the append of a read's audit events to the SQLite audit spool (``store.audit_spool.
    append``, which a read reaches when an import holds the write lock): the pause comes
    after the events are written and fsync'd, before the read answers. The marker gives the
    number of events and the spool's path.

Without ``ONESHEET_FAILPOINT_DIR`` this is plain ``onesheet``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

PAUSE_AFTER_ROWS = 200


def _armed(name: str) -> bool:
    """True once per arming (the marker file is taken away)."""
    armed = Path(os.environ["ONESHEET_FAILPOINT_DIR"]) / f"{name}.armed"
    try:
        armed.unlink()
    except FileNotFoundError:
        return False
    return True


def _pause(name: str, facts: dict[str, Any]) -> None:
    folder = Path(os.environ["ONESHEET_FAILPOINT_DIR"])
    tmp = folder / f"{name}.json.tmp"
    tmp.write_text(json.dumps({"pid": os.getpid(), **facts}))
    tmp.rename(folder / f"{name}.json")  # the test sees the marker whole or not at all
    release = folder / f"{name}.release"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:  # killed here (SIGKILL), or let go by the test
        if release.exists():
            release.unlink()
            return
        time.sleep(0.05)
    raise RuntimeError(f"failpoint {name}: neither killed nor released")


def _wrap_task_save() -> None:
    from sqlalchemy import text

    from onesheet.store import tasks

    real = tasks.refresh_counters

    def refresh_counters(conn, task_ids, **kw):  # type: ignore[no-untyped-def]
        if not _armed("task_save"):
            return real(conn, task_ids, **kw)
        batch = conn.execute(text("SELECT max(batch_id) FROM task_item WHERE status = 'filled'"))
        batch_id = batch.scalar()
        facts = {
            "batch_id": batch_id,
            "observations_in_tx": conn.execute(
                text("SELECT count(*) FROM observation WHERE batch_id = :b"), {"b": batch_id}
            ).scalar(),
            "items_filled_in_tx": conn.execute(
                text("SELECT count(*) FROM task_item WHERE batch_id = :b"), {"b": batch_id}
            ).scalar(),
        }
        _pause("task_save", facts)
        return real(conn, task_ids, **kw)

    tasks.refresh_counters = refresh_counters


def _wrap_report_rows() -> None:
    from onesheet.services import reports

    real = reports._render

    def _render(spec, rows, *args, **kw):  # type: ignore[no-untyped-def]
        if not _armed("report_rows"):
            return real(spec, rows, *args, **kw)

        def paused():  # type: ignore[no-untyped-def]
            for n, row in enumerate(rows):
                if n == PAUSE_AFTER_ROWS:
                    _pause("report_rows", {"rows_written": n})
                yield row

        return real(spec, paused(), *args, **kw)

    reports._render = _render


def _wrap_import_write() -> None:
    from sqlalchemy import text

    from onesheet.services import data_import

    real = data_import.record

    def record(conn, *args, **kw):  # type: ignore[no-untyped-def]
        result = real(conn, *args, **kw)
        if _armed("import_write"):
            batch_id = kw["batch_id"]
            count = text("SELECT count(*) FROM observation WHERE batch_id = :b")
            n = conn.execute(count, {"b": batch_id}).scalar()
            _pause("import_write", {"batch_id": batch_id, "observations_in_tx": n})
        return result

    data_import.record = record


def _wrap_audit_spooled() -> None:
    from onesheet.store import audit_spool

    real = audit_spool.append

    def append(path, events):  # type: ignore[no-untyped-def]
        real(path, events)
        if _armed("audit_spooled"):
            _pause("audit_spooled", {"events": len(events), "spool": str(path)})

    audit_spool.append = append


WRAP = {
    "task_save": _wrap_task_save,
    "report_rows": _wrap_report_rows,
    "import_write": _wrap_import_write,
    "audit_spooled": _wrap_audit_spooled,
}


def main() -> None:
    if os.environ.get("ONESHEET_FAILPOINT_DIR"):
        for wrap in WRAP.values():
            wrap()
    from onesheet.cli.main import app

    app(prog_name="onesheet")


if __name__ == "__main__":
    main()
