"""Loading a real county's org tree and recording its later changes as dated events.

``load_org_tree`` reads the NBS statistical division codes for one county (CSV in UTF-8 or
GBK, or XLSX) and optionally the county's grid list, checks them (codes nest, names unique
under a parent, one county), and compares them with the database. ``apply=False`` only
returns the diff; otherwise the whole diff is applied in one transaction: new units added,
renamed or reclassed units (村 → 社区, a new 城乡分类代码) changed in place with a dated
``org_event`` each, so ``org_as_of`` still reads the old name for earlier days. Units the file
no longer lists are reported, never deleted.

A merger (a village merged into another) comes either from ``merge_org`` or from a later
file whose 并入 column names a unit's survivor; a village that reappears under the same name
with another town's code is a move. Either way the old unit keeps its row (ended, pointing
at the survivor), a dated ``org_event`` is written, and everything placed in it follows
(``org_events.move_members``: people, households, their sheet rows, open conflicts and open
collection tasks), each moved entity with a placement observation dated the merger, so
``entity_org_as_of`` still answers the old village for any earlier day.

A town (乡镇/街道) merged into another takes its villages along under the codes the bureau
published for them beneath the survivor — ``merge_org`` with the published table (checked
by ``domain.org_merge``), or a later file listing them under the survivor: each village is
created anew there and the old one moved into it (grids follow with their own digits),
then the town itself is merged, in one transaction. The old village rows keep their old
town as parent, so any earlier day still reads the old town.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from onesheet.domain import write_scope
from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.org_load import (
    Change,
    Plan,
    cell_text,
    find_column,
    parse_divisions,
    parse_grids,
    plan_changes,
    short_code,
)
from onesheet.domain.org_merge import Renumbered, plan_town_merger, read_renumbering
from onesheet.domain.orgunits import LEVEL_LABELS_ZH, OrgUnit
from onesheet.domain.synth.reference import divisions
from onesheet.linkage.reading import read_export
from onesheet.services.base import Store, local_today, service, utcnow
from onesheet.store import audit, ids, org_events, orgs
from onesheet.store.org_events import Moved, OrgEvent, UnitAsOf
from onesheet.store.recorder import start_batch

MERGE_HEADINGS = ("并入", "并入代码", "撤并入", "并入单位代码", "合并入", "merged_into")
KINDS = ("add", "rename", "reclass", "merge", "move", "absent")


@dataclass
class OrgChange(Change):
    """A change of the diff that ``domain.org_load`` does not make itself: a ``merge`` (the
    file's 并入 column) or a ``move`` (the same name under another town's code)."""

    into_code: str | None = None

    def describe(self) -> str:
        if self.kind == "merge":
            return f"> 撤并 {self.code} {self.old_name} 并入 {self.into_code} {self.new_name}"
        if self.kind == "move":
            return f"> 迁移 {self.code} {self.old_name} → 新代码 {self.into_code}（人员随迁）"
        return super().describe()


@dataclass(frozen=True)
class LoadResult:
    plan: Plan
    applied: bool
    followed: dict[str, int] = field(default_factory=dict)  # entity type → moved by mergers

    def counts(self) -> dict[str, int]:
        """How many changes of each kind, merges and moves included, and the unchanged."""
        counts = dict.fromkeys(KINDS, 0)
        for c in self.plan.changes:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        return counts | {"unchanged": self.plan.unchanged}


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
    merges, merge_findings = _merge_column(table, units, filename)
    findings += merge_findings
    if findings:
        raise InvalidInput(findings)
    county = loaded.county_code
    assert county is not None
    day = effective or local_today()
    with store.transaction() as conn:
        existing, classes = org_events.county_units(conn, county)
        live = {u.code: u for u in existing}
        unknown = [
            Finding(
                "orgs.merge_unknown",
                f"第 {row} 行：{code} 并入 {into}，但 {code if code not in live else into} "
                "尚未装入",
                f"row {row}: {code} merges into {into}, but it is not loaded",
                filename,
                row,
            )
            for code, (into, row) in merges.items()
            if code not in live or (into not in live and into not in {u.code for u in units})
        ]
        if unknown:
            raise InvalidInput(unknown)
        plan = _with_merges_and_moves(
            plan_changes(
                county,
                [u for u in units if u.code not in merges],
                loaded.urban_rural,
                existing,
                classes,
                with_grids=grids is not None,
            ),
            {c: into for c, (into, _) in merges.items()},
            {u.code: u.name for u in [*existing, *units]},
        )
        unplaced = _town_villages_left(plan, existing, filename)
        if unplaced:
            raise InvalidInput(unplaced)
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
        followed: dict[str, int] = {}
        batch_id = None
        for c in plan.changes:
            if c.kind in ("merge", "move") and isinstance(c, OrgChange) and c.into_code:
                if batch_id is None:
                    batch_id = _merge_batch(conn, county, actor, now, filename or c.kind)
                moved = _merge(
                    conn, actor, live[c.code], c.into_code, day, batch_id, now,
                    kind=c.kind, note=filename or "",
                )  # fmt: skip
                if c.kind == "move" or live[c.code].level == "village":
                    merged_name = live[c.code].name if c.kind == "merge" else None
                    moved = moved.plus(
                        _carry_grids(conn, actor, c.code, c.into_code, day, batch_id, now,
                                     filename or "", merged_name=merged_name)
                    )  # fmt: skip
                for k, v in moved.entities.items():
                    followed[k] = followed.get(k, 0) + v
                if moved.users:
                    followed["user"] = followed.get("user", 0) + moved.users
        counts = LoadResult(plan, True).counts()
        audit.write_event(
            conn,
            actor,
            "orgs.load",
            now=now,
            county_code=county,
            detail=f"{filename or '-'} " + " ".join(f"{k}={v}" for k, v in counts.items()),
        )
        return LoadResult(plan, True, followed)


def _merge_column(
    table, units: list[OrgUnit], filename: str | None
) -> tuple[dict[str, tuple[str, int]], list[Finding]]:  # type: ignore[no-untyped-def]
    """unit code → (survivor code, file row) from the optional 并入 column."""
    mi = find_column(table.headings, MERGE_HEADINGS)
    ci = find_column(table.headings, ("统计用区划代码", "区划代码", "行政区划代码", "代码", "code"))
    if mi is None or ci is None:
        return {}, []
    levels = {u.code: u.level for u in units}
    out: dict[str, tuple[str, int]] = {}
    findings: list[Finding] = []
    for offset, row in enumerate(table.rows):
        n = table.first_row + offset
        into_text = cell_text(row[mi] if mi < len(row) else None)
        if not into_text:
            continue
        own = short_code(cell_text(row[ci] if ci < len(row) else None))
        into = short_code(into_text)
        if own is None or into is None or own[0] != into[0] or own[1] == into[1]:
            findings.append(
                Finding(
                    "orgs.merge_level",
                    f"第 {n} 行：并入代码 {into_text} 不是同一层级的另一机构",
                    f"row {n}: merge target {into_text} is not another unit of the same level",
                    filename,
                    n,
                )
            )
            continue
        if own[1] in levels:
            out[own[1]] = (into[1], n)
    return out, findings


def _with_merges_and_moves(plan: Plan, merges: dict[str, str], names: dict[str, str]) -> Plan:
    """The plan with the merged units' absences turned into merges, and a unit gone from
    one town that reappears under the same name in another turned into a move."""
    added = {(c.level, c.new_name): c for c in plan.changes if c.kind == "add"}
    out: list[Change] = []
    for c in plan.changes:
        if c.kind == "absent" and c.code in merges:
            into = merges[c.code]
            out.append(
                OrgChange("merge", c.code, c.level, old_name=c.old_name,
                          new_name=names.get(into), into_code=into)
            )  # fmt: skip
            continue
        new = added.get((c.level, c.old_name)) if c.kind == "absent" else None
        if new is not None and c.level == "village" and new.code[:9] != c.code[:9]:
            out.append(
                OrgChange("move", c.code, c.level, old_name=c.old_name,
                          new_name=c.old_name, into_code=new.code)
            )  # fmt: skip
            continue
        out.append(c)
    plan.changes = out
    return plan


def _town_villages_left(plan: Plan, existing: list[OrgUnit], filename: str | None) -> list[Finding]:
    """A town merged by the file must take all its villages along: each live village of it
    has to reappear under the survivor (a move) or be merged itself, else it would be left
    under a town that no longer exists."""
    towns = {
        c.code: c.into_code
        for c in plan.changes
        if isinstance(c, OrgChange) and c.kind == "merge" and c.level == "town"
    }
    going = {c.code for c in plan.changes if c.kind in ("merge", "move")}
    return [
        finding(
            "orgs.town_codes",
            code=u.parent_code,
            village=u.code,
            name=u.name,
            into=towns[u.parent_code],
            file=filename,
        )
        for u in existing
        if u.level == "village" and u.parent_code in towns and u.code not in going
    ]


def _merge_batch(conn, county: str, actor: Actor, now: datetime, what: str) -> int:  # type: ignore[no-untyped-def]
    batch_id = ids.allocate(conn, "batch", 1, county)[0]
    start_batch(
        conn, batch_id, kind="org_merge", county_code=county, source=org_events.PLACEMENT_SOURCE,
        actor=actor.username, now=now, description=f"org merge {what}",
    )  # fmt: skip
    return batch_id


def _merge(
    conn, actor: Actor, old: OrgUnit, into: str, day: date, batch_id: int, now: datetime,
    *, kind: str = "merge", note: str = "",
) -> Moved:  # type: ignore[no-untyped-def]  # fmt: skip
    """Mark ``old`` merged into ``into`` on ``day`` with a dated event, and move what was
    placed in it (see the module)."""
    new = orgs.get_org(conn, into)
    org_events.mark_merged(conn, old.code, into, day)
    org_events.add_events(
        conn,
        old.county_code,
        [
            OrgEvent(
                old.code,
                kind,
                day,
                old.name,
                new.name if new else None,
                old.kind,
                new.kind if new else None,
                None,
                None,
                into,
                actor.username,
                note,
            )
        ],
        now,
    )
    return org_events.move_members(
        conn, county=old.county_code, old=old.code, new=into, effective=day,
        batch_id=batch_id, actor=actor.username, now=now, why=kind,
    )  # fmt: skip


def _check_merger(conn, actor: Actor, code: str, into: str) -> tuple[OrgUnit, OrgUnit]:  # type: ignore[no-untyped-def]
    """Both units, or the one reason the merger cannot be: unknown, into itself, across
    counties or levels, or a unit that was itself merged away already."""
    old, new = orgs.get_org(conn, code), orgs.get_org(conn, into)
    if old is None or new is None:
        raise InvalidInput([finding("orgs.unknown", code=code, into=into)])
    write_scope.require_county(actor, old.county_code)
    if code == into:
        raise InvalidInput([finding("orgs.merge_self", code=code)])
    if old.county_code != new.county_code:
        raise InvalidInput([finding("orgs.merge_county", code=code, into=into)])
    if old.level != new.level:
        raise InvalidInput([finding("orgs.merge_level")])
    for unit in (old, new):
        ended = org_events.merged_into(conn, unit.code)
        if ended is not None:
            raise InvalidInput(
                [finding("orgs.merge_ended", code=unit.code, survivor=ended[0], day=ended[1])]
            )
    return old, new


def _town_plan(
    conn, town: OrgUnit, into: OrgUnit, codes: bytes | None, filename: str | None
) -> list[Renumbered]:  # type: ignore[no-untyped-def]
    """The merged town's villages with their published codes under ``into``, or every
    problem of the table (a town with villages cannot merge without one)."""
    villages = [u for u in org_events.live_children(conn, town.code) if u.level == "village"]
    rows, findings = [], []
    if codes is not None:
        table = _read(codes, filename)
        rows, findings = read_renumbering(
            table.headings, table.rows, first_row=table.first_row, file=filename
        )
    if findings:
        raise InvalidInput(findings)
    survivors = [u for u in org_events.live_children(conn, into.code) if u.level == "village"]
    taken = orgs.names_by_code(conn, town.county_code)
    classes = org_events.classes_of(conn, [v.code for v in villages])
    renumbered, findings = plan_town_merger(
        town, into, villages, classes, rows, survivors, taken, file=filename
    )
    if findings:
        raise InvalidInput(findings)
    return renumbered


def _renumber_villages(
    conn, actor: Actor, town: OrgUnit, into: OrgUnit, renumbered: list[Renumbered],
    day: date, batch_id: int, now: datetime, note: str,
) -> Moved:  # type: ignore[no-untyped-def]  # fmt: skip
    """Each village of the merged town starts anew under ``into`` with its published code
    (a ``create`` event), and the old village moves into it (a ``move`` event): its row
    stays, ended, still under the old town, so the past reads as it was."""
    units = [
        OrgUnit(n.new_code, n.name, "village", into.code, into.county_code, n.kind, "real")
        for n in renumbered
    ]
    org_events.add_units(conn, units, {n.new_code: n.klass for n in renumbered if n.klass})
    org_events.add_events(
        conn,
        into.county_code,
        [
            OrgEvent(n.new_code, "create", day, None, n.name, None, n.kind, None, n.klass,
                     None, actor.username, note)
            for n in renumbered
        ],
        now,
    )  # fmt: skip
    moved = Moved({}, 0, 0)
    villages = {u.code: u for u in org_events.live_children(conn, town.code)}
    for n in renumbered:
        old = villages[n.old_code]
        moved = moved.plus(
            _merge(conn, actor, old, n.new_code, day, batch_id, now, kind="move", note=note)
        )
        moved = moved.plus(
            _carry_grids(conn, actor, n.old_code, n.new_code, day, batch_id, now, note)
        )
    return moved


def _carry_grids(
    conn, actor: Actor, old_village: str, new_village: str, day: date, batch_id: int,
    now: datetime, note: str, *, merged_name: str | None = None,
) -> Moved:  # type: ignore[no-untyped-def]  # fmt: skip
    """A village that moved to a new code takes its grids along: each grid gets the new
    village's code with its own three digits (unless a grid list already added that code)
    and the old grid moves into it.

    A village merged into a living one (``merged_name``: the merged village's name) takes
    its grids along too - else the people placed in them would stay behind under an ended
    village, out of reach of its accounts, which follow the survivor. The survivor's grids
    with the same digits are other grids, so each gets the first free code under the
    survivor and keeps the merged village's name before its own; a grid account follows
    its grid, and so keeps a grid's scope."""
    moved = Moved({}, 0, 0)
    for grid in org_events.live_children(conn, old_village):
        code = new_village + grid.code[len(old_village) :]
        name = grid.name
        if merged_name is not None:
            taken = {u.code for u in org_events.live_children(conn, new_village)}
            code = next(c for n in range(1, 1000) if (c := f"{new_village}{n:03d}") not in taken)
            name = f"{merged_name}{grid.name}"
        if orgs.get_org(conn, code) is None:
            org_events.add_units(
                conn,
                [OrgUnit(code, name, "grid", new_village, grid.county_code, grid.kind,
                         grid.source)],
                {},
            )  # fmt: skip
            org_events.add_events(
                conn, grid.county_code,
                [OrgEvent(code, "create", day, None, name, None, grid.kind, None, None,
                          None, actor.username, note)],
                now,
            )  # fmt: skip
        moved = moved.plus(_merge(conn, actor, grid, code, day, batch_id, now, kind="move",
                                  note=note))  # fmt: skip
    return moved


@service("orgs_merge", permission="seed.run", audit="orgs.merge")
def merge_org(
    store: Store,
    actor: Actor,
    code: str,
    into: str,
    *,
    effective: date | None = None,
    codes: bytes | None = None,
    codes_filename: str | None = None,
) -> Moved:
    """Record that unit ``code`` was merged into ``into`` on ``effective``: the old unit
    keeps its row (ended, pointing at the survivor) and its history; nothing is deleted.
    Its people, households, open tasks and accounts follow the survivor (see the module).

    A town (乡镇/街道) takes its villages along: ``codes`` is the published table of their
    new codes under the survivor (统计用区划代码 with 原代码 or 名称, CSV or XLSX); each
    village moves to its new code (grids too), then the town itself is merged — all in one
    transaction, refused whole if any village lacks a clean new code."""
    day = effective or local_today()
    with store.transaction() as conn:
        old, new = _check_merger(conn, actor, code, into)
        if codes is not None and old.level != "town":
            raise InvalidInput(
                [finding("orgs.renumber_only_towns", code=code, level=LEVEL_LABELS_ZH[old.level])]
            )
        renumbered = (
            _town_plan(conn, old, new, codes, codes_filename) if old.level == "town" else []
        )
        now = utcnow()
        batch_id = _merge_batch(conn, old.county_code, actor, now, f"{code}→{into}")
        moved = Moved({}, 0, 0)
        if renumbered:
            note = f"{old.name} 并入 {new.name}"
            moved = _renumber_villages(
                conn, actor, old, new, renumbered, day, batch_id, now, codes_filename or note
            )
        moved = moved.plus(_merge(conn, actor, old, into, day, batch_id, now))
        if old.level == "village":  # its grids (and who is placed in them) come along
            moved = moved.plus(
                _carry_grids(conn, actor, code, into, day, batch_id, now,
                             f"{old.name} 并入 {new.name}", merged_name=old.name)
            )  # fmt: skip
        followed = " ".join(f"{k}={v}" for k, v in sorted(moved.entities.items()))
        audit.write_event(
            conn, actor, "orgs.merge", now=now, county_code=old.county_code,
            detail=f"{code} → {into} {day.isoformat()} {followed} villages={len(renumbered)} "
            f"users={moved.users} tasks_moved={moved.open_tasks_moved} "
            f"tasks_joined={moved.open_tasks_joined}",
        )  # fmt: skip
        return moved


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


@service("orgs_entity_as_of", permission="orgs.read", audit=None)
def entity_org_as_of(store: Store, actor: Actor, entity_id: int, day: date) -> str | None:
    """The unit an entity (person, household, …) was placed in on ``day``: before a
    merger, the merged village; from its date on, the survivor."""
    with store.engine.connect() as conn:
        return org_events.entity_org_as_of(conn, entity_id, day)


@dataclass(frozen=True)
class TreeOverview:
    """What the org-load page shows before a file: the county's live units by level, how
    many were merged away, and its latest dated changes (newest first)."""

    county_code: str | None
    county_name: str | None
    live: dict[str, int]
    merged: int
    events: list[OrgEvent]


@service("orgs_overview", permission="seed.run", audit=None)
def org_tree_overview(store: Store, actor: Actor, *, latest: int = 30) -> TreeOverview:
    """The administrator's county (or the first loaded one for a county-less admin)."""
    with store.engine.connect() as conn:
        counties = [u for u in orgs.list_orgs(conn) if u.level == "county"]
        mine = [u for u in counties if actor.org_code and u.code == actor.org_code[:6]]
        county = (mine or counties or [None])[0]
        if county is None:
            return TreeOverview(None, None, {}, 0, [])
        units, _ = org_events.county_units(conn, county.code)
        live: dict[str, int] = {}
        for u in units:
            live[u.level] = live.get(u.level, 0) + 1
        events = org_events.events_of(conn, county=county.code)
    merged = sum(1 for e in events if e.kind in ("merge", "move"))
    return TreeOverview(county.code, county.name, live, merged, events[::-1][:latest])
