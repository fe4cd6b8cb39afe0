"""Link import rows to people in the sheet: exact key, repaired key, then the model.

Every row gets one ``Outcome``:

* ``key``         — its valid (or 15→18 converted) ID number is in the sheet;
* ``repaired``    — its broken ID is one slip from exactly one person whose name agrees;
* ``model``       — no usable key, and the model's best match clears ``match_at`` with a
                    margin over the runner-up;
* ``new``         — nobody fits (below ``review_at``), or a valid key the sheet lacks;
* ``review``      — the best match is in the grey zone: a person decides (the queue).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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


@dataclass
class Outcome:
    """How one import row was linked."""

    uid: int
    method: Method
    entity_id: int | None = None
    probability: float = 1.0
    number: str | None = None  # the ID number to record (valid, converted or repaired)
    candidates: list[tuple[int, float]] = field(default_factory=list)


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
        if found is None and row.key.number:  # a valid key the sheet lacks: a new person
            found = Outcome(row.record.uid, "new", number=row.key.number)
        if found is not None:
            out[row.record.uid] = found
        else:
            rest.append(row)
    if progress:
        progress(len(out))
    if rest and config.use_model and sheet:
        keyed = {u: o for u, o in out.items() if o.method == "key"}
        out.update(_by_model(rows, keyed, rest, sheet, config, trained))
    for row in rest:
        out.setdefault(row.record.uid, Outcome(row.record.uid, "new", number=row.key.number))
    if progress:
        progress(len(out))
    return out


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
    pairs = lm.score(left, right, model, floor=config.review_at / 2)
    return decide(pairs, [r.record.uid for r in rest], config)


def decide(pairs: Sequence[lm.Pair], uids: Sequence[int], config: LinkConfig) -> dict[int, Outcome]:
    """Turn scored pairs into outcomes by the thresholds (pure: unit-tested directly)."""
    best: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for p in pairs:
        best[p.left].append((p.right, p.probability))
    out = {}
    for uid in uids:
        ranked = sorted(best.get(uid, []), key=lambda c: -c[1])[:5]
        top = ranked[0][1] if ranked else 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if top >= config.match_at and top - second >= config.margin:
            out[uid] = Outcome(uid, "model", ranked[0][0], top, candidates=ranked)
        elif top >= config.review_at:
            out[uid] = Outcome(uid, "review", None, top, candidates=ranked)
        else:
            out[uid] = Outcome(uid, "new", None, top, candidates=ranked)
    return out
