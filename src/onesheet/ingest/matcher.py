"""Map each column of a form to a dictionary field, using all the evidence at once.

For every column: the words of its heading (exact, homophone, contained, fuzzy — see
``wordings``), read in context (group heading, role, left neighbour — see ``context``),
the bracketed hints, the sample values, and the entity the form lists. The result is one
of four statuses:

* ``matched``   — one field scores ≥ 0.85 with a clear margin over the runner-up;
* ``uncertain`` — the top candidates are listed with scores and a person decides;
* ``new``       — nothing fits: a draft field is proposed (see ``drafts``);
* ``layout``    — 序号, 备注, signature and empty columns, which hold no data.

A person's earlier correction (a learned heading → field) wins outright, and drafts from
earlier imports compete like dictionary fields, so one new concept becomes one field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from onesheet.domain.dictionary import Dictionary, Field
from onesheet.ingest import context, drafts, population, scoring
from onesheet.ingest.evidence import ValueProfile, profile
from onesheet.ingest.normalise import fold_text, normalise_heading
from onesheet.ingest.structure import HeadingColumn
from onesheet.ingest.wordings import FieldIndex

Status = Literal["matched", "uncertain", "new", "layout"]
MATCH_AT, MARGIN, UNCERTAIN_AT = 0.85, 0.08, 0.6

_ROW_NO = frozenset(
    {"序号", "序", "编号", "顺序号", "排序", "排序号", "行号", "no", "no.", "序列号"}
)
_REMARK = frozenset({"说明", "其他", "其它", "备考", "附注", "其他说明", "其他情况", "备注说明"})
_SIGN = re.compile(r"签字|签名|签章|盖章|手印|指纹|捺印")


@dataclass
class ColumnMatch:
    """The importer's verdict on one column, with the evidence a person needs to check it."""

    col: int
    letter: str
    path: list[str]
    field: str | None
    status: Status
    confidence: float
    candidates: list[tuple[str, float]] = field(default_factory=list)
    draft: Field | None = None
    samples: list[object] = field(default_factory=list)
    layout: str | None = None  # row_no / remark / signature / blank
    concept: str = ""

    @property
    def heading(self) -> str:
        return "/".join(" ".join(p.split()) for p in self.path)


@dataclass
class MatchInput:
    """What the matcher knows besides the columns."""

    dictionary: Dictionary
    drafts: Sequence[Field] = ()
    learned: Mapping[str, str] = field(default_factory=dict)
    department: str = ""
    source: str = ""
    entity_guess: context.EntityGuess | None = None  # filled by ``match_columns``


_INDEX_CACHE: dict[tuple, FieldIndex] = {}


def field_index(dictionary: Dictionary, extra: Sequence[Field]) -> FieldIndex:
    """Index of the dictionary's usable fields plus drafts (cached per dictionary + drafts)."""
    key = (id(dictionary), len(dictionary.fields), tuple((f.key, f.label_zh) for f in extra))
    found = _INDEX_CACHE.get(key)
    if found is None:
        usable = [
            f for f in dictionary.fields.values() if f.type != "ref" and f.status != "deprecated"
        ]
        found = FieldIndex([*usable, *extra])
        if len(_INDEX_CACHE) > 8:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = found
    return found


def layout_kind(core: str, p: ValueProfile) -> str | None:
    """序号 / 备注 / signature / empty columns: part of the form's layout, not data."""
    if not core:
        return "blank"
    low = core.lower()
    if low in _ROW_NO and (core != "编号" or p.row_numbers or p.empty):
        return "row_no"
    if core.startswith("备注") or core in _REMARK:
        return "remark"
    if _SIGN.search(core):
        return "signature"
    return None


def match_columns(
    columns: Sequence[HeadingColumn],
    samples: Mapping[int, list[object]],
    title: str,
    inp: MatchInput,
    letters: Mapping[int, str],
) -> tuple[str, list[ColumnMatch]]:
    """Return the roster's entity and one ``ColumnMatch`` per column, left to right."""
    index = field_index(inp.dictionary, inp.drafts)
    tables = inp.dictionary.code_tables
    learned = _learned(inp.learned)
    readings: list[context.Reading] = []
    profiles: list[ValueProfile] = []
    left: str | None = None
    left2: str | None = None
    for col in columns:
        reading = context.read_column(col.path, left, left2)
        readings.append(reading)
        profiles.append(profile(samples.get(col.col, []), tables))
        left, left2 = reading.core, left
    kinds = [layout_kind(r.core, p) for r, p in zip(readings, profiles, strict=True)]
    named = [r for r, k in zip(readings, kinds, strict=True) if k is None]
    guess = context.guess_entity(title, named, index, Path(inp.source).stem if inp.source else "")
    guess = population.place_guess(guess, title, named, index, inp.dictionary)  # 学校名称 …
    inp.entity_guess = guess
    entity = guess.entity
    out: list[ColumnMatch] = []
    for col, reading, prof, kind in zip(columns, readings, profiles, kinds, strict=True):
        vals = samples.get(col.col, [])
        base = ColumnMatch(col.col, letters[col.col], list(col.path), None, "layout", 1.0)
        base.samples, base.concept = vals[:10], reading.concept
        if kind is not None:
            base.layout = kind
            out.append(base)
            continue
        hit = _learned_hit(learned, col.path, reading, index)
        if hit:
            base.field, base.status, base.candidates = hit, "matched", [(hit, 1.0)]
            out.append(base)
            continue
        ranked = _rank(reading, prof, vals, entity, index, tables)
        _decide(base, ranked)
        out.append(base)
    _resolve_duplicates(out)
    _propose_drafts(out, readings, profiles, entity, index, inp)
    return entity, out


def _learned(learned: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for heading, key in learned.items():
        out[fold_text(heading)] = key
        out.setdefault(normalise_heading(heading)[0], key)
    return out


def _learned_hit(
    learned: dict[str, str], path: list[str], reading: context.Reading, index: FieldIndex
) -> str | None:
    if not learned:
        return None
    for text in (fold_text("/".join(path)), fold_text(path[-1]), reading.concept, reading.core):
        key = learned.get(text)
        if key and key in index.fields:
            return key
    return None


def _rank(
    reading: context.Reading,
    prof: ValueProfile,
    samples: list[object],
    form_entity: str,
    index: FieldIndex,
    tables: Mapping,
) -> list[tuple[str, float]]:
    """All candidate fields with their final scores, best first."""
    words: dict[str, float] = {}
    for text in reading.variants:
        found = index.exact_scores(text) if reading.exact_words else index.scores(text)
        for k, s in found.items():
            words[k] = max(words.get(k, 0.0), s)
    for text in [*reading.exact_only, drafts.canonical(reading.concept, index)]:
        for k, s in index.exact_scores(text).items():
            words[k] = max(words.get(k, 0.0), s)
    col_entity = (
        reading.group_entity
        or (reading.role_entity if form_entity == "person" else None)
        or form_entity
    )
    for bare, subject in (
        (scoring.BARE_ADDRESS, scoring.SUBJECT_ADDRESS),
        (scoring.BARE_NAME, scoring.SUBJECT_NAME),
    ):
        key = subject.get(col_entity) if reading.role is None and reading.core in bare else None
        if key in index.fields:
            words[key] = max(words.get(key, 0.0), 0.9)
    if (
        reading.role is None
        and reading.core in _BARE_ATTRIBUTES
        and max(words.values(), default=0) < 0.85
    ):
        key = _only_field_ending(reading.core, col_entity, index)
        if key:
            words[key] = 0.88
    if col_entity == form_entity and reading.role is None:
        for src, dst in scoring.SUBJECT_MAP.get(form_entity, {}).items():
            if src in words and dst in index.fields:
                words[dst] = max(words.get(dst, 0.0), words[src])
    types = scoring.hint_types(reading.hints)
    final: dict[str, float] = {}
    for key, s in words.items():
        f = index.fields[key]
        adj = scoring.value_adjust(f, prof, samples, tables) + scoring.hint_adjust(f, types)
        final[key] = max(0.0, min(1.0, s + adj)) * scoring.entity_factor(col_entity, f.entity)
    if reading.role is None and max(final.values(), default=0.0) < UNCERTAIN_AT:
        for key, s in scoring.value_candidates(prof, index.fields, col_entity).items():
            final[key] = max(final.get(key, 0.0), s)
    return sorted(final.items(), key=lambda kv: (-kv[1], kv[0]))


# A bare attribute noun (状态, 等级, 性质) names the row's own one, when its entity has
# exactly one field worded "… + noun" (an enterprise's 状态 is its 经营状态).
_BARE_ATTRIBUTES = frozenset({"状态", "状况", "等级", "级别", "性质", "规模", "类型", "类别"})


def _only_field_ending(noun: str, entity: str, index: FieldIndex) -> str | None:
    keys = {
        key
        for text, slot in index.exact.items()
        if text.endswith(noun) and len(text) > len(noun)
        for key in slot
        if key.startswith(entity + ".") and index.fields[key].status != "draft"
    }
    return keys.pop() if len(keys) == 1 else None


def _decide(m: ColumnMatch, ranked: list[tuple[str, float]]) -> None:
    m.candidates = [(k, round(s, 3)) for k, s in ranked[:3]]
    best = ranked[0][1] if ranked else 0.0
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if best >= MATCH_AT and best - second >= MARGIN:
        m.field, m.status, m.confidence = ranked[0][0], "matched", round(best, 3)
    elif best >= UNCERTAIN_AT:
        m.status, m.confidence = "uncertain", round(best, 3)
    else:
        m.status, m.confidence = "new", round(1.0 - best, 3)


def _resolve_duplicates(matches: list[ColumnMatch]) -> None:
    """Two columns matched to one field: keep the surer one, ask about the other."""
    by_field: dict[str, list[ColumnMatch]] = {}
    for m in matches:
        if m.status == "matched" and m.field:
            by_field.setdefault(m.field, []).append(m)
    for group in by_field.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda m: -m.confidence)
        for m in group[1:]:
            m.field, m.status = None, "uncertain"


def _propose_drafts(
    matches: list[ColumnMatch],
    readings: list[context.Reading],
    profiles: list[ValueProfile],
    entity: str,
    index: FieldIndex,
    inp: MatchInput,
) -> None:
    taken = set(index.fields)
    for m, reading, prof in zip(matches, readings, profiles, strict=True):
        if m.status != "new":
            continue
        draft_entity = reading.group_entity or entity
        m.draft = drafts.propose(
            reading.concept,
            draft_entity,
            hints=reading.hints,
            profile=prof,
            index=index,
            taken=taken,
            department=inp.department,
            source=inp.source,
        )
        taken.add(m.draft.key)
