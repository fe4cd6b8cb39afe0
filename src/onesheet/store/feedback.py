"""Feedback rows: added, listed under an org prefix, moved on with a version check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from onesheet.store.schema import table


def insert_feedback(conn: Connection, **values: object) -> int:
    result = conn.execute(insert(table("feedback")).values(version=1, resolution="", **values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_feedback(conn: Connection, feedback_id: int) -> dict[str, object] | None:
    t = table("feedback")
    row = conn.execute(select(t).where(t.c.id == feedback_id)).one_or_none()
    return dict(row._mapping) if row else None


def list_feedback(
    conn: Connection,
    *,
    org_prefix: str | None,
    department: str | None = None,
    status: str | None = None,
    limit: int | None = 200,
) -> list[dict[str, object]]:
    """Newest first; a department sees items naming it (or any of its templates' items)."""
    t = table("feedback")
    q = select(t).order_by(t.c.created_at.desc(), t.c.id.desc())
    if limit is not None:
        q = q.limit(limit)
    if org_prefix:
        q = q.where(t.c.org_code.startswith(org_prefix))
    if department:
        q = q.where(t.c.department == department)
    if status:
        q = q.where(t.c.status == status)
    return [dict(r._mapping) for r in conn.execute(q)]


def move(
    conn: Connection,
    feedback_id: int,
    *,
    version: int,
    status: str,
    by: str,
    at: datetime,
    resolution: str,
) -> bool:
    """Set the status if the row is still at ``version``; False when someone moved it first."""
    t = table("feedback")
    result = conn.execute(
        update(t)
        .where(t.c.id == feedback_id, t.c.version == version)
        .values(
            status=status,
            handled_by=by,
            handled_at=at,
            resolution=resolution,
            version=version + 1,
        )
    )
    return result.rowcount == 1
