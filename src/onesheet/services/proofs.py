"""Proof from data (数据代证明): a department or service window asks, the sheet answers.

The asker names the matter and the person (ID number); the answer is yes / no / cannot tell
with the sources and dates consulted and nothing else (no values the question does not
need), signed with the installation's Ed25519 key, stored, and audited. A matter on the
village negative list that this question does not answer is refused with the item named; a
question reading a field outside the asker's grant is refused (and the refusal audited).
Anyone holding a proof can check it: ``verify_proof`` needs only the public key.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from onesheet.domain import proofs as rules
from onesheet.domain.access import AccessDenied, Actor, field_visibility, org_in_scope
from onesheet.domain.findings import InvalidInput, finding
from onesheet.domain.masking import mask_value
from onesheet.domain.responsibility import packaged_lists
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_read import ID_LOOKUP_DETAIL, ration_id_lookups
from onesheet.store import audit, responsibility
from onesheet.store import eligibility as es
from onesheet.store import eligibility_proofs as ps


@dataclass(frozen=True)
class ProofResult:
    serial: str
    payload: dict[str, object]
    canonical: str  # the exact signed text
    signature: str
    key_id: str
    public_key: str

    @property
    def answer(self) -> str:
        return str(self.payload["answer"])


class _Missed(Exception):
    """A masked viewer's question named a number that is nobody's in their scope: the
    refusal to raise once the miss is audited (after the question's transaction)."""

    def __init__(self, refusal: InvalidInput | AccessDenied) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def _person(conn, actor: Actor, county: str, id_number: str, masked: bool) -> es.Person:  # type: ignore[no-untyped-def]
    """The person holding ``id_number`` in the actor's scope. For a viewer who sees ID
    numbers masked every answer is a full-number lookup (a guess among the ~500 numbers a
    masked one leaves is confirmed by any answer but "no such person"), so misses share the
    search's daily ration; a person outside the scope is refused without saying where."""
    hit = es.people_by_id_number(conn, county, [id_number.strip().upper()])
    found = hit.get(id_number.strip().upper())
    refusal: InvalidInput | AccessDenied | None = None
    if found is None:
        refusal = InvalidInput([finding("proof.person", column="id_number")])
    elif not org_in_scope(actor, found[1]):
        refusal = AccessDenied("此人不在您的管辖范围内", "this person is outside your scope")
    if refusal is not None:
        raise _Missed(refusal) if masked else refusal
    return es.people(conn, [found[0]])[found[0]]


def _audit_miss(store: Store, actor: Actor, county: str, kind: str, matter: str) -> None:
    """The miss as an empty ``proofs.ask`` event, committed on its own (the question's
    transaction has rolled back): what ``sheet_read.ration_id_lookups`` counts."""
    with store.transaction() as conn:
        audit.write_event(
            conn, actor, "proofs.ask", now=utcnow(), county_code=county, entity_type="person",
            detail=f"{ID_LOOKUP_DETAIL} proof kind={kind} matter={matter[:40]}",
        )  # fmt: skip


@service("proofs_ask", permission="proofs.ask", audit="proofs.ask")
def ask_proof(
    store: Store,
    actor: Actor,
    kind: str,
    matter: str,
    id_number: str,
    *,
    params: Mapping[str, str] | None = None,
    other_id_number: str | None = None,
    county_code: str | None = None,
) -> ProofResult:
    """Answer one proof question about the person with ``id_number`` (and, for kinship, the
    person with ``other_id_number``) for ``matter``; returns the signed answer."""
    params = dict(params or {})
    county = actor.county_code or county_code
    if not county:
        raise InvalidInput([finding("proof.county")])
    d = store.dictionary
    masked = field_visibility(actor, d.fields["person.id_number"], store.grants) != "full"
    try:
        return _ask(store, actor, county, kind, matter, id_number, params, other_id_number, masked)
    except _Missed as missed:
        _audit_miss(store, actor, county, kind, matter)
        raise missed.refusal from None


def _ask(
    store: Store, actor: Actor, county: str, kind: str, matter: str, id_number: str,
    params: dict[str, str], other_id_number: str | None, masked: bool,
) -> ProofResult:  # fmt: skip
    d = store.dictionary
    with store.transaction() as conn:
        items = responsibility.list_items(conn, county) or packaged_lists()
        replaces = rules.check_matter(kind, matter, items)
        hidden = [
            k
            for k in rules.FIELDS[kind]
            if field_visibility(actor, d.fields[k], store.grants) == "hidden"
        ]
        if hidden:
            raise AccessDenied(
                f"此证明须读取您无权查看的字段：{'、'.join(hidden)}",
                f"this proof reads fields outside your grant: {hidden}",
            )
        if masked:
            ration_id_lookups(conn, actor, utcnow())
        subject = _person(conn, actor, county, id_number, masked)
        persons = {subject.entity_id: subject}
        other = None
        if kind == "kinship":
            if not other_id_number:
                raise InvalidInput([finding("proof.other")])
            other = _person(conn, actor, county, other_id_number, masked)
            persons[other.entity_id] = other
        inputs = es.inputs_of(conn, d, persons, list(rules.FIELDS[kind]))
        head_is_subject = False
        if other is not None and subject.household is not None:
            from onesheet.store.schema import sheet_table

            ht = sheet_table("household")
            head = conn.execute(
                ht.select().with_only_columns(ht.c.head).where(ht.c.entity_id == subject.household)
            ).scalar()
            head_is_subject = head == subject.entity_id
        got = rules.answer(
            kind,
            inputs.get(subject.entity_id, {}),
            params=params,
            subject_org=subject.org_code,
            other=inputs.get(other.entity_id, {}) if other else None,
            other_org=other.org_code if other else None,
            head_is_subject=head_is_subject,
        )
        now = utcnow()
        kid, private, public = ps.signing_key(conn, now)
        serial = f"ZM{now:%Y%m%d}{secrets.token_hex(6).upper()}"
        payload: dict[str, object] = {
            "serial": serial,
            "kind": kind,
            "title": rules.KINDS[kind],
            "matter": matter,
            "subject": _minimal(subject),
            "other": _minimal(other) if other else None,
            "question": got.statement,
            "params": params,
            "answer": got.answer,
            "answer_zh": rules.ANSWER_ZH[got.answer],
            "basis": list(got.basis),
            "replaces": f"{replaces.code} {replaces.item}" if replaces else None,
            "asked_by": actor.department or actor.role,
            "issued_at": now.isoformat(timespec="seconds") + "Z",
            "key_id": kid,
        }
        data = rules.canonical(payload)
        signature = rules.sign(data, private)
        ps.insert_proof(
            conn,
            serial=serial,
            county_code=county,
            kind=kind,
            matter=matter,
            answer=got.answer,
            payload=data.decode(),
            signature=signature,
            key_id=kid,
            actor=actor.username,
            role=actor.role,
            at=now,
        )
        audit.write_event(
            conn,
            actor,
            "proofs.ask",
            now=now,
            county_code=county,
            entity_type="person",
            entity_ids=list(persons),
            fields=list(rules.FIELDS[kind]),
            detail=f"serial={serial} kind={kind} matter={matter} answer={got.answer}",
        )
        return ProofResult(serial, payload, data.decode(), signature, kid, public)


def _minimal(p: es.Person) -> dict[str, str]:
    """Who the proof is about, as little as identifies them: name and masked ID number."""
    return {"name": p.name or "", "id_number": mask_value("id_number", p.id_number or "") or ""}


@dataclass(frozen=True)
class Verification:
    valid: bool
    serial: str | None
    payload: dict[str, object] | None
    on_record: bool  # the serial is in this installation's register with the same bytes


@service("proofs_verify", permission="proofs.verify", audit=None)
def verify_proof(store: Store, actor: Actor, canonical: str, signature: str) -> Verification:
    """Check a proof's text and signature with the public key it names (no personal data
    is read: the holder brings the text)."""
    try:
        payload = json.loads(canonical)
    except ValueError:
        return Verification(False, None, None, False)
    if not isinstance(payload, dict):
        return Verification(False, None, None, False)
    with store.transaction() as conn:
        keys = ps.public_keys(conn)
        public = keys.get(str(payload.get("key_id", "")))
        valid = public is not None and rules.verify(canonical.encode(), signature, public)
        row = ps.get_proof(conn, str(payload.get("serial", "")))
    on_record = bool(row is not None and row.payload == canonical and row.signature == signature)
    return Verification(valid, str(payload.get("serial")), payload if valid else None, on_record)


@service("proofs_lookup", permission="proofs.verify", audit=None)
def lookup_proof(store: Store, actor: Actor, serial: str) -> tuple[str, str] | None:
    """(signed text, signature) of a proof by serial, for the verification page a QR code
    or printed serial leads to (the text is the minimised payload the holder already has)."""
    with store.transaction() as conn:
        row = ps.get_proof(conn, serial)
    return (row.payload, row.signature) if row else None


@service("proofs_public_key", permission="proofs.verify", audit=None)
def public_keys(store: Store, actor: Actor) -> dict[str, str]:
    """Every signing key's public half (key id → hex), for verifying offline."""
    with store.transaction() as conn:
        keys = ps.public_keys(conn)
        if not keys:
            kid, _, public = ps.signing_key(conn, utcnow())
            keys = {kid: public}
        return keys


@service("proofs_ledger", permission="eligibility.ledger", audit=None)
def proof_counts(store: Store, actor: Actor) -> dict[str, int]:
    """Certificates answered from data instead of a village stamp, by kind."""
    with store.transaction() as conn:
        return ps.count_proofs(conn, actor.county_code)
