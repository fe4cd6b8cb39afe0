"""Link enterprise rows to enterprises in the sheet: USCC, repaired USCC, name + address.

The 统一社会信用代码 (USCC, GB 32100) is the natural key: normalised (full-width, spaces,
lower case) and checked by its check character. A broken code is repaired when exactly one
valid code one slip away (a character or two neighbours) belongs to an enterprise whose name
agrees. A row without a usable code is placed by its name: the same name (after folding the
legal-form wording 有限责任公司/有限公司) and an agreeing address, held by exactly one
enterprise. Nothing else links, and as for people, no key, no new enterprise: a row without
a valid code that nobody fits waits in the queue with its candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from onesheet.domain.values.problems import ValueProblem
from onesheet.domain.values.uscc import _VALUE, parse_uscc, uscc_check_char
from onesheet.linkage.keys import KeyReading
from onesheet.linkage.link import Outcome
from onesheet.linkage.normalise import address_key

_FORM_WORDS = (("有限责任公司", "有限公司"), ("股份有限公司", "股份公司"), ("（", "("), ("）", ")"))


def read_uscc(raw: object) -> KeyReading:
    """Normalise a USCC cell; a broken one gets the valid codes it may have been."""
    if raw is None or not str(raw).strip():
        return KeyReading("missing")
    text = "".join(unicodedata.normalize("NFKC", str(raw)).split()).upper()
    try:
        return KeyReading("valid", parse_uscc(text), text)
    except ValueProblem as problem:
        return KeyReading("broken", text=text, candidates=_repairs(text), problem=problem)


def _repairs(text: str) -> tuple[str, ...]:
    if len(text) != 18:
        return ()
    found = set()
    body, check = text[:17], text[17]
    if all(c in _VALUE for c in body):
        found.add(body + uscc_check_char(body))
    for i in range(17):
        for c in _VALUE:
            cand = body[:i] + c + body[i + 1 :]
            if c != body[i] and _ok(cand) and uscc_check_char(cand) == check:
                found.add(cand + check)
        if i < 16:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            if _ok(swapped) and uscc_check_char(swapped) == check:
                found.add(swapped + check)
    found.discard(text)
    return tuple(sorted(found))


def _ok(body: str) -> bool:
    return all(c in _VALUE for c in body)


def name_key(raw: object) -> str:
    """An enterprise name as compared: half-width, no spaces, legal-form wording folded."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw or "")))
    for old, new in _FORM_WORDS:
        text = text.replace(unicodedata.normalize("NFKC", old), new)
    return text


@dataclass(frozen=True)
class EnterpriseRecord:
    """An enterprise as one source describes it (``uid`` unique per side)."""

    uid: int
    name: object = None
    uscc: str | None = None
    address: object = None


@dataclass
class EnterpriseInput:
    record: EnterpriseRecord
    key: KeyReading


def _address_agrees(a: object, b: object) -> bool:
    x, y = address_key(a), address_key(b)
    if not x or not y:
        return False
    share = len(set(x) & set(y)) / max(len(set(x)), len(set(y)))
    return x == y or share >= 0.8


def link_enterprises(
    rows: Sequence[EnterpriseInput], sheet: Sequence[EnterpriseRecord], candidates: int = 5
) -> dict[int, Outcome]:
    """One outcome per row (methods as for people: key, repaired, model, review, new)."""
    by_code = {r.uscc: r for r in sheet if r.uscc}
    by_name: dict[str, list[EnterpriseRecord]] = defaultdict(list)
    for r in sheet:
        if k := name_key(r.name):
            by_name[k].append(r)
    out: dict[int, Outcome] = {}
    for row in rows:
        uid, key, name = row.record.uid, row.key, name_key(row.record.name)
        if key.number and key.number in by_code:
            out[uid] = Outcome(uid, "key", by_code[key.number].uid, number=key.number)
            continue
        if key.status == "broken":
            agreeing = [
                by_code[c]
                for c in key.candidates
                if c in by_code and name_key(by_code[c].name) == name
            ]
            if len(agreeing) == 1:
                hit = agreeing[0]
                out[uid] = Outcome(uid, "repaired", hit.uid, number=hit.uscc)
                continue
        same = by_name.get(name, []) if name else []
        placed = [r for r in same if _address_agrees(row.record.address, r.address)]
        if key.number:  # a valid code the sheet lacks: new, unless its name says otherwise
            if same:
                listed = [(r.uid, 0.9) for r in same][:candidates]
                out[uid] = Outcome(uid, "review", None, 0.9, key.number, listed, reason="key_name")
            else:
                out[uid] = Outcome(uid, "new", number=key.number)
            continue
        if len(placed) == 1 and len(same) == 1:
            out[uid] = Outcome(
                uid, "model", placed[0].uid, 0.99, candidates=[(placed[0].uid, 0.99)]
            )
            continue
        listed = [(r.uid, 0.9 if r in placed else 0.6) for r in same][:candidates]
        reason = "ambiguous" if len(same) > 1 else "weak" if same else "no_key"
        out[uid] = Outcome(
            uid, "review", None, listed[0][1] if listed else 0.0, None, listed, reason=reason
        )
    return out
