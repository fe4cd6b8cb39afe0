"""Proof from data (数据代证明): questions a village used to certify, answered from the sheet.

Pure: the questions a service window may ask (居住 / 亲属关系 / 健在 / 户籍), the answer
rule for each over resolved inputs (yes / no / cannot tell, never a guess), the matter check
against the county's negative list (a certificate the data does not answer, named on the
list, is refused with the item named), the data-minimised payload (which fields were
consulted, their sources and dates — not their values), and Ed25519 signing over the
payload's canonical JSON (``cryptography``), verifiable with the public key alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from onesheet.domain.eligibility import Input
from onesheet.domain.findings import Finding, InvalidInput, refuse
from onesheet.domain.responsibility import Item

KINDS = {
    "residence": "居住证明",
    "kinship": "亲属关系证明",
    "alive": "健在（生存）证明",
    "hukou": "户籍证明",
}
# the stored fields each question reads (minimum necessary)
FIELDS = {
    "residence": ("person.residence_status",),
    "kinship": ("person.household", "person.relationship_to_head"),
    "alive": ("person.death_date", "person.residence_status"),
    "hukou": ("person.registered_address",),
}
# negative-list wordings these questions answer from data (the village no longer issues them)
ANSWERS_FROM_DATA = {
    "residence": ("居住证明", "居住", "现住址"),
    "kinship": ("亲属关系", "家庭关系"),
    "alive": ("死亡证明", "健在", "生存", "存活"),
    "hukou": ("户籍", "户口", "居民身份信息"),
}
ANSWER_ZH = {"yes": "是", "no": "否", "unknown": "无法判断"}


def _bad(code: str, zh: str, en: str, where: str | None = None) -> InvalidInput:
    return InvalidInput([Finding(f"proof.{code}", zh, en, column=where)])


def check_matter(kind: str, matter: str, items: Iterable[Item]) -> Item | None:
    """Refuse a matter on the negative list that this question does not answer from data.

    Returns the negative-list item the answer replaces (a village may no longer issue it),
    if any. Raises InvalidInput naming the list item otherwise.
    """
    if kind not in KINDS:
        refuse("proof.kind", kind=kind, column="kind")
    matter = (matter or "").strip()
    if not matter:
        refuse("proof.matter", column="matter")
    hit = None
    for it in items:
        if it.list_kind != "negative":
            continue
        core = it.item.replace("证明", "")
        if it.item in matter or (core and core in matter):
            hit = it
            break
    if hit is None:
        return None
    if any(w in hit.item for w in ANSWERS_FROM_DATA[kind]):
        return hit
    refuse(
        "proof.negative",
        matter=matter,
        code=hit.code,
        item=hit.item,
        kind_zh=KINDS[kind],
        column="matter",
    )


@dataclass(frozen=True)
class Answer:
    answer: str  # yes | no | unknown
    statement: str  # the question as answered, in words
    basis: tuple[dict[str, str], ...]  # field label, source, date — never the values


def _basis(label: str, i: Input | None) -> dict[str, str]:
    if i is None or i.source is None:
        return {"field": label, "source": "无记录", "date": ""}
    day = i.valid_from.date().isoformat() if isinstance(i.valid_from, datetime) else ""
    return {"field": label, "source": i.source, "date": day}


def answer(
    kind: str,
    subject: Mapping[str, Input],
    *,
    params: Mapping[str, str],
    subject_org: str,
    other: Mapping[str, Input] | None = None,
    other_org: str | None = None,
    head_is_subject: bool = False,
) -> Answer:
    """Answer one question about ``subject`` (its resolved inputs).

    residence: params village (org code prefix), since (ISO date)
    kinship: other person; params relationship (code of the other to the household head)
    alive: params as_of (ISO date)
    hukou: params address (text the registered address must contain)
    """
    if any(i.others for i in subject.values()) or any(i.others for i in (other or {}).values()):
        conflicting = [k for k, i in {**subject, **(other or {})}.items() if i.others]
        return Answer(
            "unknown",
            f"来源不一致：{'、'.join(sorted(set(conflicting)))}",
            tuple(_basis(k, subject.get(k)) for k in FIELDS[kind]),
        )
    if kind == "alive":
        return _alive(subject, params)
    if kind == "residence":
        return _residence(subject, params, subject_org)
    if kind == "hukou":
        return _hukou(subject, params)
    if kind == "kinship":
        return _kinship(subject, other or {}, params, head_is_subject)
    refuse("proof.kind", kind=kind)


def _day(params: Mapping[str, str], key: str) -> date:
    try:
        return date.fromisoformat(str(params.get(key, "")))
    except ValueError:
        raise _bad("param", f"{key} 须为日期 YYYY-MM-DD", f"{key} must be a date", key) from None


def _alive(s: Mapping[str, Input], params: Mapping[str, str]) -> Answer:
    day = _day(params, "as_of")
    death, status = s.get("person.death_date"), s.get("person.residence_status")
    basis = (_basis("死亡日期", death), _basis("人员状态", status))
    statement = f"截至 {day.isoformat()} 健在"
    if death is not None and death.value is not None:
        if death.value <= day.isoformat():
            return Answer("no", statement, basis)
        return Answer("yes", statement, basis)
    if status is not None and status.value == "4":
        return Answer("unknown", statement + "（人员状态为死亡但无死亡日期）", basis)
    if status is None or status.value is None:
        return Answer("unknown", statement + "（无人员状态记录）", basis)
    if status.valid_from is not None and status.valid_from.date() > day:
        return Answer("unknown", statement + "（记录晚于所问日期）", basis)
    return Answer("yes", statement, basis)


def _residence(s: Mapping[str, Input], params: Mapping[str, str], org: str) -> Answer:
    village = str(params.get("village", ""))
    since = _day(params, "since")
    status = s.get("person.residence_status")
    basis = (
        _basis("人员状态", status),
        {"field": "所在村（社区）", "source": "一张表", "date": ""},
    )
    statement = f"自 {since.isoformat()} 起居住在 {village}"
    if not village.isdigit():
        refuse("proof.param", column="village")
    if not org.startswith(village):
        return Answer("no", statement, basis)
    if status is None or status.value is None:
        return Answer("unknown", statement, basis)
    if status.value != "1":
        return Answer("no", statement, basis)
    if status.valid_from is not None and status.valid_from.date() > since:
        return Answer("unknown", statement + "（记录晚于所问日期）", basis)
    return Answer("yes", statement, basis)


def _hukou(s: Mapping[str, Input], params: Mapping[str, str]) -> Answer:
    address = str(params.get("address", "")).strip()
    if not address:
        raise _bad("param", "须给出户籍地址", "address is required", "address")
    reg = s.get("person.registered_address")
    basis = (_basis("户籍地址", reg),)
    statement = f"户籍登记在“{address}”"
    if reg is None or reg.value is None:
        return Answer("unknown", statement, basis)
    norm = lambda t: "".join(t.split())  # noqa: E731
    return Answer("yes" if norm(address) in norm(reg.value) else "no", statement, basis)


def _kinship(
    a: Mapping[str, Input], b: Mapping[str, Input], params: Mapping[str, str], a_is_head: bool
) -> Answer:
    ha, hb = a.get("person.household"), b.get("person.household")
    rel = b.get("person.relationship_to_head")
    basis = (_basis("所属户", ha), _basis("所属户（另一人）", hb), _basis("与户主关系", rel))
    wanted = str(params.get("relationship", "")).strip()
    statement = "两人同户" + (f"，另一人与户主关系为 {wanted}" if wanted else "")
    if ha is None or hb is None or ha.value is None or hb.value is None:
        return Answer("unknown", statement, basis)
    if ha.value != hb.value:
        return Answer("no", statement, basis)
    if not wanted:
        return Answer("yes", statement, basis)
    if not a_is_head:
        return Answer("unknown", statement + "（第一人不是户主，关系无法由户籍关系推出）", basis)
    if rel is None or rel.value is None:
        return Answer("unknown", statement, basis)
    return Answer("yes" if rel.value == wanted else "no", statement, basis)


# --------------------------------------------------------------------------------- signing
def canonical(payload: Mapping[str, object]) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_key() -> tuple[str, str]:
    """(private seed hex, public key hex) of a fresh Ed25519 key."""
    from cryptography.hazmat.primitives import serialization as s

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption())
    public = key.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
    return seed.hex(), public.hex()


def sign(data: bytes, private_hex: str) -> str:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex)).sign(data).hex()


def verify(data: bytes, signature_hex: str, public_hex: str) -> bool:
    """Whether ``signature_hex`` is the key's signature of exactly ``data``."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), data
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id(public_hex: str) -> str:
    return public_hex[:16]
