"""Import a department's export into the sheet: read, map, validate, link, record.

One import is one batch in one write transaction: either every accepted row's values land,
or (an error, a kill) nothing does. The batch carries the content hash of file + department +
entity + the mapping a person confirmed, so the same file imported again adds nothing, and
the same file with another mapping is a new import; an import that would write nothing (every
row refused) leaves no batch behind, so it never blocks the corrected file. Values are
recorded by the recorder with the department as source, so authority (一数一源) and conflicts
work as for any write.

No key, no new person (``linkage/link``): a new person comes only from a row with a valid ID
number the sheet does not hold, or from a person's decision in the queue. Every other row
the linkage cannot place with confidence waits in the review queue (``services/
linkage_queue``) with its candidates, the evidence for each, why it waits, its household
number and the ID cell as typed when it was invalid. An invalid ID number is never silently
stripped: each is a finding (row, column, the value) beside the row's outcome.

Scope (``domain/write_scope``): the source is the actor's own — a department user imports
only as its department, town staff only as the village collection (``village``), never as a
department; only an administrator imports on a department's behalf, and the batch and the
audit event say so. Rows link only to people of the actor's subtree, and a file that would
touch anything outside it (a person another town holds, a new person at home elsewhere, a
household elsewhere) is refused whole, naming the rows.

Locking: reading the sheet and linking (the slow part: Splink) happen in a read-only
snapshot before the write transaction, so on SQLite the write lock (every transaction there
is ``BEGIN IMMEDIATE``) is held only while the batch is written. The snapshot records the
batch counter; the write transaction re-checks it under its lock and reads and links again
if another batch landed in between.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from onesheet.domain import write_scope
from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput, refuse
from onesheet.domain.write_scope import Touched
from onesheet.linkage import place_rows
from onesheet.linkage.columns import plan_columns
from onesheet.linkage.enterprise import EnterpriseInput, EnterpriseRecord, link_enterprises
from onesheet.linkage.link import LinkConfig, LinkInput, Outcome, link_people
from onesheet.linkage.reading import read_export
from onesheet.linkage.records import PersonRecord
from onesheet.linkage.rows import KEY_FIELDS, ParsedRow, parse_rows
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, ids, link_store, places
from onesheet.store.db import Connection
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite, record, start_batch

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is check / link / write; done and total are rows."""


@dataclass
class ImportSummary:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    department: str
    entity: str
    encoding: str | None
    rows_read: int = 0
    linked: int = 0
    created: int = 0
    queued: int = 0
    rejected: int = 0
    observations: int = 0
    batch_id: int | None = None
    already_imported: bool = False
    dry_run: bool = False
    methods: dict[str, int] = field(default_factory=dict)  # key|repaired|model|queued|new
    mapping: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


class _DryRun(Exception):
    """Raised inside the write transaction to roll a dry run back."""


class _SheetMoved(Exception):
    """Raised inside the write transaction when the sheet changed since it was read."""


OPTIMISTIC_READS = 2
"""Reads (and links) outside the write lock before the last attempt does it all under it."""


def _content_hash(
    data: bytes, department: str, entity: str, mapping: Mapping[str, str] | None = None
) -> str:
    """File + department + entity (+ the confirmed mapping, when one was given: the same
    bytes read another way are another import)."""
    tail = f"\0{department}\0{entity}"
    if mapping:
        tail += "\0" + json.dumps(sorted((k.upper(), v) for k, v in mapping.items()))
    return hashlib.sha256(data + tail.encode()).hexdigest()


@dataclass
class _Job:
    """One import's inputs, checked: who, as which source, over which file."""

    store: Store
    actor: Actor
    summary: ImportSummary
    data: bytes
    digest: str
    table: Any  # the export as read (headings, rows)
    mapping: Mapping[str, str] | None
    county_code: str | None
    config: LinkConfig | None
    progress: Progress | None
    rows: list[ParsedRow] | None = None  # accepted rows, once parsed
    refused: list[Finding] = field(default_factory=list)  # the rows' refused values


@dataclass
class _View:
    """What the import read of the sheet, and the batch counter it read it at."""

    mark: int
    county: str
    earlier: int | None = None
    people: list[dict[str, Any]] = field(default_factory=list)
    villages: list[tuple[str, str]] = field(default_factory=list)
    holders: dict[str, tuple[int, str]] = field(default_factory=dict)
    households: dict[str, tuple[int, str]] = field(default_factory=dict)


@service("data_import", permission="data.import", audit="data.import")
def import_file(
    store: Store,
    actor: Actor,
    source: bytes | Path,
    *,
    department: str,
    filename: str | None = None,
    entity: str = "person",
    mapping: Mapping[str, str] | None = None,
    county_code: str | None = None,
    dry_run: bool = False,
    config: LinkConfig | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one export file as one batch; see the module docstring.

    Scope: the observations' source is the actor's own (``write_scope.own_source``: a
    department user only as its department, town staff only as the village collection, an
    administrator on a department's behalf, audited as such); rows link only to people in
    the actor's subtree, and the whole file is refused, nothing written, when any row would
    touch a person, household or home outside it.

    Locking: the sheet is read and the rows linked in a read-only snapshot, then only the
    writing runs in the write transaction, which re-checks the batch counter read with the
    snapshot; if another batch landed in between, the import reads and links again (the
    last attempt does everything under the lock, so an import always finishes).
    """
    if entity not in KEY_FIELDS and entity != "place":
        refuse("import.entity")
    # A joint wording (住建/应急) offers both departments; an unknown one says "did you mean".
    dept = write_scope.own_source(actor, store.dictionary.require_department(department))
    if county_code:
        write_scope.require_county(actor, county_code)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    filename = filename or (source.name if isinstance(source, Path) else "upload")
    table = read_export(data, filename)
    summary = ImportSummary(filename, dept, entity, table.encoding)
    job = _Job(
        store,
        actor,
        summary,
        data,
        _content_hash(data, dept, entity, mapping),
        table,
        mapping,
        county_code,
        config,
        progress,
    )
    for attempt in range(OPTIMISTIC_READS + 1):
        view: _View | None = None
        outcomes: dict[int, Outcome] | None = None
        if attempt < OPTIMISTIC_READS:  # read and link without the write lock
            with link_store.snapshot(store.engine) as conn:
                view = _read(conn, job)
            if view.earlier is not None:
                return _already(summary, view.earlier)
            outcomes = _link(job, view)
        try:
            with store.transaction() as conn:
                if view is None or outcomes is None:  # the last attempt: all under the lock
                    view = _read(conn, job, lock=True)
                    if view.earlier is not None:
                        return _already(summary, view.earlier)
                    outcomes = _link(job, view)
                elif link_store.high_water(conn, view.county, lock=True) != view.mark:
                    raise _SheetMoved  # another batch landed since the read: link again
                _write(conn, job, view, outcomes)
                if dry_run:
                    raise _DryRun
        except _SheetMoved:
            continue
        except _DryRun:
            summary.dry_run, summary.batch_id, summary.observations = True, None, 0
        return summary
    raise AssertionError("unreachable: the last attempt reads, links and writes under the lock")


def _already(summary: ImportSummary, batch_id: int) -> ImportSummary:
    summary.already_imported, summary.batch_id = True, batch_id
    return summary


def _read(conn: Connection, job: _Job, *, lock: bool = False) -> _View:
    """Everything the import needs from the database, read at one batch-counter mark: an
    earlier import of the same file, else the people of the actor's subtree, the org names
    addresses are matched against, and who holds the file's ID and household numbers."""
    county = _county(conn, job.actor, job.county_code)
    mark = link_store.high_water(conn, county, lock=lock)
    view = _View(mark, county, link_store.import_batch_by_hash(conn, job.digest))
    if view.earlier is not None:
        return view
    view.villages = link_store.villages(conn, county)
    if job.summary.entity == "place":  # a 所属网格 column places a place below its village
        view.villages += places.grids(conn, county)
    if job.rows is None:
        _parse(job, view.villages, _default_home(job.actor, county))
    rows = job.rows or []
    entity = job.summary.entity
    if entity == "enterprise":
        view.people = link_store.sheet_enterprises(conn, county, job.actor.org_code)
    elif entity == "place":  # places are known by name within their village
        view.people = places.sheet_places(conn, county, job.actor.org_code)
    else:
        view.people = link_store.sheet_people(conn, county, job.actor.org_code)
    view.holders = link_store.holders(conn, entity, {r.key.number for r in rows if r.key.number})
    numbers = {no for r in rows if (no := r.extra.get("household.household_no"))}
    if numbers and set(job.store.dictionary.fields) >= HOUSEHOLD_FIELDS:
        view.households = link_store.households_by_number(conn, county, numbers)
    return view


def _parse(job: _Job, villages: list[tuple[str, str]], home: str) -> None:
    """Map the columns and check every value (pure): accepted rows and findings. A place
    must lie in a village: ``villages`` and the actor's ``home`` place it."""
    summary, store, progress, table = job.summary, job.store, job.progress, job.table
    samples = {
        c: [r[c] for r in table.rows[:30] if r[c] is not None] for c in range(len(table.headings))
    }
    plan = plan_columns(
        table.headings,
        samples,
        store.dictionary,
        department=summary.department,
        overrides=job.mapping,
        filename=summary.file,
    )
    summary.mapping = plan.as_letters()
    rows, findings = parse_rows(
        table.rows,
        plan,
        store.dictionary,
        summary.entity,
        first_row=table.first_row,
        filename=summary.file,
        progress=(lambda n: progress("check", n, len(table.rows))) if progress else None,
    )
    rows, unknown = _identifiable(rows, summary.file, summary.entity)
    if summary.entity == "place":  # org names place the row; the file's kind fills gaps
        place_rows.prepare(rows, store.dictionary, table.headings, summary.file)
        rows, unplaced = place_rows.placed(rows, home, villages, summary.file)
        unknown += unplaced
    summary.findings = job.refused = table.findings + findings + unknown
    summary.rows_read = sum(1 for r in table.rows if any(v is not None for v in r))
    summary.rows_read += len({f.row for f in table.findings})  # refused while reading
    summary.rejected = len({f.row for f in summary.findings})
    job.rows = rows


def _county(conn: Connection, actor: Actor, given: str | None) -> str:
    if given:
        return given  # checked against the actor's own county before anything was read
    if actor.county_code:
        return actor.county_code
    found = link_store.counties(conn)
    if len(found) != 1:
        raise InvalidInput(
            [Finding("import.county", "请指定县级代码（--county）", "choose a county (--county)")]
        )
    return found[0]


def _link(job: _Job, view: _View) -> dict[int, Outcome]:
    """Link every accepted row to the people of the actor's subtree (pure; no store), then
    refuse the whole file if any row would touch something outside that subtree."""
    rows = job.rows or []
    progress = job.progress
    if job.summary.entity == "place":
        home = _default_home(job.actor, view.county)
        outcomes = place_rows.link(rows, view.people, home, view.villages)
        if progress:
            progress("link", len(rows), len(rows))
        write_scope.require_all(job.actor, _touched(job, view, outcomes))
        return outcomes
    if job.summary.entity == "enterprise":
        firms = [
            EnterpriseRecord(int(p["entity_id"]), p["name"], p["uscc"], p["address"])
            for p in view.people
        ]
        given = [
            EnterpriseInput(
                EnterpriseRecord(
                    i,
                    r.values.get("enterprise.name"),
                    r.key.number or r.key.text or None,
                    r.values.get("enterprise.address"),
                ),
                r.key,
            )
            for i, r in enumerate(rows)
        ]
        outcomes = link_enterprises(given, firms)
        if progress:
            progress("link", len(given), len(given))
        write_scope.require_all(job.actor, _touched(job, view, outcomes))
        return outcomes
    sheet = [_sheet_record(p) for p in view.people]
    inputs = [LinkInput(r.record(i), r.key) for i, r in enumerate(rows)]
    on_link = (lambda n: progress("link", n, len(inputs))) if progress else None
    outcomes = link_people(inputs, sheet, job.config, progress=on_link)
    write_scope.require_all(job.actor, _touched(job, view, outcomes))
    return outcomes


KEY_LABELS = {
    "person": ("身份证号码", "ID number", "id"),
    "enterprise": ("统一社会信用代码", "credit code (USCC)", "uscc"),
}


def _id_findings(
    rows: list[ParsedRow], outcomes: Mapping[int, Outcome], file: str, entity: str = "person"
) -> list[Finding]:
    """A finding for every key cell (ID number, USCC) that was not a valid one: repaired, or
    left out of the sheet (the row linked by its other values, or queued as typed)."""
    out: list[Finding] = []
    if entity not in KEY_LABELS:  # places have no key to be broken
        return out
    zh_label, en_label, code = KEY_LABELS[entity]
    key_field = KEY_FIELDS[entity]
    for i, row in enumerate(rows):
        if row.key.status != "broken":
            continue
        o, raw = outcomes[i], row.raw_id or ""
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        where = {"file": file, "row": row.row_no, "column": row.id_column, "field": key_field}
        if o.method == "repaired":
            zh = f"{zh_label}“{shown}”无效，已按名称相符的记录更正为 {o.number}"
            en = f"invalid {en_label} '{shown}' repaired to {o.number} (the holder's name agrees)"
            out.append(Finding(f"{code}.repaired", zh, en, **where))  # type: ignore[arg-type]
            continue
        fate_zh, fate_en = (
            (
                "该行已按其他信息关联，号码未写入",
                "row linked by its other values; number not recorded",
            )
            if o.method == "model"
            else (
                "该行待人工核对，原值保留在待核条目中",
                "row queued for review with the value as typed",
            )
        )
        reason = row.key.problem.message_zh if row.key.problem else ""
        out.append(
            Finding(
                f"{code}.invalid",
                f"{zh_label}“{shown}”无效（{reason}）；{fate_zh}",
                f"invalid {en_label} '{shown}'"
                + (f" ({row.key.problem.message_en})" if row.key.problem else "")
                + f"; {fate_en}",
                **where,  # type: ignore[arg-type]
            )
        )
    return out


def _touched(job: _Job, view: _View, outcomes: Mapping[int, Outcome]) -> list[Touched]:
    """Per row, what writing it would touch: the person it links to, or the home of a new
    (or queued) person; the holder of its ID number; the household its 户号 names."""
    org_of = {int(p["entity_id"]): str(p["org_code"]) for p in view.people}
    home = _default_home(job.actor, view.county)
    out: list[Touched] = []
    for i, row in enumerate(job.rows or []):
        o = outcomes[i]
        if o.entity_id is not None:
            out.append(write_scope.row(row.row_no, org_of.get(o.entity_id)))
        else:
            where = _home(row.values, home, view.villages, row.extra)
            out.append(write_scope.row(row.row_no, where, "住址在辖区外", "home outside your area"))
        number = o.number or row.key.number
        holder = view.holders.get(number) if number else None
        if holder is not None and holder[0] != o.entity_id:
            out.append(
                write_scope.row(
                    row.row_no,
                    holder[1],
                    "身份证号码属于辖区外的人员",
                    "the ID number is a person's outside your area",
                )
            )
        household = view.households.get(row.extra.get("household.household_no") or "")
        if household is not None and o.method != "review":
            out.append(
                write_scope.row(
                    row.row_no, household[1], "户号属于辖区外的户", "household outside your area"
                )
            )
    return out


def _default_home(actor: Actor, county: str) -> str:
    """Where a new person whose address names no village lives: the actor's own unit below
    the county (a town's import stays in the town), else the county."""
    org = actor.org_code
    return org if org and org.startswith(county) and len(org) > len(county) else county


def _write(conn: Connection, job: _Job, view: _View, outcomes: Mapping[int, Outcome]) -> None:
    """The batch: observations of linked and new people, households, queue entries, audit."""
    summary, actor, store, progress = job.summary, job.actor, job.store, job.progress
    rows, dept, county = job.rows or [], summary.department, view.county
    summary.linked = summary.created = summary.queued = 0  # counted afresh on every attempt
    if progress:
        progress("write", 0, len(rows))
    now = utcnow()
    behalf = write_scope.on_behalf(actor, dept)
    summary.findings = job.refused + _id_findings(rows, outcomes, summary.file, summary.entity)
    summary.methods = _methods(outcomes)
    org_of = {int(p["entity_id"]): str(p["org_code"]) for p in view.people}
    home = _default_home(actor, county)
    writes, queue, row_entity = _writes(
        conn, rows, outcomes, org_of, (county, home, view.villages), dept, now, summary
    )
    if summary.entity == "person" and set(store.dictionary.fields) >= HOUSEHOLD_FIELDS:
        writes += _households(conn, rows, row_entity, writes, view.households, dept, now, county)
    # the rule once more over exactly what is about to be written
    write_scope.require_all(
        actor,
        [write_scope.entity(w.entity_id, w.org_code) for w in writes]
        + [write_scope.row(e["row_no"], e["org_code"]) for e in queue],
    )
    if not writes and not queue:  # every row refused: no batch, nothing to block a re-import
        summary.batch_id, summary.observations = None, 0
        if progress:
            progress("write", len(rows), len(rows))
        return
    batch_id = ids.allocate(conn, "batch", 1, county)[0]
    start_batch(
        conn,
        batch_id,
        kind="import",
        county_code=county,
        source=dept,
        actor=actor.username,
        now=now,
        description=f"import {summary.file}" + (f" on behalf of {dept}" if behalf else ""),
        content_hash=job.digest,
    )
    for e in queue:
        e["batch_id"] = batch_id
    written = 0
    if writes:  # every row may have been queued
        written = record(
            conn,
            store.dictionary,
            writes,
            county_code=county,
            batch_id=batch_id,
            actor=actor.username,
            now=now,
        ).observations
    link_store.add_queue_entries(conn, queue)
    summary.batch_id, summary.observations = batch_id, written
    detail: dict[str, object] = {"file": summary.file, "batch": batch_id, "source": dept}
    if behalf:
        name = store.dictionary.departments[dept]
        detail["on_behalf_of"] = dept
        detail["note"] = (
            f"{actor.username} 代{name.name_zh}导入 ({actor.username} imported on behalf of "
            f"{name.name_en}, {dept})"
        )
    audit.write_event(
        conn,
        actor,
        "data.import",
        now=now,
        county_code=county,
        entity_type=summary.entity,
        entity_ids=[w.entity_id for w in writes],
        detail=json.dumps(detail, ensure_ascii=False),
    )
    if progress:
        progress("write", len(rows), len(rows))


METHODS = ("key", "repaired", "model", "queued", "new")


def _methods(outcomes: Mapping[int, Outcome]) -> dict[str, int]:
    """Rows per method, every method named (0 when none): key, repaired, model, queued, new."""
    counts = Counter("queued" if o.method == "review" else o.method for o in outcomes.values())
    return {m: counts.get(m, 0) for m in METHODS}


def _identifiable(
    rows: list[ParsedRow], filename: str, entity: str = "person"
) -> tuple[list[ParsedRow], list[Finding]]:
    ok, bad = [], []
    for r in rows:
        if r.key.status == "missing" and f"{entity}.name" not in r.values:
            bad.append(
                Finding(
                    "row.unidentifiable",
                    "既无身份证号码也无姓名，无法确定是谁",
                    "neither ID number nor name: cannot tell who this is",
                    file=filename,
                    row=r.row_no,
                )
            )
        else:
            ok.append(r)
    return ok, bad


def _sheet_record(p: Mapping[str, object]) -> PersonRecord:
    return PersonRecord(
        int(p["entity_id"]),
        p["name"],
        p["id_number"],
        p["birth_date"],  # type: ignore[arg-type]
        p["gender"],
        p["phone"],
        p["current_address"],
        p["household_no"],  # type: ignore[arg-type]
    )


def _log_rows(
    entity_id: int, values: Mapping[str, str], source: str, now: datetime, entity: str = "person"
) -> list[LogRow]:
    return [LogRow(entity_id, entity, k, v, "value", now, source) for k, v in values.items()]


def _writes(conn, rows, outcomes, org_of, places, dept, now, summary):  # type: ignore[no-untyped-def]
    """EntityWrites for linked and new rows; queue entries for grey-zone rows.

    ``places`` is (county, default home, villages): where new and queued people live."""
    county, default_home, villages = places
    entity = summary.entity
    existing: dict[int, dict[str, str]] = defaultdict(dict)
    new_by_key: dict[str, dict[str, str]] = {}
    queue = []
    row_entity: dict[int, int] = {}  # import row → entity it was written to
    rows_of_key: dict[str, list[int]] = defaultdict(list)
    extra_of: dict[str, dict[str, str]] = {}  # a new entity's first row's extra (its village)
    for i, row in enumerate(rows):
        o: Outcome = outcomes[i]
        values = dict(row.values)
        if o.number:
            values[KEY_FIELDS[entity]] = o.number
        if entity == "place" and o.method == "new":  # no number: the village and the name
            where = _home(values, default_home, villages, row.extra)
            o = Outcome(o.uid, "new", number=place_rows.new_key(values, where))
        if o.method in ("key", "repaired", "model"):
            existing[o.entity_id].update(values)  # type: ignore[index]
            row_entity[i] = o.entity_id  # type: ignore[assignment]
            summary.linked += 1
        elif o.method == "review":
            queue.append(_queue_entry(row, o, values, county, dept, summary.file, now, entity))
            summary.queued += 1
        elif o.number:
            new_by_key.setdefault(o.number, {}).update(values)
            rows_of_key[o.number].append(i)
            extra_of.setdefault(o.number, row.extra)
            summary.created += 1
        else:  # no key, no new person: linkage queues such rows; this is the last guard
            raise AssertionError(f"row {row.row_no}: a new person without an ID number")
    for e in queue:
        e["org_code"] = _home(e["record"], default_home, villages, e["record"].get("_extra"))
        e["record"] = json.dumps(e["record"], ensure_ascii=False)
    writes = [
        EntityWrite(eid, entity, org_of[eid], _log_rows(eid, v, dept, now, entity))
        for eid, v in existing.items()
    ]
    fresh = list(new_by_key.items())
    block = ids.allocate(conn, "entity", len(fresh), county) if fresh else range(0)
    for eid, key in zip(block, new_by_key, strict=True):
        row_entity.update(dict.fromkeys(rows_of_key[key], eid))
    for eid, (key, values) in zip(block, fresh, strict=True):
        writes.append(
            EntityWrite(
                eid,
                entity,
                _home(values, default_home, villages, extra_of.get(key)),
                _log_rows(eid, values, dept, now, entity),
                is_new=True,
                natural_key=None if entity == "place" else key,  # a place has no number
            )
        )
    return writes, queue, row_entity


HOUSEHOLD_FIELDS = {"person.household", "household.household_no"}


def _households(conn, rows, row_entity, writes, households, dept, now, county):  # type: ignore[no-untyped-def]
    """Tie people to households by a household-number column (户号): ``person.household``.

    A number the county already holds (``households``: number → (id, org), read with the
    sheet) names that household; an unknown one becomes a new household (with its number,
    from this department) in the first member's org unit.
    Returns the new households' writes; the people's writes gain the reference in place.
    """
    number_of: dict[int, str] = {}
    for i, row in enumerate(rows):
        no = row.extra.get("household.household_no")
        if no and i in row_entity:  # queued rows wait for their decision
            number_of[i] = no
    if not number_of:
        return []
    known = {no: households[no][0] for no in set(number_of.values()) if no in households}
    fresh = sorted(set(number_of.values()) - set(known))
    block = ids.allocate(conn, "entity", len(fresh), county) if fresh else range(0)
    known.update(zip(fresh, block, strict=True))
    by_entity = {w.entity_id: w for w in writes}
    home: dict[int, str] = {}
    done: set[tuple[int, int]] = set()
    for i, no in number_of.items():
        w, hid = by_entity[row_entity[i]], known[no]
        if (w.entity_id, hid) not in done:
            done.add((w.entity_id, hid))
            ref = LogRow(w.entity_id, "person", "person.household", str(hid), "value", now, dept)
            w.rows.append(ref)
        home.setdefault(hid, w.org_code)
    out = []
    for no, hid in zip(fresh, block, strict=True):
        row = LogRow(hid, "household", "household.household_no", no, "value", now, dept)
        out.append(EntityWrite(hid, "household", home[hid], [row], is_new=True))
    return out


def _home(
    values: Mapping[str, str],
    default: str,
    villages: list[tuple[str, str]],
    extra: Mapping[str, str] | None = None,
) -> str:
    """A new person's home org unit: the village (else town) their address names, else
    ``default`` (the importing town, or the county). A place's 所属村 column names it first."""
    if "place.name" in values:
        return place_rows.home(values, extra, default, villages) or default
    addr = (
        values.get("person.current_address")
        or values.get("person.registered_address")
        or values.get("enterprise.address")
        or ""
    )
    for code, name in villages:
        if name and name in addr:
            return code
    return default


def _queue_entry(row, o, values, county, dept, file, now, entity="person"):  # type: ignore[no-untyped-def]
    """A grey-zone row: its values, its candidates with the evidence for each, why it waits,
    and what the row held besides (household number, the ID cell as typed when invalid);
    the reserved keys start with "_" and are never written as values."""
    record = dict(values)
    if row.extra:
        record["_extra"] = dict(row.extra)
    if row.key.status == "broken" and row.raw_id:
        record["_raw"] = {KEY_FIELDS[entity]: row.raw_id}
    if o.reason:
        record["_reason"] = o.reason
    evidence = o.evidence + [{}] * (len(o.candidates) - len(o.evidence))
    return {
        "county_code": county,
        "entity_type": entity,
        "kind": "import",
        "source": dept,
        "batch_id": None,  # set once the batch exists
        "file": file,
        "row_no": row.row_no,
        "record": record,
        "candidates": json.dumps(
            [[e, round(p, 4), ev] for (e, p), ev in zip(o.candidates, evidence, strict=False)],
            ensure_ascii=False,
        ),
        "best_probability": o.probability,
        "status": "open",
        "created_at": now,
    }
