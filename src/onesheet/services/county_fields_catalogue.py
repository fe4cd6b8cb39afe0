"""The data-element catalogue (数据元目录): every field, built-in and the county's, with what
a department, a reviewer or a village needs to know about it — owner, type, code table, unit,
sensitivity, the approved templates that use it and how full the sheet holds it, per town —
and the list of forms whose new columns wait for a data steward's confirmation.

Counts only, never a value: no audit event. Fill rates are counted by the database
(``store/field_fill.py``) and kept per store until the sheet or the dictionary changes (the
newest batch id and the county-field version are the stamp), because the count reads every
row of the county and a catalogue page is opened far more often than the sheet changes.
Where a count is slow, it is also reused after writes for up to 30 times its own duration
(100,000 people on SQLite: 2.2 s to count, so figures up to about a minute old); the page
says when they were counted.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from onesheet.domain.access import Actor
from onesheet.domain.dictionary import ENTITY_TYPES, Dictionary, Field
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.services.base import Store, service, utcnow
from onesheet.services.county_fields import _county_of, _draft_columns, _drafts
from onesheet.store import county_fields as store_fields
from onesheet.store import field_fill, orgs, templates
from onesheet.store.db import Connection
from onesheet.store.field_fill import FillCounts

FILL_CACHE_SIZE = 32
STALE_FACTOR = 30.0


@dataclass(frozen=True)
class UnitFill:
    """One town's (or, for a village's own view, the village's) share holding a value."""

    code: str
    name: str
    entities: int
    filled: int
    rate: float | None  # filled / entities; None where the unit holds no such entity


@dataclass(frozen=True)
class CatalogueEntry:
    """One field of the data-element catalogue (数据元目录), built-in or the county's."""

    key: str
    entity: str
    label_zh: str
    label_en: str
    type: str
    unit: str | None
    code_table: str | None
    sensitivity: str
    owner: str
    status: str  # approved (built-in) | confirmed | active | deprecated
    county_code: str | None = None
    version: int | None = None
    templates: list[str] = field(default_factory=list)
    values: int | None = None  # entities holding a value, in the catalogue's area
    code_table_label: str | None = None
    derived: bool = False  # computed on read (age, town name): no fill rate
    fill_rate: float | None = None  # over every unit shown
    fill: list[UnitFill] = field(default_factory=list)


@dataclass(frozen=True)
class Catalogue:
    """The catalogue as a page shows it: the matching entries, the units of the fill
    columns, the titles of the templates named, and how many fields there are in all."""

    entries: list[CatalogueEntry]
    units: list[tuple[str, str]]
    template_titles: dict[str, str]
    total: int
    county_code: str
    counted_at: datetime | None = None  # when the fill rates were counted (UTC)


def _matches(e: CatalogueEntry, words: str, f: Field | None, d: Dictionary) -> bool:
    """``words`` in the key, a label, a wording, the code table's or the owner's name."""
    if not words:
        return True
    dept = d.departments.get(e.owner)
    texts = [
        e.key.lower(),
        e.label_zh,
        e.label_en.lower(),
        e.code_table_label or "",
        dept.name_zh if dept else e.owner,
        *(f.synonyms if f else ()),
    ]
    return any(words in t for t in texts)


def _fill_of(
    key: str, entity: str, counts: FillCounts, names: dict[str, str], units: list[str]
) -> tuple[list[UnitFill], float | None, int]:
    out, held, total = [], 0, 0
    for code in units:
        n = counts.entities.get((entity, code), 0)
        if not n:
            continue
        got = counts.filled.get((key, code), 0)
        out.append(UnitFill(code, names.get(code, code), n, got, round(got / n, 4)))
        held, total = held + got, total + n
    return out, (round(held / total, 4) if total else None), held


@dataclass(frozen=True)
class _Counted:
    stamp: tuple[int, int]
    counts: FillCounts
    at: datetime
    seconds: float


def _counts(store: Store, conn: Connection, county: str, scope: str | None) -> _Counted:
    """Fill counts of the county under ``scope``. Kept until a batch is written or the
    dictionary changes (two indexed reads tell); and, where counting is slow (a large county
    on SQLite), reused for up to ``STALE_FACTOR`` times its own counting time even after
    writes, so the catalogue never spends more than about 1/30 of the time counting."""
    width = max(9, len(scope or ""))
    stamp = (field_fill.latest_batch(conn), store_fields.layer_version(conn))
    cache: OrderedDict[tuple[str, str | None], _Counted]
    cache = store.__dict__.setdefault("_fill_cache", OrderedDict())
    hit = cache.get((county, scope))
    now = utcnow()
    if hit is not None and (
        hit.stamp == stamp or (now - hit.at).total_seconds() < STALE_FACTOR * hit.seconds
    ):
        return hit
    start = time.perf_counter()
    counts = field_fill.fill_counts(
        conn, store.dictionary, ENTITY_TYPES, county_code=county, scope=scope, width=width
    )
    fresh = _Counted(stamp, counts, now, time.perf_counter() - start)
    cache[(county, scope)] = fresh
    cache.move_to_end((county, scope))
    while len(cache) > FILL_CACHE_SIZE:
        cache.popitem(last=False)
    return fresh


@service("fields_catalogue", permission="fields.read", audit=None)
def catalogue_page(
    store: Store,
    actor: Actor,
    *,
    query: str = "",
    entity: str | None = None,
    county_code: str | None = None,
) -> Catalogue:
    """Every field, built-in then the county's, with owner, type, unit, code table,
    sensitivity, the approved templates that use it and its fill rate per town in the
    actor's area (a village sees its own village); ``query`` matches key, labels, wordings,
    code table and owner department."""
    if entity is not None and entity not in ENTITY_TYPES:
        kinds = ", ".join(ENTITY_TYPES)
        raise InvalidInput(
            [Finding("fields.entity", f"未知的对象类型 {entity}（可选：{kinds}）",
                     f"unknown entity type {entity!r} (one of {kinds})")]
        )  # fmt: skip
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        county = _county_of(conn, actor, county_code)
        scope = actor.org_code if actor.org_code and actor.org_code.startswith(county) else None
        defs = store_fields.definitions(conn, county_code=county)
        used: dict[str, set[str]] = {}
        titles: dict[str, str] = {}
        for t in templates.list_templates(conn, status="approved"):
            for c in t.spec.columns:
                if c.field:
                    used.setdefault(c.field, set()).add(t.id)
                    titles[t.id] = t.spec.title
        counted = _counts(store, conn, county, scope)
        counts = counted.counts
        units = sorted({code for _, code in counts.entities})
        names = orgs.org_names(conn, units)
    d = store.dictionary
    tables = d.code_tables

    def entry(f: Field, status: str, version: int | None = None) -> CatalogueEntry:
        fill: list[UnitFill] = []
        rate = held = None
        if f.stored:
            fill, rate, held = _fill_of(f.key, f.entity, counts, names, units)
        ct = tables.get(f.code_table or "")
        return CatalogueEntry(
            f.key, f.entity, f.label_zh, f.label_en, f.type, f.unit, f.code_table,
            f.sensitivity, f.authority, status, f.county_code, version,
            sorted(used.get(f.key, ())), held, ct.label_zh if ct else None,
            not f.stored, rate, fill,
        )  # fmt: skip

    out = [entry(f, f.status) for f in d.fields.values() if f.county_code is None]
    out += [entry(c.to_field(), c.status, c.version) for c in defs]
    words = query.strip().lower()
    shown = [
        e
        for e in out
        if (entity is None or e.entity == entity) and _matches(e, words, d.fields.get(e.key), d)
    ]
    named = {tid for e in shown for tid in e.templates}
    return Catalogue(
        shown,
        [(u, names.get(u, u)) for u in units],
        {k: v for k, v in titles.items() if k in named},
        len(out),
        county,
        counted.at,
    )


@service("fields_catalogue_list", permission="fields.read", audit=None)
def catalogue(
    store: Store,
    actor: Actor,
    *,
    query: str = "",
    entity: str | None = None,
    county_code: str | None = None,
) -> list[CatalogueEntry]:
    """The catalogue's entries alone (``/api/fields``, ``onesheet fields list``)."""
    return catalogue_page(store, actor, query=query, entity=entity, county_code=county_code).entries


# --------------------------------------------------------------- the steward's work list
@dataclass(frozen=True)
class AwaitingForm:
    """A form not yet approved with new columns: how many a steward has confirmed."""

    template_id: str
    title: str
    department: str
    status: str
    new_columns: int
    confirmed: int


@service("fields_awaiting", permission="fields.manage", audit=None)
def awaiting_confirmation(
    store: Store, actor: Actor, *, county_code: str | None = None
) -> list[AwaitingForm]:
    """Draft and submitted forms whose columns proposed fields, with how many of them have a
    confirmed definition: the data steward's work list (definitions only, no personal data)."""
    with store.transaction() as conn:
        county = _county_of(conn, actor, county_code)
        known = {d.key: d for d in store_fields.definitions(conn, county_code=county)}
        drafts = _drafts(conn)
        out = []
        for status in ("submitted", "draft", "rejected"):
            for row in templates.list_templates(conn, status=status):
                keys = {k for _, _, k, _ in _draft_columns(row, set(drafts) | set(known))}
                keys -= {k for k, dfn in known.items() if dfn.status != "confirmed"}
                if keys:
                    done = sum(1 for k in keys if k in known)
                    out.append(
                        AwaitingForm(
                            row.id, row.spec.title, row.department, row.status, len(keys), done
                        )
                    )
    return out
