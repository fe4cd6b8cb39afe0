"""Reading the sheet through an actor's scope: a person's card, search, conflicts.

Every read is limited to the actor's subtree and visible fields, masks what the actor may
only see masked, and writes an audit event naming what was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from onesheet.domain.access import (
    PERMISSIONS,
    AccessDenied,
    Actor,
    field_visibility,
    require_org,
)
from onesheet.domain.derived import derive
from onesheet.domain.dictionary import Field
from onesheet.domain.masking import full_id_number, mask_numbers_in_text, mask_value
from onesheet.domain.report_filters import birth_cutoff
from onesheet.domain.tasks import choices, input_kind
from onesheet.domain.values.idnumber import normalize_id_text
from onesheet.domain.values.parse import display_value
from onesheet.domain.values.problems import ValueProblem
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import _entity
from onesheet.store import audit, observation_log, org_events, orgs
from onesheet.store.db import Connection
from onesheet.store.recorder import observations_to_resolutions
from onesheet.store.sheet_lists import PersonWhere, find_people, open_conflicts, person_names
from onesheet.store.sheet_view import versions


@dataclass(frozen=True)
class CardValue:
    """One field on an entity's card, as this actor may see it."""

    key: str
    label_zh: str
    label_en: str
    value: str | None  # canonical, masked where the actor may only see it masked
    display: str
    source: str | None
    valid_from: datetime | None
    recorded_at: datetime | None
    masked: bool
    in_conflict: bool


@dataclass
class EntityCard:
    """An entity with its visible values, their sources, and (optionally) their history."""

    entity_id: int
    entity_type: str
    org_code: str
    org_name: str
    version: int
    as_of: datetime | None
    values: list[CardValue] = field(default_factory=list)
    history: list[dict[str, object]] = field(default_factory=list)
    town_code: str | None = None  # the unit's town (as it was on ``as_of`` when given)
    town_name: str | None = None

    def value(self, key: str) -> str | None:
        """The (possibly masked) canonical value of ``key``, None if absent or hidden."""
        return next((v.value for v in self.values if v.key == key), None)


def _show(f: Field, value: str | None, visibility: str, store: Store) -> tuple[str | None, str]:
    if value is not None and visibility == "masked":
        masked = mask_value(f.mask, value)
        return masked, masked or ""
    return value, display_value(f, value, store.dictionary.code_tables)


@service("sheet_read_entity", permission="sheet.read", audit="sheet.read")
def read_entity(
    store: Store,
    actor: Actor,
    entity_id: int,
    *,
    as_of: datetime | None = None,
    with_history: bool = False,
    today: date | None = None,
) -> EntityCard:
    """One entity's card: current values (or those current at ``as_of``) with their sources."""
    with store.audited_read() as conn:
        entity_type, org_code, county = _entity(conn, entity_id)
        require_org(actor, org_code)
        log = observation_log.for_entities(conn, [entity_id], as_of=as_of).get(entity_id, {})
        resolved = observations_to_resolutions(store.dictionary, log)
        names = orgs.names_by_code(conn, county)
        version = versions(conn, entity_type, [entity_id]).get(entity_id, 0)
        # as_of: the village (and town) the entity was in on that day, not today's
        where = org_events.card_placement(
            conn, entity_id, org_code, names, as_of.date() if as_of else None
        )
        card = EntityCard(
            entity_id, entity_type, where.org_code, where.org_name, version, as_of,
            town_code=where.town_code, town_name=where.town_name,
        )  # fmt: skip
        plain = {k: r.value for k, r in resolved.items()}
        when = (as_of.date() if as_of else None) or today or date.today()
        visible_keys = []
        for f in store.dictionary.for_entity(entity_type):
            visibility = field_visibility(actor, f, store.grants)
            if visibility == "hidden":
                continue
            visible_keys.append(f.key)
            res = resolved.get(f.key)
            raw = res.value if res else None
            if not f.stored:
                raw = derive(f, plain, org_code=where.org_code, org_names=names, today=when)
            shown, display = _show(f, raw, visibility, store)
            winner = res.winner if res else None
            card.values.append(
                CardValue(
                    f.key,
                    f.label_zh,
                    f.label_en,
                    shown,
                    display,
                    winner.source if winner else None,
                    winner.valid_from if winner else None,
                    winner.recorded_at if winner else None,
                    visibility == "masked" and raw is not None,
                    bool(res and res.in_conflict),
                )
            )
        if with_history:
            card.history = _visible_history(store, actor, conn, entity_id, set(visible_keys))
        audit.write_event(
            conn,
            actor,
            "sheet.read",
            now=utcnow(),
            entity_type=entity_type,
            entity_ids=[entity_id],
            fields=visible_keys,
            county_code=county,
            detail=f"as_of={as_of.isoformat()}" if as_of else "",
        )
        return card


def _visible_history(store, actor, conn, entity_id, visible):  # type: ignore[no-untyped-def]
    """The visible fields' log rows, values masked as the card's; for a viewer who sees ID
    numbers or phones masked, those numbers inside each free-text reason too."""

    def masked_for(key: str) -> bool:
        f = store.dictionary.fields.get(key)
        return f is not None and field_visibility(actor, f, store.grants) != "full"

    ids, phones = masked_for("person.id_number"), masked_for("person.phone")
    out = []
    for row in observation_log.history(conn, entity_id):
        key = str(row["field_key"])
        if key not in visible:
            continue
        f = store.dictionary.fields[key]
        shown, display = _show(f, row["value"], field_visibility(actor, f, store.grants), store)
        reason = row.get("reason")
        if (ids or phones) and reason:
            reason = mask_numbers_in_text(str(reason), ids=ids, phones=phones)
        out.append({**row, "value": shown, "display": display, "reason": reason})
    return out


@dataclass(frozen=True)
class PersonHit:
    """A person found by search, with only what identifies them (masked as needed)."""

    entity_id: int
    name: str | None
    id_number: str | None
    gender: str
    birth_date: str | None
    org_code: str
    org_name: str


_ID_LIKE = re.compile(r"^[0-9]{6,17}[0-9X]?$")
# A viewer who sees ID numbers masked may look a person up by the full number. Each lookup
# answers "is this number someone's in my scope?", so guessing the ~500 numbers that fit a
# masked ID, birth date and sex would find the right one; misses are therefore limited per
# user and day (a cadre typing numbers off ID cards rarely misses more than a few times).
ID_LOOKUP_MISSES = 20
ID_LOOKUP_WINDOW = timedelta(hours=24)
ID_LOOKUP_DETAIL = "id_lookup"  # audit detail prefix of a masked viewer's full-number lookup


def _id_query(query: str) -> str | None:
    """``query`` as ID-number text (full-width digits, spaces, dashes, lower-case x
    normalised) when it looks like all or part of an ID number, else None."""
    try:
        text = normalize_id_text(query)
    except ValueProblem:
        return None
    return text if _ID_LIKE.match(text) else None


@service("sheet_search_people", permission="sheet.read", audit="sheet.search")
def search_people(store: Store, actor: Actor, query: str, *, limit: int = 20) -> list[PersonHit]:
    """People in scope whose name starts with ``query`` or whose ID number matches it.

    Who sees ID numbers in full may search by any prefix of one (6 characters on). Who sees
    them masked finds a person by the whole number only: a prefix query would reveal the
    hidden digits one at a time, so it finds nobody, and misses are rationed
    (``ID_LOOKUP_MISSES`` a day). Who may not see ID numbers cannot search by them.
    """
    q = query.strip()
    if not q:
        return []
    id_text = _id_query(q)

    def hits(
        where: PersonWhere, detail: str = f"q={q[:40]}", rationed: bool = False
    ) -> list[PersonHit]:
        # every search answers the same columns under the same audit action
        return _person_hits(
            store,
            actor,
            where,
            limit=limit,
            action="sheet.search",
            fields=["person.name", "person.id_number"],
            detail=detail,
            before=ration_id_lookups if rationed else None,
        )

    if id_text is None:
        return hits(PersonWhere(name_prefix=q))
    vis = field_visibility(actor, store.dictionary.fields["person.id_number"], store.grants)
    if vis == "hidden":
        return []
    number = full_id_number(id_text)
    if vis == "full":
        whole = number or (id_text if len(id_text) == 18 else None)
        return hits(PersonWhere(id_number=whole) if whole else PersonWhere(id_prefix=id_text))
    if number is None:
        return []  # a prefix or an invalid number: nothing is read, nothing is answered
    return hits(
        PersonWhere(id_number=number),
        f"{ID_LOOKUP_DETAIL} q={number}",
        rationed=True,
    )


# Audited actions whose empty answers are a masked viewer's full-number misses: a search,
# and a proof asked by ID number (services/proofs) - one ration for both, so neither is a
# way round the other.
ID_LOOKUP_ACTIONS = ("sheet.search", "proofs.ask")


def ration_id_lookups(conn: Connection, actor: Actor, now: datetime) -> None:
    """Refuse a masked viewer's full-number lookup once the day's misses are spent."""
    misses = sum(
        audit.count_empty_events(
            conn,
            actor=actor.username,
            action=action,
            since=now - ID_LOOKUP_WINDOW,
            detail_prefix=ID_LOOKUP_DETAIL + " ",
        )
        for action in ID_LOOKUP_ACTIONS
    )
    if misses >= ID_LOOKUP_MISSES:
        raise AccessDenied(
            f"24小时内按身份证号查无此人已达{ID_LOOKUP_MISSES}次，请按姓名查找或稍后再试",
            f"{actor.username}: {ID_LOOKUP_MISSES} ID-number lookups found nobody in 24 hours;"
            " search by name or try later",
        )


@dataclass(frozen=True)
class ConflictItem:
    """A field on which sources disagree, waiting for the village to settle it."""

    entity_id: int
    entity_type: str
    field_key: str
    org_code: str
    values: list[dict[str, object]]
    name: str | None = None  # the person's name, for the conflicts list


@service("sheet_list_conflicts", permission="sheet.read", audit="sheet.conflicts")
def list_conflicts(
    store: Store, actor: Actor, *, limit: int = 100, entity_id: int | None = None
) -> list[ConflictItem]:
    """Open conflicts in the actor's scope (or on one entity), on fields the actor may see."""
    with store.audited_read() as conn:
        items = []
        for r in open_conflicts(conn, org_code=actor.org_code, entity_id=entity_id, limit=limit):
            f = store.dictionary.fields.get(r.field_key)
            vis = field_visibility(actor, f, store.grants) if f else "hidden"
            if vis == "hidden":
                continue
            values = r.values
            if vis == "masked":
                values = [{**v, "value": mask_value(f.mask, v["value"])} for v in values]
            items.append(ConflictItem(r.entity_id, r.entity_type, r.field_key, r.org_code, values))
        people = [i.entity_id for i in items if i.entity_type == "person"]
        if people:
            names = person_names(conn, people)
            items = [replace(i, name=names.get(i.entity_id)) for i in items]
        audit.write_event(
            conn,
            actor,
            "sheet.conflicts",
            now=utcnow(),
            entity_ids=[i.entity_id for i in items],
            fields={i.field_key for i in items} | ({"person.name"} if people else set()),
        )
        return items


# ------------------------------------------------------------------------- cadre filters
@dataclass(frozen=True)
class SheetFilter:
    """A roster a cadre asks for by one tap: the people in scope with one flag set."""

    key: str
    label_zh: str
    label_en: str
    field_key: str  # the field the filter reads (its visibility decides who may use it)


SHEET_FILTERS: dict[str, SheetFilter] = {
    f.key: f
    for f in (
        SheetFilter("dibao", "低保", "Dibao", "person.is_dibao"),
        SheetFilter("tekun", "特困", "Extreme poverty", "person.is_tekun"),
        SheetFilter("disabled", "残疾", "Disabled", "person.is_disabled"),
        SheetFilter("over60", "60岁以上", "Aged 60+", "person.birth_date"),
        SheetFilter("elderly_alone", "独居老人", "Elderly living alone", "person.is_elderly_alone"),
        SheetFilter("left_behind", "留守儿童", "Left-behind children", "person.is_left_behind"),
    )
}


@service("sheet_filter_people", permission="sheet.read", audit="sheet.filter")
def filter_people(
    store: Store,
    actor: Actor,
    filters: Sequence[str],
    *,
    limit: int = 200,
    today: date | None = None,
) -> list[PersonHit]:
    """People in scope matching every filter in ``filters`` (keys of ``SHEET_FILTERS``).

    Merged duplicates are left out, as rosters leave them out. A filter on a field the actor
    may not see is refused rather than silently answered.
    """
    chosen = [SHEET_FILTERS[k] for k in dict.fromkeys(filters) if k in SHEET_FILTERS]
    if not chosen:
        return []
    d = store.dictionary
    for flt in chosen:
        if field_visibility(actor, d.fields[flt.field_key], store.grants) == "hidden":
            raise AccessDenied(
                f"无权按“{flt.label_zh}”筛选", f"{actor.username} may not filter by {flt.key}"
            )
    over60 = any(f.key == "over60" for f in chosen)
    where = PersonWhere(
        flags=tuple(f.field_key.split(".", 1)[1] for f in chosen if f.key != "over60"),
        born_by=birth_cutoff(today or date.today(), 60) if over60 else None,
        live_only=True,
    )
    return _person_hits(
        store,
        actor,
        where,
        limit=limit,
        action="sheet.filter",
        fields=["person.name", "person.id_number", *(f.field_key for f in chosen)],
        detail="filters=" + ",".join(f.key for f in chosen),
    )


def _person_hits(
    store: Store,
    actor: Actor,
    where: PersonWhere,
    *,
    limit: int,
    action: str,
    fields: Sequence[str],
    detail: str,
    before: Callable[[Connection, Actor, datetime], None] | None = None,
) -> list[PersonHit]:
    """People matching ``where`` in the actor's subtree, identified only by what a list
    shows (ID masked as the actor must see it), and the audit event naming who was read.

    The order (org unit, then entity id) never depends on a value the actor may see only
    masked, so neither order nor count says anything about hidden digits. ``before`` runs in
    the same transaction ahead of the read (and may refuse it).
    """
    d = store.dictionary
    idf = d.fields["person.id_number"]
    vis = field_visibility(actor, idf, store.grants)
    genders = d.code_table("gb2261_1_gender")
    with store.audited_read() as conn:
        now = utcnow()
        if before is not None:
            before(conn, actor, now)
        rows = find_people(
            conn, where, county_code=actor.county_code, org_code=actor.org_code, limit=limit
        )
        hits = [
            PersonHit(
                r.entity_id,
                r.name,
                None if vis == "hidden" else _show(idf, r.id_number, vis, store)[0],
                genders.name_of(r.gender) if r.gender else "",
                r.birth_date.isoformat() if r.birth_date else None,
                r.org_code,
                r.org_name or r.org_code,
            )
            for r in rows
        ]
        audit.write_event(
            conn,
            actor,
            action,
            now=now,
            entity_type="person",
            entity_ids=[h.entity_id for h in hits],
            fields=fields,
            detail=detail,
        )
        return hits


# ------------------------------------------------------------------------ editing a card
@dataclass(frozen=True)
class EditInput:
    """How a card value may be changed in passing: the input, its choices, its current value."""

    key: str
    kind: str  # select | date | tel | number | text
    choices: list[tuple[str, str]]
    current: str  # canonical value to pre-fill ('' when empty or masked)
    replace_only: bool  # masked: a new value may replace it, the old one is never shown


# Masked values a cadre may replace without seeing them: a person tells the village a new
# phone number or account. Identity numbers (mask ``id_number``) are never overwritten
# blind: only the department that holds them, or someone who sees them, may change them.
REPLACEABLE_MASKS = frozenset({"phone", "account"})


@service("sheet_editable_inputs", permission="sheet.read", audit=None)
def editable_inputs(store: Store, actor: Actor, card: EntityCard) -> dict[str, EditInput]:
    """The card's values this actor may change: stored, not a reference, and either seen in
    full, empty, or masked but replaceable (phone, account) — never a masked ID number.

    Pure over an already-read (and audited) card; empty for roles without ``sheet.write``.
    """
    if actor.role not in PERMISSIONS["sheet.write"]:
        return {}
    d = store.dictionary
    out: dict[str, EditInput] = {}
    for v in card.values:
        f = d.fields[v.key]
        if not f.stored or f.type == "ref" or f.key == "person.merged_into":
            continue
        if v.masked and f.mask not in REPLACEABLE_MASKS:
            continue
        out[v.key] = EditInput(
            v.key,
            input_kind(f),
            choices(f, d.code_tables),
            "" if v.masked else (v.value or ""),
            v.masked,
        )
    return out


@service("sheet_conflict_choices", permission="sheet.read", audit="sheet.conflicts")
def conflict_choices(store: Store, actor: Actor, entity_id: int) -> dict[str, list[dict[str, str]]]:
    """Each field in conflict on one entity: every source with its value as the actor may
    see it (masked where masked), for the card's one-tap 以此为准."""
    d = store.dictionary
    out: dict[str, list[dict[str, str]]] = {}
    for item in list_conflicts(store, actor, entity_id=entity_id):
        f = d.fields[item.field_key]
        masked = field_visibility(actor, f, store.grants) == "masked"
        out[item.field_key] = [
            {
                "source": str(v.get("source") or ""),
                "display": str(v.get("value") or "")
                if masked
                else display_value(f, v.get("value"), d.code_tables),  # type: ignore[arg-type]
            }
            for v in item.values
        ]
    return out
