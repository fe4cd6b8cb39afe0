"""Loading a real county's org tree and recording its later changes as dated events.

``load_org_tree`` reads the NBS statistical division codes for one county (CSV in UTF-8 or
GBK, or XLSX) and optionally the county's grid list, checks them (codes nest, names unique
under a parent, one county), and compares them with the database. ``apply=False`` only
returns the diff; otherwise the whole diff is applied in one transaction: new units added,
renamed or reclassed units (村 → 社区, a new 城乡分类代码) changed in place with a dated
``org_event`` each, so ``org_as_of`` still reads the old name for earlier days. Units the file
no longer lists are reported, never deleted; ``merge_org`` records a merger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.org_load import Plan, parse_divisions, parse_grids, plan_changes
from onesheet.domain.synth.reference import divisions
from onesheet.linkage.reading import read_export
from onesheet.services.base import Store, local_today, service, utcnow
from onesheet.store import audit, org_events, orgs
from onesheet.store.org_events import OrgEvent, UnitAsOf


@dataclass(frozen=True)
class LoadResult:
    plan: Plan
    applied: bool


def _read(data: bytes, filename: str | None):  # type: ignore[no-untyped-def]
    return read_export(data, filename)


@service("orgs_load", permission="seed.run", audit="orgs.load")
def load_org_tree(
    store: Store,
    actor: Actor,
    data: bytes,
    filename: str | None = None,
    *,
    grids: bytes | None = None,
    grids_filename: str | None = None,
    effective: date | None = None,
    apply: bool = True,
) -> LoadResult:
    """Check the files, work out the diff against the database, and (``apply``) apply it."""
    table = _read(data, filename)
    county_names = {code: d.name for code, d in divisions().items()}
    loaded = parse_divisions(
        table.headings,
        table.rows,
        first_row=table.first_row,
        file=filename,
        county_names=county_names,
    )
    findings = list(loaded.findings)
    units = list(loaded.units)
    if grids is not None and loaded.county_code:
        gt = _read(grids, grids_filename)
        villages = {u.code: u for u in units if u.level == "village"}
        grid_units, grid_findings = parse_grids(
            gt.headings, gt.rows, villages, first_row=gt.first_row, file=grids_filename
        )
        units += grid_units
        findings += grid_findings
    if loaded.county_code is None and not findings:
        findings.append(Finding("orgs.empty", "文件中没有区划代码", "no division codes", filename))
    if (
        actor.org_code
        and loaded.county_code
        and not loaded.county_code.startswith(actor.org_code[:6])
    ):
        findings.append(
            Finding(
                "orgs.scope",
                f"县 {loaded.county_code} 不在您的管辖范围内",
                f"county {loaded.county_code} is outside your scope",
                filename,
            )
        )
    if findings:
        raise InvalidInput(findings)
    county = loaded.county_code
    assert county is not None
    day = effective or local_today()
    with store.transaction() as conn:
        existing, classes = org_events.county_units(conn, county)
        plan = plan_changes(
            county, units, loaded.urban_rural, existing, classes, with_grids=grids is not None
        )
        if not apply:
            return LoadResult(plan, False)
        first_load = not existing
        by_code = {u.code: u for u in units}
        adds = [by_code[c.code] for c in plan.changes if c.kind == "add"]
        org_events.add_units(conn, adds, loaded.urban_rural)
        events: list[OrgEvent] = []
        for c in plan.changes:
            if c.kind == "add" and not first_load:
                events.append(
                    OrgEvent(c.code, "create", day, None, c.new_name, None, c.new_kind, None,
                             c.new_class, None, actor.username, filename or "")
                )  # fmt: skip
            if c.kind in ("rename", "reclass"):
                org_events.change_unit(
                    conn, c.code, name=c.new_name or "", kind=c.new_kind or "",
                    urban_rural=c.new_class,
                )  # fmt: skip
                events.append(
                    OrgEvent(c.code, c.kind, day, c.old_name, c.new_name, c.old_kind,
                             c.new_kind, c.old_class, c.new_class, None, actor.username,
                             filename or "")
                )  # fmt: skip
        now = utcnow()
        org_events.add_events(conn, county, events, now)
        counts = plan.counts()
        audit.write_event(
            conn,
            actor,
            "orgs.load",
            now=now,
            county_code=county,
            detail=f"{filename or '-'} " + " ".join(f"{k}={v}" for k, v in counts.items()),
        )
        return LoadResult(plan, True)


@service("orgs_merge", permission="seed.run", audit="orgs.merge")
def merge_org(
    store: Store, actor: Actor, code: str, into: str, *, effective: date | None = None
) -> None:
    """Record that unit ``code`` was merged into ``into`` on ``effective``: the old unit
    keeps its row (ended, pointing at the survivor) and its history; nothing is deleted."""
    day = effective or local_today()
    with store.transaction() as conn:
        old, new = orgs.get_org(conn, code), orgs.get_org(conn, into)
        problems = []
        if old is None or new is None:
            problems.append(
                Finding("orgs.unknown", f"机构 {code} 或 {into} 不存在", "unknown org unit")
            )
        elif old.level != new.level or old.county_code != new.county_code or code == into:
            problems.append(
                Finding(
                    "orgs.merge_level",
                    "只能并入同一县内同一层级的另一机构",
                    "a unit merges only into another of the same level and county",
                )
            )
        if problems:
            raise InvalidInput(problems)
        assert old is not None and new is not None
        org_events.mark_merged(conn, code, into, day)
        org_events.add_events(
            conn,
            old.county_code,
            [
                OrgEvent(
                    code,
                    "merge",
                    day,
                    old.name,
                    new.name,
                    old.kind,
                    new.kind,
                    None,
                    None,
                    into,
                    actor.username,
                    "",
                )
            ],
            utcnow(),
        )
        audit.write_event(
            conn, actor, "orgs.merge", now=utcnow(), county_code=old.county_code,
            detail=f"{code} → {into} {day.isoformat()}",
        )  # fmt: skip


@service("orgs_as_of", permission="orgs.read", audit=None)
def org_as_of(store: Store, actor: Actor, code: str, day: date) -> UnitAsOf | None:
    """The unit as it stood on ``day``: its name, kind and class then, and whether it
    existed (a unit created later, or merged away by then, did not)."""
    with store.engine.connect() as conn:
        return org_events.unit_as_of(conn, code, day)


@service("orgs_events", permission="orgs.read", audit=None)
def org_history(store: Store, actor: Actor, code: str) -> list[OrgEvent]:
    """Every dated change of one unit."""
    with store.engine.connect() as conn:
        return org_events.events_of(conn, code)
