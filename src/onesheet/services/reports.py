"""One-click reports (一键报表): an approved template filled from the sheet, in its own layout.

One service for the CLI, the API and (later) the pages: check the template is approved and
the org unit is in the actor's scope, compile the spec to one SELECT, stream the rows
through the renderer (XLSX / CSV / JSON), then record the run (rows, values filled from the
sheet, values missing) and an audit event, all in one transaction.

Access follows ``sheet_read``: columns the actor may not see are left empty and noted on
待采集; masked fields (ID numbers, phones, accounts) are masked unless the actor's grant
unmasks them; a roster may not filter on a field the actor cannot see (the filter would
reveal it). Aggregate cells are counts, not personal data, so their conditions may use
any field.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Literal

from onesheet.domain.access import AccessDenied, Actor, field_visibility, require_org
from onesheet.domain.findings import refuse
from onesheet.domain.report_columns import (
    WHY_DRAFT,
    WHY_MISSING,
    WHY_UNMAPPED,
    ColumnPlan,
    cell_converter,
    org_part,
    plan_roster,
)
from onesheet.domain.report_filters import (
    NULL_OPS,
    CheckedAll,
    CheckedFilter,
    check_filter,
    conditions_of,
)
from onesheet.domain.template_spec import TemplateSpec
from onesheet.export import RenderContext, RenderRow, RenderStats, write_csv, write_xlsx
from onesheet.export.json_out import write_json
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, county_fields, orgs, report_runs
from onesheet.store.db import Connection
from onesheet.store.report_query import (
    ChildOrg,
    aggregate_select,
    child_orgs,
    roster_select,
    sources_for,
    stream_rows,
    units_at,
)
from onesheet.store.templates import TemplateNotApproved, TemplateNotFound, get_template

Format = Literal["xlsx", "csv", "json"]
FORMATS: tuple[str, ...] = ("xlsx", "csv", "json")
ENTITY_LABELS = {
    "person": "人员",
    "household": "户",
    "enterprise": "企业",
    "house": "房屋",
    "place": "场所",
}
LABEL_COLUMNS = {"person": "name", "household": "household_no", "enterprise": "name"}
TOTAL_LABEL = "合计"


@dataclass(frozen=True)
class ReportResult:
    """What one run produced (also what ``report_run`` records)."""

    template_id: str
    title: str
    org_code: str
    org_name: str
    report_date: date
    format: str
    rows: int
    values_filled: int
    values_missing: int
    seconds: float


@dataclass
class _Counts:
    filled: int = 0
    missing: int = 0
    ids: list[int] | None = None


def _approved_spec(conn: Connection, template_id: str) -> TemplateSpec:
    """The spec of an approved template; anything else is refused with the reason.

    The same rule as ``services.forms.approved_template``, read in this service's own
    transaction; importing ``services.forms`` would also load the form importer (~70 MB of
    RSS, measured) into every report run.
    """
    row = get_template(conn, template_id)
    if row is None:
        raise TemplateNotFound(template_id)
    if row.status != "approved":
        raise TemplateNotApproved(template_id, row.status)
    return row.spec


@service("reports_run", permission="reports.run", audit="reports.run")
def run_report(
    store: Store,
    actor: Actor,
    template_id: str,
    org_code: str,
    report_date: date | None,
    fmt: Format,
    out: Path | BinaryIO,
    *,
    encoding: Literal["utf-8-sig", "gb18030"] = "utf-8-sig",
    rows_by: Literal["town", "village", "grid"] | None = None,
) -> ReportResult:
    """Fill template ``template_id`` for ``org_code`` as of ``report_date`` into ``out``.

    An aggregate has one row per org unit directly below ``org_code``, or with ``rows_by``
    one per unit of that level inside it (a county's table by village: 按村汇总).

    ``out`` is a path (written to a temp file and renamed only on success) or a binary
    stream (the API's). Raises AccessDenied outside the actor's scope, InvalidInput for an
    unknown or unapproved template, an unknown org unit or an invalid filter.
    """
    if fmt not in FORMATS:
        refuse("report.format", fmt=fmt, formats=FORMATS)
    when = report_date or date.today()
    start = time.perf_counter()
    require_org(actor, org_code)
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        spec = _approved_spec(conn, template_id)
        org = orgs.get_org(conn, org_code)
        if org is None:
            refuse("report.org", org_code=org_code)
        names = orgs.names_by_code(conn, org.county_code)
        counts = _Counts(ids=[])
        if spec.kind == "aggregate":
            units = units_at(conn, org_code, rows_by) if rows_by else child_orgs(conn, org_code)
            county = org.county_code
            rows, notes = _aggregate_rows(
                store, actor, conn, spec, county, org_code, units, when, counts
            )
        else:
            rows, notes = _roster_rows(store, actor, conn, spec, org_code, when, names, counts)
        ctx = RenderContext(org.name, when, actor.username, notes)
        stats = _render(spec, rows, out, ctx, fmt, encoding)
        counts.missing = stats.missing
        seconds = time.perf_counter() - start
        result = ReportResult(
            template_id,
            spec.title,
            org_code,
            org.name,
            when,
            fmt,
            stats.rows,
            counts.filled,
            counts.missing,
            round(seconds, 3),
        )
        _record(conn, actor, spec, org.county_code, result, counts)
    return result


def _render(
    spec: TemplateSpec,
    rows: Iterator[RenderRow],
    out: Path | BinaryIO,
    ctx: RenderContext,
    fmt: str,
    encoding: Literal["utf-8-sig", "gb18030"],
) -> RenderStats:
    if fmt == "xlsx":
        return write_xlsx(spec, rows, out, ctx)
    if fmt == "csv":
        return write_csv(spec, rows, out, ctx, encoding=encoding)
    return write_json(spec, rows, out, ctx)


def _record(
    conn: Connection,
    actor: Actor,
    spec: TemplateSpec,
    county: str,
    result: ReportResult,
    counts: _Counts,
) -> None:
    """The ``report_run`` row the ledger reads, and the audit event of what was read."""
    now = utcnow()
    report_runs.insert_run(
        conn,
        template_id=result.template_id,
        county_code=county,
        org_code=result.org_code,
        report_date=result.report_date,
        actor=actor.username,
        role=actor.role,
        at=now,
        format=result.format,
        rows=result.rows,
        values_filled=result.values_filled,
        values_missing=result.values_missing,
        seconds=result.seconds,
    )
    fields = [c.field for c in spec.columns if c.field and c.kind == "field"]
    audit.write_event(
        conn,
        actor,
        "reports.run",
        now=now,
        county_code=county,
        entity_type=spec.entity,
        entity_ids=counts.ids or [],  # every one: who read person X must be answerable
        fields=fields,
        detail=(
            f"template={spec.id} org={result.org_code} date={result.report_date.isoformat()} "
            f"kind={spec.kind} rows={result.rows} format={result.format}"
        ),
    )


# --------------------------------------------------------------------------------- roster
def _visible_plans(
    store: Store, actor: Actor, spec: TemplateSpec, plans: Sequence[ColumnPlan]
) -> tuple[list[tuple[ColumnPlan, str]], list[tuple[str, str, str]]]:
    """(plan, visibility) of the columns the actor may see; a note for each hidden one."""
    shown, notes = [], []
    for plan in plans:
        if plan.field is None:
            shown.append((plan, "full"))
            continue
        vis = field_visibility(actor, plan.field, store.grants)
        if vis == "hidden":
            label = plan.column.heading.split("/")[-1]
            why = "无权查看此字段（需经审核授予字段权限），整列留空"
            notes.append((f"全部{ENTITY_LABELS.get(spec.entity, '')}", label, why))
        else:
            shown.append((plan, vis))
    return shown, notes


def _check_roster_filter(store: Store, actor: Actor, spec: TemplateSpec) -> CheckedFilter | None:
    if spec.filter is None:
        return None
    entities = frozenset({spec.entity, "household"} if spec.entity == "person" else {spec.entity})
    checked = check_filter(spec.filter, store.dictionary, entities)
    _check_filter_access(store, actor, checked)
    return checked


def _check_filter_access(store: Store, actor: Actor, checked: CheckedFilter | None) -> None:
    """Refuse a filter that would reveal what the actor may not see.

    A hidden field may not be filtered on at all. A masked field (ID numbers, phones) only
    by whether it is filled: which rows a comparison lets through, or how many it counts,
    would give back the hidden digits one query at a time.
    """
    hidden, masked = [], []
    for c in conditions_of(checked):
        vis = field_visibility(actor, c.field, store.grants)
        if vis == "hidden":
            hidden.append(c.field.key)
        elif vis == "masked" and c.op not in NULL_OPS:
            masked.append(c.field.key)
    if hidden:
        raise AccessDenied(
            f"报表筛选条件使用了您无权查看的字段：{'、'.join(sorted(set(hidden)))}",
            f"the template filters on fields you may not read: {sorted(set(hidden))}",
        )
    if masked:
        raise AccessDenied(
            f"报表筛选条件按脱敏字段取值筛选：{'、'.join(sorted(set(masked)))}（仅可按是否为空筛选）",
            f"the template compares masked fields {sorted(set(masked))} (only empty/filled)",
        )


def _roster_rows(
    store: Store,
    actor: Actor,
    conn: Connection,
    spec: TemplateSpec,
    org_code: str,
    when: date,
    names: dict[str, str],
    counts: _Counts,
) -> tuple[Iterator[RenderRow], list[tuple[str, str, str]]]:
    plans = plan_roster(spec, store.dictionary)
    flt = _check_roster_filter(store, actor, spec)
    shown, notes = _visible_plans(store, actor, spec, plans)
    src = sources_for(spec.entity, [p for p, _ in shown], flt)
    stmt = roster_select(
        src,
        [p for p, _ in shown],
        flt,
        county_code=org_code[:6],
        org_code=org_code,
        report_date=when,
        label_column=LABEL_COLUMNS.get(spec.entity),
    )
    build = _row_builder(store, spec, shown, names, when, counts)
    return (build(r) for r in stream_rows(conn, stmt)), notes


def _row_builder(
    store: Store,
    spec: TemplateSpec,
    shown: Sequence[tuple[ColumnPlan, str]],
    names: dict[str, str],
    when: date,
    counts: _Counts,
) -> Callable[[object], RenderRow]:
    """A function turning one SELECT row into the form's row (hot path: kept flat)."""
    n = len(spec.columns)
    tables = store.dictionary.code_tables
    merge = any(c.merge_by_household for c in spec.columns)
    entity_label = ENTITY_LABELS.get(spec.entity, spec.entity)
    last_household: list[object] = [object()]
    ids = counts.ids if counts.ids is not None else []
    # (index, result key, converter, counts on every row) per column read from SQL
    read = [
        (
            p.index,
            f"c{p.index}",
            cell_converter(p, vis, tables, when),
            not p.column.merge_by_household,
        )
        for p, vis in shown
        if p.source not in ("none", "org")
    ]
    orgs_ = [(p.index, p.column_name or "") for p, _ in shown if p.source == "org"]
    blanks = [
        (p.index, WHY_DRAFT if p.column.field else WHY_UNMAPPED)
        for p, _ in shown
        if p.source == "none" and p.column.kind == "blank"
    ]

    def build(r) -> RenderRow:  # type: ignore[no-untyped-def]
        m = r._mapping
        cells: list[object] = [None] * n
        missing = list(blanks)
        household = m["household_id"]
        top = household is None or household != last_household[0]
        last_household[0] = household
        filled = 0
        for i, key, convert, always in read:
            v = m[key]
            if v is None:
                missing.append((i, WHY_MISSING))
            else:
                cells[i] = convert(v)
                if always or top:
                    filled += 1
        org_code = m["org_code"]
        for i, level in orgs_:
            name = org_part(org_code, level, names)
            if name is None:
                missing.append((i, WHY_MISSING))
            else:
                cells[i] = name
                filled += 1
        counts.filled += filled
        ids.append(m["entity_id"])
        label = m.get("label") or f"{entity_label}#{m['entity_id']}"
        village = names.get(org_code[:12], "")
        return RenderRow(
            cells,
            household=household if merge else None,
            missing=missing,
            entity_label=f"{label}（{village}）" if village else str(label),
        )

    return build


# ------------------------------------------------------------------------------ aggregate
def _aggregate_rows(
    store: Store,
    actor: Actor,
    conn: Connection,
    spec: TemplateSpec,
    county: str,
    org_code: str,
    children: Sequence[ChildOrg],
    when: date,
    counts: _Counts,
) -> tuple[Iterator[RenderRow], list[tuple[str, str, str]]]:
    if not children:
        refuse("report.org_leaf")
    d = store.dictionary
    entities = frozenset({spec.entity, "household"} if spec.entity == "person" else {spec.entity})
    base = check_filter(spec.filter, d, entities, "filter") if spec.filter else None
    _check_filter_access(store, actor, base)
    cells = {}
    for i, col in enumerate(spec.columns):
        if col.kind not in ("count", "sum"):
            continue
        cond = check_filter(col.condition, d, entities, col.letter) if col.condition else None
        _check_filter_access(store, actor, cond)
        if base is not None:
            cond = CheckedAll((base, cond)) if cond is not None else base
        summed = d.fields.get(col.field or "") if col.kind == "sum" else None
        if col.kind == "sum" and (summed is None or summed.type not in ("integer", "decimal")):
            refuse("report.sum_field", letter=col.letter, key=col.field)
        cells[i] = (col, cond, summed)
    plans_fields = [c for _, c, _ in cells.values() if c is not None]
    src = sources_for(
        spec.entity,
        [],
        CheckedAll(tuple(plans_fields)) if plans_fields else None,
        with_household=any(s is not None and s.entity == "household" for _, _, s in cells.values()),
        extra_fields=[s for _, _, s in cells.values() if s is not None],
    )
    stmt = aggregate_select(
        src,
        cells,
        county_code=county,
        org_code=org_code,
        child_length=len(children[0].code),
        report_date=when,
    )
    found = {r.child: r._mapping for r in conn.execute(stmt)}
    rows = []
    totals: dict[int, object] = dict.fromkeys(cells, 0)
    for child in children:
        got = found.get(child.code)
        values = {i: (got[f"a{i}"] if got is not None else 0) or 0 for i in cells}
        for i, v in values.items():
            totals[i] = totals[i] + v  # type: ignore[operator]
        rows.append(_aggregate_row(spec, child.name, values, is_total=False))
    rows.append(_aggregate_row(spec, TOTAL_LABEL, totals, is_total=True))
    counts.filled = len(cells) * len(rows)
    return iter(rows), []


def _aggregate_row(
    spec: TemplateSpec, name: str, values: dict[int, object], *, is_total: bool
) -> RenderRow:
    """One org unit's row: its name in the name column, each count/sum in its cell."""
    cells: list[object] = [None] * len(spec.columns)
    named = False
    for i, col in enumerate(spec.columns):
        if i in values:
            v = values[i]
            cells[i] = int(v) if float(v).is_integer() else v  # type: ignore[arg-type]
        elif col.kind == "field" and col.field == "org.name":
            cells[i], named = name, True
    if is_total and not named:
        first = next((i for i, c in enumerate(spec.columns) if c.kind != "count"), 0)
        cells[first] = name
    return RenderRow(cells, is_total=is_total)


# --------------------------------------------------------------------------------- history
@dataclass(frozen=True)
class RunRecord:
    """One recorded run, as ``reports history`` lists it."""

    id: int
    template_id: str
    org_code: str
    report_date: date
    actor: str
    role: str
    at: object
    format: str
    rows: int
    values_filled: int
    values_missing: int
    seconds: float


@service("reports_history", permission="reports.history", audit=None)
def report_history(store: Store, actor: Actor, *, limit: int = 50) -> list[RunRecord]:
    """Recent runs in the actor's scope, newest first (counts only: no personal data)."""
    with store.transaction() as conn:
        rows = report_runs.recent_runs(conn, actor.org_code, limit=limit)
    return [
        RunRecord(
            r.id,
            r.template_id,
            r.org_code,
            r.report_date,
            r.actor,
            r.role,
            r.at,
            r.format,
            r.rows,
            r.values_filled,
            r.values_missing,
            float(r.seconds),
        )
        for r in rows
    ]
