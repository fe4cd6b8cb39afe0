"""Import a department's export into the sheet: read, map, validate, link, record.

One import is one batch in one transaction: either every accepted row's values land, or
(an error, a kill) nothing does. The batch carries the content hash of file + department +
entity, so the same file imported again adds nothing. Values are recorded by the recorder
with the department as source, so authority (一数一源) and conflicts work as for any write.
Grey-zone rows wait in the review queue (``services/linkage_queue``), not in the sheet.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.linkage.columns import plan_columns
from onesheet.linkage.link import LinkConfig, LinkInput, Outcome, link_people
from onesheet.linkage.reading import read_export
from onesheet.linkage.records import PersonRecord
from onesheet.linkage.rows import ParsedRow, parse_rows
from onesheet.services.base import Store, service, utcnow
from onesheet.store import audit, ids, link_store
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
    methods: dict[str, int] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _content_hash(data: bytes, department: str, entity: str) -> str:
    return hashlib.sha256(data + f"\0{department}\0{entity}".encode()).hexdigest()


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
    """Import one export file as one batch; see the module docstring."""
    if entity != "person":
        raise InvalidInput(
            [Finding("import.entity", "目前仅支持导入人员数据", "only person imports for now")]
        )
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    filename = filename or (source.name if isinstance(source, Path) else "upload")
    table = read_export(data, filename)
    summary = ImportSummary(filename, department, entity, table.encoding)
    try:
        with store.transaction() as conn:
            _run(conn, store, actor, data, table, summary, mapping, county_code, config, progress)
            if dry_run:
                raise _DryRun
    except _DryRun:
        summary.dry_run, summary.batch_id, summary.observations = True, None, 0
    return summary


def _run(conn, store, actor, data, table, summary, mapping, county_code, config, progress):  # type: ignore[no-untyped-def]
    dept = store.dictionary.department_key(summary.department)
    if dept is None:
        raise InvalidInput(
            [Finding("import.department", f"未知部门：{summary.department}", "unknown department")]
        )
    if actor.role == "department" and actor.department and actor.department != dept:
        raise AccessDenied(
            f"部门用户只能导入本部门（{actor.department}）的数据",
            f"a department user imports only its own department's data ({actor.department})",
        )
    summary.department = dept
    digest = _content_hash(data, dept, summary.entity)
    earlier = link_store.import_batch_by_hash(conn, digest)
    if earlier is not None:
        summary.already_imported, summary.batch_id = True, earlier
        return
    county = _county(conn, county_code)
    samples = {
        c: [r[c] for r in table.rows[:30] if r[c] is not None] for c in range(len(table.headings))
    }
    plan = plan_columns(
        table.headings,
        samples,
        store.dictionary,
        department=dept,
        overrides=mapping,
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
    rows, unknown = _identifiable(rows, summary.file)
    summary.findings = findings + unknown
    summary.rows_read = sum(1 for r in table.rows if any(v is not None for v in r))
    summary.rejected = len({f.row for f in summary.findings})
    people = link_store.sheet_people(conn, county)
    sheet = [_sheet_record(p) for p in people]
    inputs = [LinkInput(r.record(i), r.key) for i, r in enumerate(rows)]
    on_link = (lambda n: progress("link", n, len(inputs))) if progress else None
    outcomes = link_people(inputs, sheet, config, progress=on_link)
    if progress:
        progress("write", 0, len(rows))
    now = utcnow()
    batch_id = ids.allocate(conn, "batch", 1)[0]
    start_batch(
        conn,
        batch_id,
        kind="import",
        county_code=county,
        source=dept,
        actor=actor.username,
        now=now,
        description=f"import {summary.file}",
        content_hash=digest,
    )
    org_of = {p["entity_id"]: p["org_code"] for p in people}
    writes, queue, row_entity = _writes(
        conn, rows, outcomes, org_of, county, dept, now, batch_id, summary
    )
    if set(store.dictionary.fields) >= HOUSEHOLD_FIELDS:
        writes += _households(conn, rows, row_entity, writes, county, dept, now)
    written = 0
    if writes:  # every row may have been rejected or queued
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
    summary.methods = dict(Counter(o.method for o in outcomes.values()))
    audit.write_event(
        conn,
        actor,
        "data.import",
        now=now,
        county_code=county,
        entity_type=summary.entity,
        entity_ids=[w.entity_id for w in writes],
        detail=json.dumps({"file": summary.file, "batch": batch_id}, ensure_ascii=False),
    )
    if progress:
        progress("write", len(rows), len(rows))


def _county(conn: Connection, given: str | None) -> str:
    if given:
        return given
    found = link_store.counties(conn)
    if len(found) != 1:
        raise InvalidInput(
            [Finding("import.county", "请指定县级代码（--county）", "choose a county (--county)")]
        )
    return found[0]


def _identifiable(rows: list[ParsedRow], filename: str) -> tuple[list[ParsedRow], list[Finding]]:
    ok, bad = [], []
    for r in rows:
        if r.key.status == "missing" and "person.name" not in r.values:
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
    entity_id: int, values: Mapping[str, str], source: str, now: datetime
) -> list[LogRow]:
    return [LogRow(entity_id, "person", k, v, "value", now, source) for k, v in values.items()]


def _writes(conn, rows, outcomes, org_of, county, dept, now, batch_id, summary):  # type: ignore[no-untyped-def]
    """EntityWrites for linked and new rows; queue entries for grey-zone rows."""
    existing: dict[int, dict[str, str]] = defaultdict(dict)
    new_by_key: dict[str, dict[str, str]] = {}
    new_plain: list[dict[str, str]] = []
    queue = []
    row_entity: dict[int, int] = {}  # import row → entity it was written to
    rows_of_key: dict[str, list[int]] = defaultdict(list)
    plain_rows: list[int] = []
    for i, row in enumerate(rows):
        o: Outcome = outcomes[i]
        values = dict(row.values)
        if o.number:
            values["person.id_number"] = o.number
        if o.method in ("key", "repaired", "model"):
            existing[o.entity_id].update(values)  # type: ignore[index]
            row_entity[i] = o.entity_id  # type: ignore[assignment]
            summary.linked += 1
        elif o.method == "review":
            queue.append(_queue_entry(row, o, values, county, dept, batch_id, summary.file, now))
            summary.queued += 1
        elif o.number:
            new_by_key.setdefault(o.number, {}).update(values)
            rows_of_key[o.number].append(i)
            summary.created += 1
        else:
            new_plain.append(values)
            plain_rows.append(i)
            summary.created += 1
    villages = link_store.villages(conn, county)
    for e in queue:
        e["org_code"] = _home(e["record"], county, villages)
        e["record"] = json.dumps(e["record"], ensure_ascii=False)
    writes = [
        EntityWrite(eid, "person", org_of[eid], _log_rows(eid, v, dept, now))
        for eid, v in existing.items()
    ]
    fresh = [(k, v) for k, v in new_by_key.items()] + [(None, v) for v in new_plain]
    block = ids.allocate(conn, "entity", len(fresh)) if fresh else range(0)
    for eid, group in zip(
        block, [rows_of_key[k] for k in new_by_key] + [[i] for i in plain_rows], strict=True
    ):
        row_entity.update(dict.fromkeys(group, eid))
    for eid, (key, values) in zip(block, fresh, strict=True):
        writes.append(
            EntityWrite(
                eid,
                "person",
                _home(values, county, villages),
                _log_rows(eid, values, dept, now),
                is_new=True,
                natural_key=key,
            )
        )
    return writes, queue, row_entity


HOUSEHOLD_FIELDS = {"person.household", "household.household_no"}


def _households(conn, rows, row_entity, writes, county, dept, now):  # type: ignore[no-untyped-def]
    """Tie people to households by a household-number column (户号): ``person.household``.

    A number the county already holds names that household; an unknown one becomes a new
    household (with its number, from this department) in the first member's org unit.
    Returns the new households' writes; the people's writes gain the reference in place.
    """
    number_of: dict[int, str] = {}
    for i, row in enumerate(rows):
        no = row.extra.get("household.household_no")
        if no and i in row_entity:  # queued rows wait for their decision
            number_of[i] = no
    if not number_of:
        return []
    known = link_store.households_by_number(conn, county, set(number_of.values()))
    fresh = sorted(set(number_of.values()) - set(known))
    block = ids.allocate(conn, "entity", len(fresh)) if fresh else range(0)
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


def _home(values: Mapping[str, str], county: str, villages: list[tuple[str, str]]) -> str:
    """A new person's home org unit: the village (else town) their address names, else county."""
    addr = values.get("person.current_address") or values.get("person.registered_address") or ""
    for code, name in villages:
        if name and name in addr:
            return code
    return county


def _queue_entry(row, o, values, county, dept, batch_id, file, now):  # type: ignore[no-untyped-def]
    return {
        "county_code": county,
        "entity_type": "person",
        "kind": "import",
        "source": dept,
        "batch_id": batch_id,
        "file": file,
        "row_no": row.row_no,
        "record": values,
        "candidates": json.dumps([[e, round(p, 4)] for e, p in o.candidates]),
        "best_probability": o.probability,
        "status": "open",
        "created_at": now,
    }
