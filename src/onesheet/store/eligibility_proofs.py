"""Proof answers and the installation's signing key (the caller's transaction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from onesheet.domain.proofs import key_id, new_key
from onesheet.store.eligibility import t


def signing_key(conn: Connection, now: datetime) -> tuple[str, str, str]:
    """(key id, private seed hex, public hex) of the current key, created on first use."""
    kt = t("signing_key")
    row = conn.execute(
        select(kt).where(kt.c.retired_at.is_(None)).order_by(kt.c.created_at.desc()).limit(1)
    ).first()
    if row is not None:
        return row.key_id, row.private_key, row.public_key
    private, public = new_key()
    kid = key_id(public)
    conn.execute(
        insert(kt).values(key_id=kid, public_key=public, private_key=private, created_at=now)
    )
    return kid, private, public


def public_keys(conn: Connection) -> dict[str, str]:
    """key id → public key hex, every key ever used (retired keys still verify old proofs)."""
    kt = t("signing_key")
    return {r.key_id: r.public_key for r in conn.execute(select(kt.c.key_id, kt.c.public_key))}


def insert_proof(conn: Connection, **values: object) -> int:
    pt = t("proof_answer")
    return int(conn.execute(insert(pt).values(**values).returning(pt.c.id)).scalar_one())


def get_proof(conn: Connection, serial: str):  # type: ignore[no-untyped-def]
    pt = t("proof_answer")
    return conn.execute(select(pt).where(pt.c.serial == serial)).first()


def count_proofs(conn: Connection, county_code: str | None) -> dict[str, int]:
    """Proofs answered from data, by kind (the ledger's figure)."""
    from sqlalchemy import func

    pt = t("proof_answer")
    q = select(pt.c.kind, func.count()).group_by(pt.c.kind)
    if county_code:
        q = q.where(pt.c.county_code == county_code)
    return {k: int(n) for k, n in conn.execute(q)}
