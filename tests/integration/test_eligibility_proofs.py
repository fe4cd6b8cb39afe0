"""Proof from data: answers checked against the sheet, signatures verified with the public key
alone, a changed byte refused, negative-list matters and out-of-grant questions refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from onesheet.domain import proofs as rules
from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services.base import Store
from onesheet.services.proofs import ask_proof, proof_counts, public_keys, verify_proof
from onesheet.services.sheet_write import Change, record_changes
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, seed_small

MZ = Actor("mz", "department", COUNTY, "civil_affairs")
ADMIN = Actor("adm", "admin", None)


def _people(store: Store) -> list[dict]:  # type: ignore[type-arg]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.entity_id))]


def test_alive_and_signature(store: Store) -> None:
    seed_small(store, people=60)
    people = [p for p in _people(store) if p["death_date"] is None and p["residence_status"] == "1"]
    alive, dead = people[0], people[1]
    record_changes(
        store,
        ADMIN,
        dead["entity_id"],
        [Change("person.death_date", "2026-09-01")],
        source="public_security",
    )
    p = ask_proof(
        store, MZ, "alive", "养老金领取资格认证", alive["id_number"], params={"as_of": "2026-11-01"}
    )
    assert p.answer == "yes"
    # data minimisation: no birth date, no full ID number, basis without values
    assert alive["id_number"] not in p.canonical
    assert alive["birth_date"].isoformat() not in p.canonical
    assert {b["field"] for b in p.payload["basis"]} == {"死亡日期", "人员状态"}  # type: ignore[union-attr]
    for as_of, answer in (("2026-11-01", "no"), ("2026-08-01", "yes")):  # died 2026-09-01
        asked = ask_proof(
            store, MZ, "alive", "养老金领取资格认证", dead["id_number"], params={"as_of": as_of}
        )
        assert asked.answer == answer, as_of
    # death certificate (negative list FM038) is answered from data and says what it replaces
    d = ask_proof(store, MZ, "alive", "死亡证明", dead["id_number"], params={"as_of": "2026-11-01"})
    assert d.payload["replaces"].startswith("FM038")  # type: ignore[union-attr]

    # verifies with the public key alone (no database), a changed byte fails
    public = public_keys(store, ADMIN)[p.key_id]
    data = p.canonical.encode()
    assert rules.verify(data, p.signature, public)
    flipped = bytearray(data)
    flipped[10] ^= 1
    assert not rules.verify(bytes(flipped), p.signature, public)
    sig = bytearray(bytes.fromhex(p.signature))
    sig[0] ^= 1
    assert not rules.verify(data, sig.hex(), public)
    v = verify_proof(store, ADMIN, p.canonical, p.signature)
    assert v.valid and v.on_record
    forged = json.loads(p.canonical)
    forged["answer"] = "no"
    assert not verify_proof(store, ADMIN, rules.canonical(forged).decode(), p.signature).valid
    assert proof_counts(store, ADMIN) == {"alive": 4}
    at = table("audit_event")
    with store.engine.connect() as conn:
        assert conn.execute(select(at).where(at.c.action == "proofs.ask")).all()


def test_kinship_residence_and_refusals(store: Store) -> None:
    seed_small(store, people=80)
    people = _people(store)
    by_hh: dict[int, list[dict]] = {}  # type: ignore[type-arg]
    for p in people:
        if p["household"] is not None:
            by_hh.setdefault(p["household"], []).append(p)
    ht = sheet_table("household")
    with store.engine.connect() as conn:
        heads = {r.entity_id: r.head for r in conn.execute(select(ht))}
    hh, members = next((h, m) for h, m in by_hh.items() if len(m) >= 2 and heads.get(h))
    head = next(p for p in members if p["entity_id"] == heads[hh])
    other = next(p for p in members if p is not head)
    stranger = next(p for p in people if p["household"] not in (None, hh))
    yes = ask_proof(
        store,
        MZ,
        "kinship",
        "亲属关系证明",
        head["id_number"],
        other_id_number=other["id_number"],
        params={"relationship": other["relationship_to_head"]},
    )
    assert yes.answer == "yes" and yes.payload["replaces"].startswith("FM029")  # type: ignore[union-attr]
    assert (
        ask_proof(
            store,
            MZ,
            "kinship",
            "亲属关系证明",
            head["id_number"],
            other_id_number=stranger["id_number"],
        ).answer
        == "no"
    )
    resident = next(p for p in people if p["residence_status"] == "1")
    village = resident["org_code"][:12]
    res = ask_proof(
        store,
        MZ,
        "residence",
        "入学居住证明",
        resident["id_number"],
        params={"village": village, "since": "2026-11-01"},
    )
    assert res.answer in ("yes", "unknown")  # unknown only when the record is newer
    elsewhere = next(p for p in people if not p["org_code"].startswith(village))
    assert (
        ask_proof(
            store,
            MZ,
            "residence",
            "入学居住证明",
            elsewhere["id_number"],
            params={"village": village, "since": "2026-01-01"},
        ).answer
        == "no"
    )
    # a negative-list certificate the data does not answer: refused naming the item
    with pytest.raises(InvalidInput) as e:
        ask_proof(
            store,
            MZ,
            "alive",
            "无犯罪记录证明",
            resident["id_number"],
            params={"as_of": "2026-11-01"},
        )
    assert "FM033" in e.value.findings[0].message_zh
    # outside the asker's grant: refused and audited
    with pytest.raises(AccessDenied):
        ask_proof(
            store,
            Actor("rs", "department", COUNTY, "human_resources"),
            "kinship",
            "亲属关系证明",
            head["id_number"],
            other_id_number=other["id_number"],
        )
    # outside a village's scope
    with pytest.raises(AccessDenied):
        ask_proof(
            store,
            Actor("cun", "village", village),
            "alive",
            "健在证明",
            elsewhere["id_number"],
            params={"as_of": "2026-11-01"},
        )
    at = table("audit_event")
    with store.engine.connect() as conn:
        assert len(conn.execute(select(at).where(at.c.action == "denied")).all()) == 2
