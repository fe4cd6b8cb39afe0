"""Eligibility rules, rosters and runs in the database (SQLAlchemy Core, the caller's transaction).

The pure rule lives in ``domain/eligibility``; this module stores rule versions and their Gate
steps, reads the enrolment roster, finds the candidates of a run with the report query
builder (one SELECT over the current view, the rule's filter compiled by
``report_query.condition_sql``), reads the inputs of the people a run explains from the
observation log (up to the run's high-water mark) so each verdict can name its sources and
dates, and stores runs with their listed people: decided and written inside the database
(``decide_into_run``), read back a list or a page at a time (``listed_items``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import (
    Connection,
    Integer,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy import (
    column as column_clause,
)
from sqlalchemy import table as table_clause

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.eligibility import CheckedRule, Input, RuleSpec
from onesheet.domain.observations import Observation
from onesheet.store.bulk import bulk_insert
from onesheet.store.engine import is_postgres
from onesheet.store.recorder import observations_to_resolutions
from onesheet.store.report_query import (
    condition_sql,
    from_clause,
    in_subtree,
    live,
    sources_for,
)
from onesheet.store.schema import metadata, sheet_table


def t(name: str):  # type: ignore[no-untyped-def]
    return metadata().tables[name]


# ----------------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class RuleRow:
    id: int
    county_code: str
    rule_key: str
    version: int
    benefit: str
    department: str
    spec: RuleSpec
    status: str
    created_by: str
    created_at: datetime


def _rule(r) -> RuleRow:  # type: ignore[no-untyped-def]
    return RuleRow(
        r.id,
        r.county_code,
        r.rule_key,
        r.version,
        r.benefit,
        r.department,
        RuleSpec.model_validate_json(r.spec),
        r.status,
        r.created_by,
        r.created_at,
    )


def insert_rule(
    conn: Connection, county_code: str, spec: RuleSpec, actor: str, now: datetime
) -> RuleRow:
    """A new draft version of ``spec.key`` (version = last + 1)."""
    rt = t("eligibility_rule")
    last = conn.execute(
        select(func.max(rt.c.version)).where(
            rt.c.county_code == county_code, rt.c.rule_key == spec.key
        )
    ).scalar()
    rid = conn.execute(
        insert(rt)
        .values(
            county_code=county_code,
            rule_key=spec.key,
            version=(last or 0) + 1,
            benefit=spec.benefit,
            department=spec.department,
            spec=spec.model_dump_json(by_alias=True),
            status="draft",
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        .returning(rt.c.id)
    ).scalar_one()
    return get_rule(conn, rid)  # type: ignore[return-value]


def get_rule(conn: Connection, rule_id: int) -> RuleRow | None:
    rt = t("eligibility_rule")
    r = conn.execute(select(rt).where(rt.c.id == rule_id)).first()
    return _rule(r) if r else None


def list_rules(conn: Connection, county_code: str | None) -> list[RuleRow]:
    rt = t("eligibility_rule")
    q = select(rt).order_by(rt.c.rule_key, rt.c.version)
    if county_code:
        q = q.where(rt.c.county_code == county_code)
    return [_rule(r) for r in conn.execute(q)]


def approved_rule(conn: Connection, county_code: str, rule_key: str) -> RuleRow | None:
    """The newest approved version of a rule."""
    rt = t("eligibility_rule")
    r = conn.execute(
        select(rt)
        .where(
            rt.c.county_code == county_code,
            rt.c.rule_key == rule_key,
            rt.c.status == "approved",
        )
        .order_by(rt.c.version.desc())
        .limit(1)
    ).first()
    return _rule(r) if r else None


def exclusions(conn: Connection, county_code: str) -> dict[str, list[str]]:
    """rule key → the keys its newest version excludes (for the circularity check)."""
    out: dict[str, list[str]] = {}
    for row in list_rules(conn, county_code):
        out[row.rule_key] = list(row.spec.excludes)
    return out


def set_status(conn: Connection, rule_id: int, status: str, now: datetime) -> None:
    rt = t("eligibility_rule")
    conn.execute(update(rt).where(rt.c.id == rule_id).values(status=status, updated_at=now))


def supersede_older(conn: Connection, row: RuleRow, now: datetime) -> None:
    rt = t("eligibility_rule")
    conn.execute(
        update(rt)
        .where(
            rt.c.county_code == row.county_code,
            rt.c.rule_key == row.rule_key,
            rt.c.status == "approved",
            rt.c.version < row.version,
        )
        .values(status="superseded", updated_at=now)
    )


def add_decision(
    conn: Connection,
    rule_id: int,
    action: str,
    actor: str,
    role: str,
    now: datetime,
    reason: str,
    figures: dict[str, object],
) -> None:
    conn.execute(
        insert(t("eligibility_decision")).values(
            rule_id=rule_id,
            action=action,
            actor=actor,
            role=role,
            at=now,
            reason=reason,
            figures=json.dumps(figures, ensure_ascii=False, default=str),
        )
    )


def decisions(conn: Connection, rule_id: int) -> list[dict[str, object]]:
    dt = t("eligibility_decision")
    rows = conn.execute(select(dt).where(dt.c.rule_id == rule_id).order_by(dt.c.id))
    return [dict(r._mapping) for r in rows]


def filled_counts(
    conn: Connection, dictionary: Dictionary, county_code: str, keys: Iterable[str]
) -> dict[str, int]:
    """How many live people (or households) of the county hold each input field."""
    out = {}
    for key in keys:
        f = dictionary.fields[key]
        if f.county_code is not None:
            sv = t("sheet_value")
            n = conn.execute(
                select(func.count()).where(sv.c.county_code == county_code, sv.c.field_key == key)
            ).scalar_one()
        else:
            st = sheet_table(f.entity)
            n = conn.execute(
                select(func.count(st.c[f.name])).where(
                    st.c.county_code == county_code, *live(f.entity, st)
                )
            ).scalar_one()
        out[key] = int(n)
    return out


# ------------------------------------------------------------------------------- enrolment
@dataclass(frozen=True)
class Enrolled:
    id: int
    entity_id: int
    org_code: str
    tier: str | None
    amount: Decimal | None
    since: date


def enrolled(conn: Connection, county_code: str, rule_key: str, org_code: str) -> list[Enrolled]:
    """Active roster rows of a benefit enrolled in the ``org_code`` subtree."""
    et = t("eligibility_enrolment")
    rows = conn.execute(
        select(et)
        .where(
            et.c.county_code == county_code,
            et.c.rule_key == rule_key,
            in_subtree(et.c.org_code, org_code),
            et.c.ended.is_(None),
        )
        .order_by(et.c.entity_id)
    )
    return [Enrolled(r.id, r.entity_id, r.org_code, r.tier, r.amount, r.since) for r in rows]


def enrolled_elsewhere(
    conn: Connection, county_code: str, rule_keys: Sequence[str], entity_ids: Iterable[int]
) -> dict[int, list[str]]:
    """entity → the other benefits (of ``rule_keys``) it is actively enrolled in."""
    if not rule_keys:
        return {}
    et = t("eligibility_enrolment")
    ids = sorted(set(entity_ids))
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        for r in conn.execute(
            select(et.c.entity_id, et.c.rule_key).where(
                et.c.county_code == county_code,
                et.c.rule_key.in_(list(rule_keys)),
                et.c.ended.is_(None),
                et.c.entity_id.in_(ids[start : start + 500]),
            )
        ):
            out.setdefault(r.entity_id, []).append(r.rule_key)
    return out


def enrol(
    conn: Connection,
    county_code: str,
    rule_key: str,
    rows: Sequence[tuple[int, str, str | None, Decimal | None]],
    *,
    since: date,
    source: str,
    actor: str,
    now: datetime,
) -> int:
    """Add (entity, org, tier, amount) roster rows; people already enrolled are skipped."""
    et = t("eligibility_enrolment")
    have = {
        r.entity_id
        for r in conn.execute(
            select(et.c.entity_id).where(
                et.c.county_code == county_code, et.c.rule_key == rule_key, et.c.ended.is_(None)
            )
        )
    }
    values = [
        dict(
            county_code=county_code,
            rule_key=rule_key,
            entity_id=eid,
            org_code=org,
            tier=tier,
            amount=amount,
            since=since,
            source=source,
            actor=actor,
            at=now,
        )
        for eid, org, tier, amount in rows
        if eid not in have
    ]
    if values:
        conn.execute(insert(et), values)
    return len(values)


def end_enrolment(
    conn: Connection, county_code: str, rule_key: str, ended: Sequence[tuple[int, str]], day: date
) -> int:
    """End the active rows of (entity, reason)."""
    et = t("eligibility_enrolment")
    n = 0
    for eid, reason in ended:
        n += conn.execute(
            update(et)
            .where(
                et.c.county_code == county_code,
                et.c.rule_key == rule_key,
                et.c.entity_id == eid,
                et.c.ended.is_(None),
            )
            .values(ended=day, end_reason=reason)
        ).rowcount
    return n


def people_by_id_number(conn: Connection, county_code: str, numbers: Iterable[str]) -> dict:  # type: ignore[type-arg]
    """ID number → (entity id, org code) of live people in the county."""
    st = sheet_table("person")
    nums = sorted(set(numbers))
    out = {}
    for start in range(0, len(nums), 500):
        for r in conn.execute(
            select(st.c.id_number, st.c.entity_id, st.c.org_code).where(
                st.c.county_code == county_code,
                st.c.id_number.in_(nums[start : start + 500]),
                *live("person", st),
            )
        ):
            out[r.id_number] = (r.entity_id, r.org_code)
    return out


# ------------------------------------------------------------------------------ candidates
def eligible_ids(
    conn: Connection, rule: CheckedRule, county_code: str, org_code: str, day: date
) -> set[int]:
    """Live people in the subtree the rule's conditions select on the current view (SQL)."""
    src = sources_for("person", [], rule.conditions)
    main = src.main
    stmt = (
        select(main.c.entity_id)
        .select_from(from_clause(src))
        .where(
            main.c.county_code == county_code,
            in_subtree(main.c.org_code, org_code),
            *live("person", main),
            condition_sql(rule.conditions, src, day),
        )
    )
    return {r[0] for r in conn.execute(stmt)}


class Candidate(NamedTuple):
    """One person the compiled rule read: the person's own columns (what a ``Person``
    holds), whether the conditions hold (1/0), the index of the first tier that holds (-1:
    none) and every single condition's outcome as one bit mask (bit i: condition i of
    ``rule.all_conditions()``; ``given``). A tuple: a run makes tens of thousands. The
    first six fields are a ``Person``'s, so a candidate is read wherever a person is."""

    entity_id: int
    org_code: str
    name: str | None
    id_number: str | None
    household: int | None
    merged_into: int | None
    holds: int
    tier: int
    outcomes: int


MASK_BITS = 62  # a 64-bit signed integer on both backends, with room to spare


def given(c: Candidate, n: int) -> tuple[bool, ...] | None:
    """The outcome of each of the ``n`` conditions as the database computed it; None for a
    rule of more than ``MASK_BITS`` conditions (then each is compared on its value)."""
    if n > MASK_BITS:
        return None
    return tuple(bool(c.outcomes >> i & 1) for i in range(n))


@dataclass(frozen=True)
class _Decider:
    """The rule compiled over the current view: its FROM, whether the conditions hold, the
    index of the first tier that holds (-1: none) and one bit per single condition."""

    src: object
    holds: object
    tier: object
    outcomes: object


def _decider(rule: CheckedRule, day: date) -> _Decider:
    leaves = rule.all_conditions()
    household = any(c.field.entity == "household" for c in leaves)
    src = sources_for(
        "person",
        [],
        rule.conditions,
        with_household=household,
        extra_fields=[c.field for c in leaves],
    )
    tiers = [
        (condition_sql(flt, src, day) if flt is not None else true(), i)
        for i, (_, flt) in enumerate(rule.tiers)
    ]
    # one integer for all the single outcomes (a NULL comparison is a 0 bit)
    outcomes = sum(
        (
            case((condition_sql(c, src, day), 1 << i), else_=0)
            for i, c in enumerate(leaves[:MASK_BITS])
        ),
        literal(0),
    )
    return _Decider(
        src,
        condition_sql(rule.conditions, src, day),
        case(*tiers, else_=-1) if tiers else literal(-1),
        outcomes,
    )


def candidates_of(
    conn: Connection, rule: CheckedRule, day: date, entity_ids: Iterable[int]
) -> dict[int, Candidate]:
    """The rule compiled to a SELECT over the current view for just ``entity_ids`` (the
    people a run judges one by one: the enrolled, the conflicted, the excluded), each with
    the outcome of every single condition (``rule.all_conditions()`` order), of the whole
    conditions and the tier (a CASE over the tiers in order). SQL NULL is a failed
    comparison, as in the report query; the filters are and/or trees, so NULL-as-false at
    the end gives what Python's two-valued evaluation gives."""
    d = _decider(rule, day)
    main = d.src.main  # type: ignore[attr-defined]
    base = select(
        main.c.entity_id,
        main.c.org_code,
        main.c.name,
        main.c.id_number,
        main.c.household,
        main.c.merged_into,
        type_coerce(d.holds, Integer).label("holds"),
        d.tier.label("tier"),  # type: ignore[attr-defined]
        d.outcomes.label("outcomes"),  # type: ignore[attr-defined]
    ).select_from(from_clause(d.src))  # type: ignore[arg-type]
    ids = sorted(set(entity_ids))
    out: dict[int, Candidate] = {}
    for start in range(0, len(ids), 500):
        stmt = base.where(main.c.entity_id.in_(ids[start : start + 500]))
        out.update({r[0]: Candidate._make(r) for r in conn.execute(stmt).all()})
    return out


FOUND = "eligibility_found"  # the temporary table a PostgreSQL run decides into
ENTRY = "eligibility_run_entry"  # a run's listed people, keyed by (run, person)


def decide_into_run(
    conn: Connection,
    run_id: int,
    rule: CheckedRule,
    county_code: str,
    org_code: str,
    day: date,
    *,
    roster_rule: str | None,
) -> tuple[int, list[Group]]:
    """Decide the run in the database and store every person it selects as an item, without
    a row coming to Python: each live person of the subtree the conditions select, listed
    ``kept`` when on the active roster of ``roster_rule`` in the subtree (None: the roster
    is empty) and ``new`` otherwise, with the tier's label and amount (none when no tier
    holds) and no reason yet. The people a run must judge one by one (the conflicted, the
    excluded, those in no tier, every one of a rule with staleness limits) are taken out
    and re-listed by the caller.

    On PostgreSQL the SELECT runs as ``CREATE TEMPORARY TABLE … AS`` — planned in parallel
    like the bare count, which an ``INSERT … SELECT`` is not in PostgreSQL 15 — and the
    items are copied from it inside the server. Returns the newest observation id the
    deciding snapshot held (read in the same statement on PostgreSQL, whose statements
    each take their own snapshot; in the same transaction on SQLite): an explanation put
    together later reads the log up to it; and (list, tier, amount, how many) of the items
    written (``item_groups``; on PostgreSQL counted from the INSERT's own RETURNING)."""
    d = _decider(rule, day)
    main = d.src.main  # type: ignore[attr-defined]
    found = (
        select(
            main.c.entity_id,
            main.c.org_code,
            d.tier.label("tier"),  # type: ignore[attr-defined]
            _high_water().label("seen"),
        )
        .select_from(from_clause(d.src))  # type: ignore[arg-type]
        .where(
            # the rule's own conditions first: PostgreSQL keeps the written order among
            # conditions of one cost, and the subtree's two text comparisons (collation
            # aware) then run only on the few rows the conditions leave, not on every row
            d.holds,  # type: ignore[arg-type]
            main.c.county_code == county_code,
            in_subtree(main.c.org_code, org_code),
            *live("person", main),
        )
    )
    if is_postgres(conn):
        compiled = found.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {FOUND} ON COMMIT DROP AS {compiled}",
            compiled.params,  # type: ignore[arg-type]
        )
        rows = table_clause(
            FOUND,
            column_clause("entity_id"),
            column_clause("org_code"),
            column_clause("tier"),
            column_clause("seen"),
        )
        source = select(rows).subquery()
    else:
        source = found.subquery()
    listed = (
        case(
            (
                source.c.entity_id.in_(_roster_ids(county_code, roster_rule, org_code)),
                literal("kept"),
            ),
            else_=literal("new"),
        )
        if roster_rule is not None
        else literal("new")
    )
    labels = {i: t.label for i, (t, _) in enumerate(rule.tiers)}
    amounts = {i: t.amount for i, (t, _) in enumerate(rule.tiers)}
    it = t(ENTRY)
    stmt = insert(it).from_select(
        ["run_id", "entity_id", "list", "org_code", "tier", "amount", "reason"],
        select(
            literal(run_id, Integer),
            source.c.entity_id,
            listed,
            source.c.org_code,
            case(labels, value=source.c.tier, else_=None) if labels else null(),
            case(
                {i: literal(a, it.c.amount.type) for i, a in amounts.items()},
                value=source.c.tier,
                else_=None,
            )
            if amounts
            else null(),
            literal(""),
        ),
    )
    if not is_postgres(conn):
        conn.execute(stmt)
        return log_high_water(conn), item_groups(conn, run_id)
    # the figures come back from the INSERT itself (no second pass over the items)
    ins = stmt.returning(it.c.list, it.c.tier, it.c.amount).cte("ins")
    by = (ins.c.list, ins.c.tier, ins.c.amount)
    groups = _groups(conn.execute(select(*by, func.count()).group_by(*by)))
    seen = conn.exec_driver_sql(f"SELECT seen FROM {FOUND} LIMIT 1").scalar()
    return (int(seen) if seen is not None else log_high_water(conn)), groups


def _roster_ids(county_code: str, rule_key: str, org_code: str):  # type: ignore[no-untyped-def]
    et = t("eligibility_enrolment")
    return select(et.c.entity_id).where(
        et.c.county_code == county_code,
        et.c.rule_key == rule_key,
        in_subtree(et.c.org_code, org_code),
        et.c.ended.is_(None),
    )


def item_ids(
    conn: Connection,
    run_id: int,
    *,
    listed: str | None = None,
    tierless: bool = False,
) -> set[int]:
    """People among a run's items: all, those on one list, or those in no tier."""
    it = t(ENTRY)
    q = select(it.c.entity_id).where(it.c.run_id == run_id)
    if listed is not None:
        q = q.where(it.c.list == listed)
    if tierless:
        q = q.where(it.c.tier.is_(None))
    return {r[0] for r in conn.execute(q)}


def items_enrolled_in(
    conn: Connection, run_id: int, county_code: str, rule_keys: Sequence[str]
) -> dict[int, list[str]]:
    """entity → the benefits of ``rule_keys`` it is actively enrolled in, for a run's items
    (one join in the database: a county's run lists tens of thousands)."""
    if not rule_keys:
        return {}
    it, et = t(ENTRY), t("eligibility_enrolment")
    out: dict[int, list[str]] = {}
    for eid, key in conn.execute(
        select(it.c.entity_id, et.c.rule_key)
        .join(et, et.c.entity_id == it.c.entity_id)
        .where(
            it.c.run_id == run_id,
            et.c.county_code == county_code,
            et.c.rule_key.in_(list(rule_keys)),
            et.c.ended.is_(None),
        )
    ):
        out.setdefault(eid, []).append(key)
    return out


class Group(NamedTuple):
    """How many of a run's items share a list, a tier and an amount (-n: taken out)."""

    list: str
    tier: str | None
    amount: Decimal | None
    n: int


def item_groups(conn: Connection, run_id: int) -> list[Group]:
    """(list, tier, amount, how many) of a run's items."""
    it = t(ENTRY)
    by = (it.c.list, it.c.tier, it.c.amount)
    return _groups(
        conn.execute(select(*by, func.count()).where(it.c.run_id == run_id).group_by(*by))
    )


def _groups(rows) -> list[Group]:  # type: ignore[no-untyped-def]
    return [Group(r[0], r[1], r[2], int(r[3])) for r in rows]


def delete_items(conn: Connection, run_id: int, entity_ids: Iterable[int]) -> list[Group]:
    """Take ``entity_ids`` out of a run's items (to be listed again, judged one by one);
    returns each item taken out as a group of -1."""
    it = t(ENTRY)
    ids = sorted(set(entity_ids))
    out: list[Group] = []
    for start in range(0, len(ids), 500):
        out += [
            Group(r[0], r[1], r[2], -1)
            for r in conn.execute(
                delete(it)
                .where(it.c.run_id == run_id, it.c.entity_id.in_(ids[start : start + 500]))
                .returning(it.c.list, it.c.tier, it.c.amount)
            )
        ]
    return out


class Listed(NamedTuple):
    """One stored item of a run with the person's identity as the sheet holds it now."""

    entity_id: int
    list: str
    org_code: str
    tier: str | None
    amount: Decimal | None
    reason: str
    name: str | None
    id_number: str | None
    household: int | None
    merged_into: int | None


def listed_items(
    conn: Connection,
    run_id: int,
    *,
    which: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Listed]:
    """A run's items in list order — by village, then person — with each person's name,
    ID number and household (a page, a roster, the API read what they show)."""
    it = t(ENTRY)
    st = sheet_table("person")
    q = (
        select(
            it.c.entity_id,
            it.c.list,
            it.c.org_code,
            it.c.tier,
            it.c.amount,
            it.c.reason,
            st.c.name,
            st.c.id_number,
            st.c.household,
            st.c.merged_into,
        )
        .select_from(it.outerjoin(st, st.c.entity_id == it.c.entity_id))
        .where(it.c.run_id == run_id)
        .order_by(it.c.org_code, it.c.entity_id)
    )
    if which is not None:
        q = q.where(it.c.list == which)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [Listed._make(r) for r in conn.execute(q)]


def update_run(conn: Connection, run_id: int, values: Mapping[str, object]) -> None:
    rt = t("eligibility_run")
    conn.execute(update(rt).where(rt.c.id == run_id).values(**values))


def conflicted_ids(
    conn: Connection, county_code: str, org_code: str, keys: Sequence[str]
) -> set[int]:
    """People in the subtree with a conflict on one of ``keys`` (their own or household's).

    Driven from the county's open conflicts (few) rather than from the subtree's people (a
    whole county): the conflicted entities first, then which of their people lie in scope."""
    ct = t("conflict")
    st = sheet_table("person")
    out: set[int] = set()
    for prefix, column in (("person.", st.c.entity_id), ("household.", st.c.household)):
        wanted = [k for k in keys if k.startswith(prefix)]
        if not wanted:
            continue
        ids = sorted(
            {
                r[0]
                for r in conn.execute(
                    select(ct.c.entity_id).where(
                        ct.c.county_code == county_code, ct.c.field_key.in_(wanted)
                    )
                )
            }
        )
        for start in range(0, len(ids), 500):
            out |= {
                r[0]
                for r in conn.execute(
                    select(st.c.entity_id).where(
                        column.in_(ids[start : start + 500]),
                        st.c.county_code == county_code,
                        in_subtree(st.c.org_code, org_code),
                    )
                )
            }
    return out


@dataclass(slots=True)
class Person:
    entity_id: int
    org_code: str
    name: str | None
    id_number: str | None
    household: int | None
    merged_into: int | None


def people(conn: Connection, entity_ids: Iterable[int]) -> dict[int, Person]:
    st = sheet_table("person")
    ids = sorted(set(entity_ids))
    out = {}
    for start in range(0, len(ids), 500):
        for r in conn.execute(
            select(
                st.c.entity_id,
                st.c.org_code,
                st.c.name,
                st.c.id_number,
                st.c.household,
                st.c.merged_into,
            ).where(st.c.entity_id.in_(ids[start : start + 500]))
        ):
            out[r.entity_id] = Person(*r)
    return out


def inputs_of(
    conn: Connection,
    dictionary: Dictionary,
    persons: Mapping[int, Person | Candidate],
    keys: Sequence[str],
    *,
    upto: int | None = None,
) -> dict[int, dict[str, Input]]:
    """Each person's inputs from the observation log, resolved by the current-value rule:
    the value, the winning source and its valid-from, and the other sources' values when
    they disagree. Household fields are read from the person's household.

    ``upto``: only observations with an id up to it (``log_high_water`` of a run), so an
    explanation put together after the run reads the log the run read — the log only grows.
    """
    person_keys = [k for k in keys if not k.startswith("household.")]
    household_keys = [k for k in keys if k.startswith("household.")]
    out: dict[int, dict[str, Input]] = {eid: {} for eid in persons}
    if person_keys:
        log = _log(conn, persons.keys(), person_keys, upto)
        for eid, by_field in log.items():
            out[eid].update(_inputs(dictionary, by_field))
    if household_keys:
        hh = {p.household for p in persons.values() if p.household is not None}
        log = _log(conn, hh, household_keys, upto)
        resolved = {h: _inputs(dictionary, by_field) for h, by_field in log.items()}
        for eid, p in persons.items():
            if p.household is not None:
                out[eid].update(resolved.get(p.household, {}))
    return out


def _high_water():  # type: ignore[no-untyped-def]
    o = t("observation")
    return select(func.coalesce(func.max(o.c.id), 0)).scalar_subquery()


def log_high_water(conn: Connection) -> int:
    """The newest observation id (one look at the primary key's end): what a run read."""
    return int(conn.execute(select(_high_water())).scalar_one())


def _log(
    conn: Connection, entity_ids: Iterable[int], keys: Sequence[str], upto: int | None = None
) -> dict[int, dict[str, list[Observation]]]:
    """entity → field → its observations in log order, for ``keys`` only: the columns the
    resolution needs, fetched in bulk (a run reads a few fields of thousands of people)."""
    o = t("observation")
    cols = (o.c.entity_id, o.c.id, o.c.field_key, o.c.value, o.c.kind, o.c.source)
    stmt = select(*cols, o.c.valid_from, o.c.recorded_at)
    if upto is not None:
        stmt = stmt.where(o.c.id <= upto)
    ids = sorted(set(entity_ids))
    out: dict[int, dict[str, list[Observation]]] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            stmt.where(
                o.c.entity_id.in_(ids[start : start + 500]), o.c.field_key.in_(keys)
            ).order_by(o.c.entity_id, o.c.id)
        ).all()
        for eid, *rest in rows:
            out.setdefault(eid, {}).setdefault(rest[1], []).append(Observation(*rest))
    return out


def _inputs(dictionary: Dictionary, by_field) -> dict[str, Input]:  # type: ignore[no-untyped-def]
    out = {}
    # a field one source said once (most of them) resolves to that word, as ``resolve``
    # would decide it, without the ranking
    several = {}
    for key, obs in by_field.items():
        if len(obs) == 1 and key in dictionary.fields:
            o = obs[0]
            out[key] = Input(key, o.value, o.source, o.valid_from)
        else:
            several[key] = obs
    for key, res in observations_to_resolutions(dictionary, several).items():
        w = res.winner
        others = ()
        if res.in_conflict:
            others = tuple((o.source, o.value, o.valid_from) for o in res.disagreeing)
        out[key] = Input(
            key,
            res.value,
            w.source if w else None,
            w.valid_from if w else None,
            others,
        )
    return out


# ------------------------------------------------------------------------------------ runs
ITEM_COLUMNS = ("run_id", "entity_id", "list", "org_code", "tier", "amount", "reason")


def insert_run(
    conn: Connection,
    values: dict[str, object],
    items: Iterable[tuple[int, str, str, str | None, Decimal | None, str]] = (),
) -> int:
    """The run row, then its items (``insert_items``); returns the run's id."""
    rt = t("eligibility_run")
    run_id = int(conn.execute(insert(rt).values(**values).returning(rt.c.id)).scalar_one())
    insert_items(conn, run_id, items)
    return run_id


def insert_items(
    conn: Connection,
    run_id: int,
    items: Iterable[tuple[int, str, str, str | None, Decimal | None, str]],
) -> None:
    """A run's items — (entity, list, org code, tier, amount, reason) — in one bulk write
    (COPY on PostgreSQL, the driver's executemany on SQLite): a statement compiled per row
    costs more than a run's own SELECT. Amounts go as their decimal text (exact on both
    backends)."""
    rows = [
        (run_id, eid, which, org, tier, None if amount is None else str(amount), reason)
        for eid, which, org, tier, amount, reason in items
    ]
    if rows:
        bulk_insert(conn, ENTRY, ITEM_COLUMNS, rows)


def get_run(conn: Connection, run_id: int):  # type: ignore[no-untyped-def]
    rt = t("eligibility_run")
    return conn.execute(select(rt).where(rt.c.id == run_id)).first()


def run_items(conn: Connection, run_id: int) -> list:  # type: ignore[type-arg]
    """Every listed person of a run (``eligibility_run_item`` for a run made before 0014)."""
    for name in (ENTRY, "eligibility_run_item"):
        it = t(name)
        rows = list(conn.execute(select(it).where(it.c.run_id == run_id).order_by(it.c.entity_id)))
        if rows:
            return rows
    return []


def mark_confirmed(conn: Connection, run_id: int) -> None:
    rt = t("eligibility_run")
    conn.execute(update(rt).where(rt.c.id == run_id).values(confirmed=True))


def run_totals(conn: Connection, org_code: str | None) -> dict[str, object]:
    """Ledger figures: confirmed runs' people paid, monthly amount, values read from data."""
    rt = t("eligibility_run")
    q = select(
        func.count(),
        func.coalesce(func.sum(rt.c.new + rt.c.kept), 0),
        func.coalesce(func.sum(rt.c.amount), 0),
        func.coalesce(func.sum(rt.c.values_read), 0),
    ).where(rt.c.confirmed.is_(True))
    if org_code:
        q = q.where(in_subtree(rt.c.org_code, org_code))
    runs, paid, amount, values = conn.execute(q).one()
    return {
        "runs": int(runs),
        "people_paid": int(paid),
        "amount": Decimal(str(amount)).quantize(Decimal("0.01")),
        "values_from_data": int(values),
    }
