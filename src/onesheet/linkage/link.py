"""Link import rows to people in the sheet: exact key, repaired key, then the model.

Every row gets one ``Outcome``:

* ``key``         — its valid (or 15→18 converted) ID number is in the sheet;
* ``repaired``    — its broken ID is one slip from exactly one person whose name agrees;
* ``model``       — no usable key, and the model's best match clears ``match_at`` with a
                    margin over the runner-up;
* ``new``         — a valid ID number the sheet does not hold (and no person in the sheet
                    whose number it could be a slip of);
* ``review``      — anything else: a person decides (the queue).

No key, no new person: a row without a valid ID number is linked only when the model is
confident; otherwise it waits in the queue with its best candidates, however weak — never
a new record, because a keyless duplicate splits a person's values between two records and
nothing later tells them apart. Likewise a valid number the sheet holds under another name
waits for a person instead of minting a second holder, and a valid number the sheet lacks
waits when the model finds a person whose number is one slip from it (a system that computes
the check character for what was typed turns a mistyped digit into another valid number).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from onesheet.linkage import evidence
from onesheet.linkage import model as lm
from onesheet.linkage.keys import KeyReading
from onesheet.linkage.normalise import name_key, name_pinyin
from onesheet.linkage.records import PersonRecord, to_arrow

Method = Literal["key", "repaired", "model", "new", "review"]


@dataclass(frozen=True)
class LinkConfig:
    """Decision thresholds (match probabilities) and model settings; all configurable."""

    match_at: float = 0.95
    review_at: float = 0.5
    margin: float = 0.3  # best must beat the runner-up by this much to link without review
    model: lm.ModelConfig = field(default_factory=lm.ModelConfig)
    use_model: bool = True
    use_keys: bool = True  # False: the plain-Splink baseline, every row through the model
    keyless_new: bool = False  # True: a row nobody fits becomes new even without a key (the
    # baselines' habit, kept for the benchmark; an import never does this)
    candidates: int = 5  # how many candidates a queued row keeps


@dataclass
class Outcome:
    """How one import row was linked."""

    uid: int
    method: Method
    entity_id: int | None = None
    probability: float = 1.0
    number: str | None = None  # the ID number to record (valid, converted or repaired)
    candidates: list[tuple[int, float]] = field(default_factory=list)
    evidence: list[dict[str, str]] = field(default_factory=list)  # per candidate (queued rows)
    reason: str = ""  # why a row waits: no_key | weak | key_name | key_slip | ambiguous


@dataclass
class LinkInput:
    """One import row: its record for comparisons and how its ID cell read."""

    record: PersonRecord
    key: KeyReading


def link_people(
    rows: Sequence[LinkInput],
    sheet: Sequence[PersonRecord],
    config: LinkConfig | None = None,
    *,
    trained: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[int, Outcome]:
    """Decide, for every import row, which sheet person (``uid`` = entity id) it is.

    ``progress(n)`` is told how many rows are decided: after the key pass, and at the end.
    """
    config = config or LinkConfig()
    by_number = {r.id_text: r for r in sheet if r.id_text}
    out: dict[int, Outcome] = {}
    rest: list[LinkInput] = []
    for row in rows:
        if not config.use_keys:
            rest.append(row)
            continue
        found = _by_key(row, by_number)
        if (
            config.use_model
            and found is not None
            and found.method == "key"
            and not _name_fits(row, by_number)
        ):
            rest.append(row)  # a valid number of someone else's name: a slip that fit the check
            continue
        if found is None and row.key.number and not (config.use_model and sheet):
            found = Outcome(row.record.uid, "new", number=row.key.number)
        if found is not None:
            out[row.record.uid] = found
        else:
            rest.append(row)  # no key, a broken one, or a valid one the sheet lacks
    if progress:
        progress(len(out))
    scored: dict[int, Outcome] = {}
    if rest and config.use_model and sheet:
        keyed = {u: o for u, o in out.items() if o.method == "key"}
        scored = _by_model(rows, keyed, rest, sheet, config, trained)
    people = {r.uid: r for r in sheet}
    for row in rest:
        o = _final(row, scored.get(row.record.uid), by_number, people, config)
        if o.method == "review":
            o.evidence = [
                evidence.compare(row.record, people[e]) for e, _ in o.candidates if e in people
            ]
        out[row.record.uid] = o
    if progress:
        progress(len(out))
    return out


def _final(
    row: LinkInput,
    scored: Outcome | None,
    by_number: Mapping[str, PersonRecord],
    people: Mapping[int, PersonRecord],
    config: LinkConfig,
) -> Outcome:
    """The decision for a row the exact key did not settle, from the model's outcome."""
    uid, number = row.record.uid, row.key.number
    ranked = scored.candidates if scored is not None else []
    best = scored.probability if scored is not None else 0.0
    if not config.use_keys:  # the plain baseline: the model alone decides
        number = None
    holder = by_number.get(number) if number and config.use_keys else None
    if holder is not None:  # a valid number the sheet holds, beside another name: a person
        # decides, even when the model is sure — birth date and sex agree because they are
        # read from the same number, so they are no evidence that the name is a slip
        listed = [(holder.uid, dict(ranked).get(holder.uid, 0.0))]
        listed += [c for c in ranked if c[0] != holder.uid]
        return Outcome(
            uid, "review", None, best, number, listed[: config.candidates], reason="key_name"
        )
    if number:  # a valid number the sheet lacks: new, unless it is a slip of a candidate's
        slips = [
            c
            for c in ranked
            if c[1] >= config.review_at
            and c[0] in people
            and _one_slip(number, people[c[0]].id_text or "")
        ]
        if slips:
            return Outcome(uid, "review", None, best, number, ranked, reason="key_slip")
        return Outcome(uid, "new", None, best, number, ranked)
    if scored is not None and scored.method == "model":
        return scored
    if config.keyless_new and (scored is None or scored.method == "new"):
        return Outcome(uid, "new", None, best, None, ranked)
    reason = "no_key" if not ranked else "ambiguous" if best >= config.match_at else "weak"
    return Outcome(uid, "review", None, best, None, ranked, reason=reason)


def _one_slip(a: str, b: str) -> bool:
    """The bodies (17 digits) differ by one digit or two swapped neighbours. The check
    character is left out: it catches every such slip in a number typed by hand, but
    systems that compute it for the number entered turn a mistyped digit into another
    valid number."""
    a, b = a[:17], b[:17]
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def _by_key(row: LinkInput, by_number: Mapping[str, PersonRecord]) -> Outcome | None:
    key, uid = row.key, row.record.uid
    if key.number:
        hit = by_number.get(key.number)
        return Outcome(uid, "key", hit.uid if hit else None, number=key.number) if hit else None
    agreeing = [
        by_number[c] for c in key.candidates if c in by_number and _agrees(row.record, by_number[c])
    ]
    if len(agreeing) == 1:
        hit = agreeing[0]
        return Outcome(uid, "repaired", hit.uid, number=hit.id_text)
    return None


def _name_fits(row: LinkInput, by_number: Mapping[str, PersonRecord]) -> bool:
    """The name beside a valid ID number is the number's holder's, allowing one slip.

    A wrong digit can make another valid number (the check catches 10 slips in 11), so a
    key whose names share at most one character is left to the model, which sees the
    number as one piece of evidence among the others.
    """
    a, b = name_key(row.record.name), name_key(by_number[row.key.number or ""].name)
    if not a or not b or a == b or name_pinyin(a) == name_pinyin(b):
        return True
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 1


def _agrees(row: PersonRecord, person: PersonRecord) -> bool:
    """The row's name reads like the candidate's (same characters or same pinyin)."""
    a, b = name_key(row.name), name_key(person.name)
    return bool(a) and (a == b or name_pinyin(a) == name_pinyin(b))


def _by_model(
    all_rows: Sequence[LinkInput],
    keyed: Mapping[int, Outcome],
    rest: Sequence[LinkInput],
    sheet: Sequence[PersonRecord],
    config: LinkConfig,
    trained: dict[str, Any] | None,
) -> dict[int, Outcome]:
    raw = config.model.raw
    right = to_arrow(sheet, raw=raw)
    if trained is None:
        labels = [(r.record.uid, o.entity_id) for r in all_rows if (o := keyed.get(r.record.uid))]
        left_all = to_arrow((r.record for r in all_rows), raw=raw)
        # the data's own base rate: of the rows with a valid key, the share the sheet holds,
        # spread over the sheet (one true match at most per row)
        with_key = sum(1 for r in all_rows if r.key.number)
        prior = (len(labels) / with_key / len(sheet)) if labels and with_key else None
        trained = lm.train(left_all, right, config.model, labels=labels, prior=prior)
    model = trained
    left = to_arrow((r.record for r in rest), raw=raw)
    pairs = lm.score(left, right, model, floor=min(config.review_at / 2, 0.02))
    return decide(pairs, [r.record.uid for r in rest], config)


def decide(pairs: Sequence[lm.Pair], uids: Sequence[int], config: LinkConfig) -> dict[int, Outcome]:
    """Turn scored pairs into outcomes by the thresholds (pure: unit-tested directly)."""
    best: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for p in pairs:
        best[p.left].append((p.right, p.probability))
    out = {}
    for uid in uids:
        ranked = sorted(best.get(uid, []), key=lambda c: -c[1])[: config.candidates]
        top = ranked[0][1] if ranked else 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        ahead = top - second >= config.margin
        if top >= config.match_at and ahead:
            out[uid] = Outcome(uid, "model", ranked[0][0], top, candidates=ranked)
        elif top >= config.review_at:
            out[uid] = Outcome(uid, "review", None, top, candidates=ranked)
        else:
            out[uid] = Outcome(uid, "new", None, top, candidates=ranked)
    return out
