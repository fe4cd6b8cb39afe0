"""Link place rows (学校, 避难场所, 重大危险源 …) to places in the sheet: name within village.

A place has no number of its own, so its key is its name inside its village (the address
breaks a tie). The name is compared after folding what exports vary in — width, spaces,
brackets and punctuation — and nothing else: 城关小学 and 城关中心小学 are two schools until a
person says otherwise. Every row gets one ``Outcome`` (the methods people and enterprises use):

* ``key``    — the same folded name in the same village, held by exactly one place whose
               kind and address do not contradict the row;
* ``new``    — nothing in the village comes close: a new place (a new school is a new place);
* ``review`` — anything in between waits for a person: a close name (a character off, the
               same pinyin, one name inside the other), the same name held twice, a kind or an
               address that disagrees. No key, no duplicate: an uncertain row never creates.

Rows of one file with the same village and folded name are one place (the first row's
outcome stands for all of them). Pure Python; the service reads the sheet and writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pypinyin import lazy_pinyin
from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

from onesheet.linkage.link import Outcome
from onesheet.linkage.normalise import address_key

_PUNCT = re.compile(r"[\s\-－—_·•.,，、。:：;；'\"“”‘’()（）\[\]【】<>《》/\\]+")
CLOSE_RATIO = 75.0  # rapidfuzz ratio (0–100) at which two names are worth a person's look


def place_name_key(raw: object) -> str:
    """A place name as compared: half-width, upper-case Latin, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", str(raw or "")).upper()
    return _PUNCT.sub("", text)


@dataclass(frozen=True)
class PlaceRecord:
    """A place as one side describes it (``uid`` unique per side); ``org_code`` is its
    village (or grid), or for an import row the village its address or village column named
    (the importer's own unit when it named none)."""

    uid: int
    org_code: str
    name: object = None
    address: object = None
    kind: str | None = None


def _village(org_code: str) -> str:
    """The village a unit lies in: a grid (15 digits) belongs to its village (12)."""
    return org_code[:12] if len(org_code) > 12 else org_code


def _close(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a in b or b in a:
        return abs(len(a) - len(b)) <= 3
    if Levenshtein.distance(a, b) <= max(1, min(len(a), len(b)) // 5):
        return True
    if "".join(lazy_pinyin(a)) == "".join(lazy_pinyin(b)):
        return True
    return ratio(a, b) >= CLOSE_RATIO


def _address_contradicts(a: object, b: object) -> bool:
    """Both addresses given and sharing under half their characters."""
    x, y = address_key(a), address_key(b)
    if not x or not y:
        return False
    share = len(set(x) & set(y)) / max(len(set(x)), len(set(y)))
    return x != y and share < 0.5


def _in_area(row: PlaceRecord, place: PlaceRecord) -> bool:
    """Whether a sheet place lies where the row says: the same village, or — for a row
    placed only at a town or the county — anywhere below that unit."""
    here = _village(row.org_code)
    return place.org_code.startswith(here) if len(here) < 12 else _village(place.org_code) == here


def link_places(
    rows: Sequence[PlaceRecord], sheet: Sequence[PlaceRecord], candidates: int = 5
) -> dict[int, Outcome]:
    """One outcome per row; see the module docstring."""
    by_village: dict[str, list[PlaceRecord]] = defaultdict(list)
    for p in sheet:
        by_village[_village(p.org_code)].append(p)
    out: dict[int, Outcome] = {}
    first_of: dict[tuple[str, str], int] = {}
    for row in rows:
        name = place_name_key(row.name)
        group = (_village(row.org_code), name)
        if name and group in first_of:  # the same place twice in one file
            out[row.uid] = _same_as(out[first_of[group]], row.uid)
            continue
        first_of[group] = row.uid
        here = _village(row.org_code)
        pool = (
            by_village.get(here, []) if len(here) >= 12 else [p for p in sheet if _in_area(row, p)]
        )
        out[row.uid] = _decide(row, name, pool, candidates)
    return out


def _same_as(first: Outcome, uid: int) -> Outcome:
    return Outcome(
        uid,
        first.method,
        first.entity_id,
        first.probability,
        None,
        list(first.candidates),
        list(first.evidence),
        first.reason,
    )


def _decide(row: PlaceRecord, name: str, pool: Sequence[PlaceRecord], n: int) -> Outcome:
    uid = row.uid
    same = [p for p in pool if place_name_key(p.name) == name]
    agreeing = [
        p
        for p in same
        if not (row.kind and p.kind and row.kind != p.kind)
        and not _address_contradicts(row.address, p.address)
    ]
    if len(same) == 1 and len(agreeing) == 1:
        return Outcome(uid, "key", same[0].uid, 1.0, candidates=[(same[0].uid, 1.0)])
    confirmed = [p for p in agreeing if row.address and p.address]
    if len(same) > 1 and len(confirmed) == 1:  # the address tells them apart
        return Outcome(uid, "key", confirmed[0].uid, 0.99, candidates=[(confirmed[0].uid, 0.99)])
    if same:
        listed = [(p.uid, 0.9 if p in agreeing else 0.7) for p in same][:n]
        reason = "ambiguous" if len(same) > 1 else "key_name"
        return _review(uid, listed, [_evidence(row, p, "same") for p in same][:n], reason)
    close = [p for p in pool if _close(name, place_name_key(p.name))]
    if not close:
        return Outcome(uid, "new", probability=1.0)
    close.sort(key=lambda p: -ratio(name, place_name_key(p.name)))
    listed = [(p.uid, round(ratio(name, place_name_key(p.name)) / 100, 4)) for p in close][:n]
    return _review(uid, listed, [_evidence(row, p, "close") for p in close][:n], "weak")


def _review(
    uid: int, listed: list[tuple[int, float]], evidence: list[dict[str, str]], reason: str
) -> Outcome:
    best = listed[0][1] if listed else 0.0
    return Outcome(uid, "review", None, best, None, listed, evidence, reason=reason)


def _evidence(row: PlaceRecord, p: PlaceRecord, how: str) -> dict[str, str]:
    """Per-value agreement in the people's queue's words (``linkage/evidence``): name, address
    and kind — same, same pinyin, one character off, most characters, differs, missing."""
    a, b = place_name_key(row.name), place_name_key(p.name)
    if how == "same" or a == b:
        name = "same"
    elif "".join(lazy_pinyin(a)) == "".join(lazy_pinyin(b)):
        name = "same pinyin"
    elif Levenshtein.distance(a, b) == 1:
        name = "one character off"
    else:
        name = "most characters"
    out = {"name": name}
    if row.address and p.address:
        out["addr"] = "differs" if _address_contradicts(row.address, p.address) else "same"
    else:
        out["addr"] = "missing"
    out["kind"] = (
        "missing" if not (row.kind and p.kind) else "same" if row.kind == p.kind else "differs"
    )
    return out
