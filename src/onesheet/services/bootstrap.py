"""Population bootstrap from the public-security household export (公安户籍导出).

The export lists one person a row: 户号, 户主, 与户主关系, 姓名, 身份证号, 住址, 所属村/社区.
Each person is placed in a village of the loaded org tree by the village column (the place
name, the committee name or an unambiguous stem: 余村村 / 余村村委会 / 余村), failing that by
the one village name the address contains; households are built from 户号 with the head
(the member whose relationship is 户主, else the one named in 户主) and every member's
relationship (GB/T 4761). Gender and birth date come from the ID number. Every value is an
observation with 公安 (``public_security``) as its source, dated the day of the export.

Rows that cannot be used — no village, a bad ID number, an ID twice, a household without a
head or spread over two villages — are listed with row and reason and nothing is written,
unless the caller confirms the rest (``skip_bad``), when they are left out and returned.
People already in the sheet (same ID number: a partial county) get the export's values as
new observations on the existing entity; everyone else is new and goes through the
recorder's bulk path (COPY on PostgreSQL), the same one ``seed`` uses. One transaction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Connection, select

from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.org_load import cell_text, find_column
from onesheet.domain.values.idnumber import parse_id_number
from onesheet.domain.values.parse import parse_for_field
from onesheet.domain.values.problems import ValueProblem
from onesheet.linkage.reading import read_export
from onesheet.services.base import Store, local_today, service, utcnow
from onesheet.store import audit, ids
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite, record, start_batch
from onesheet.store.schema import sheet_table, table

SOURCE = "public_security"
CHUNK = 20000  # entities per recorder call
MAX_BYTES = 2 << 30
HEADINGS = {
    "household_no": ("户号", "户编号"),
    "head": ("户主", "户主姓名"),
    "relation": ("与户主关系", "与户主的关系", "关系"),
    "name": ("姓名",),
    "id_number": ("身份证号", "公民身份号码", "身份证号码", "证件号码"),
    "address": ("住址", "户籍地址", "户籍地详址", "地址"),
    "village": (
        "所属村/社区",
        "所属村（社区）",
        "所属村(社区)",
        "所属村",
        "所属社区",
        "村（社区）",
    ),
}
REQUIRED = ("household_no", "relation", "name", "id_number")
_SUFFIXES = ("社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "村委会", "居委会")
_SPACE = re.compile(r"\s+")


@dataclass
class BootstrapResult:
    county_code: str
    people_new: int = 0
    people_existing: int = 0
    households_new: int = 0
    observations: int = 0
    skipped: list[Finding] = field(default_factory=list)
    batch_id: int | None = None
    by_village: dict[str, int] = field(default_factory=dict)


class VillageFinder:
    """Village codes by name, committee name or unambiguous stem, and by address."""

    def __init__(self, villages: list[tuple[str, str, str]]) -> None:  # (code, name, town)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.full_names: list[tuple[str, str]] = []
        for code, name, town in villages:
            for wording in self._wordings(name):
                self.by_name[wording].add(code)
                self.by_name[town + wording].add(code)
            self.full_names.append((name, code))
        self.full_names.sort(key=lambda nc: -len(nc[0]))

    @staticmethod
    def _wordings(name: str) -> set[str]:
        out = {name}
        for suffix in ("村", "社区"):
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                out.add(name[: -len(suffix)])
        out |= {w + s for w in list(out) for s in ("村委会", "居委会", "社区居委会")}
        return out

    @staticmethod
    def _clean(text: str) -> str:
        text = _SPACE.sub("", text)
        for suffix in _SUFFIXES:
            if text.endswith(suffix):
                return text[: -len(suffix)] + ("社区" if "居" in suffix else "村")
        return text

    def by_column(self, text: str) -> str | None:
        if not text:
            return None
        for wording in (_SPACE.sub("", text), self._clean(text)):
            codes = self.by_name.get(wording)
            if codes and len(codes) == 1:
                return next(iter(codes))
        return None

    def by_address(self, address: str) -> str | None:
        hits = {code for name, code in self.full_names if name in address}
        return next(iter(hits)) if len(hits) == 1 else None


@dataclass
class _Person:
    row: int
    household_no: str
    name: str
    id_number: str
    gender: str
    birth: date
    relation: str | None
    address: str
    village: str


def _county_villages(
    conn: Connection, county: str | None
) -> tuple[str, list[tuple[str, str, str]]]:
    t = table("org_unit")
    q = select(t.c.code, t.c.name, t.c.parent_code, t.c.county_code, t.c.level).where(
        t.c.level.in_(("town", "village")), t.c.merged_into.is_(None)
    )
    if county:
        q = q.where(t.c.county_code == county)
    rows = conn.execute(q).all()
    counties = sorted({r.county_code for r in rows})
    if not counties:
        raise InvalidInput(
            [
                Finding(
                    "bootstrap.no_orgs",
                    "尚未装入村（社区）：请先运行 onesheet orgs load",
                    "no villages loaded yet: run `onesheet orgs load` first",
                )
            ]
        )
    if len(counties) > 1:
        raise InvalidInput(
            [
                Finding(
                    "bootstrap.county",
                    f"数据库中有多个县（{'、'.join(counties)}），请用 --county 指定",
                    "several counties loaded; name one with --county",
                )
            ]
        )
    towns = {r.code: r.name for r in rows if r.level == "town"}
    villages = [
        (r.code, r.name, towns.get(r.parent_code, "")) for r in rows if r.level == "village"
    ]
    return counties[0], villages


def _finding(code: str, zh: str, en: str, row: int | None, file: str | None) -> Finding:
    return Finding(code, zh, en, file=file, row=row)


@service("bootstrap_population", permission="seed.run", audit="bootstrap")
def bootstrap_population(
    store: Store,
    actor: Actor,
    data: bytes,
    filename: str | None = None,
    *,
    county: str | None = None,
    as_of: date | None = None,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BootstrapResult:
    """Load the export (see the module); every bad row listed, nothing written unless
    ``skip_bad`` confirms the rest."""
    export = read_export(data, filename, max_bytes=MAX_BYTES)
    cols = {k: find_column(export.headings, v) for k, v in HEADINGS.items()}
    missing = [HEADINGS[k][0] for k in REQUIRED if cols[k] is None]
    if missing or (cols["village"] is None and cols["address"] is None):
        raise InvalidInput(
            [
                _finding(
                    "bootstrap.headings",
                    f"缺少列：{'、'.join(missing) or '所属村/社区 或 住址'}",
                    f"missing columns: {', '.join(missing) or 'village or address'}",
                    export.first_row - 1,
                    filename,
                )
            ]
        )
    day = as_of or local_today()
    rel_field = store.dictionary.field("person.relationship_to_head")
    tables = store.dictionary.code_tables
    with store.engine.connect() as conn:
        county_code, villages = _county_villages(conn, county)
    finder = VillageFinder(villages)
    findings: list[Finding] = []
    people: list[_Person] = []
    seen_ids: dict[str, int] = {}
    idx = {k: v for k, v in cols.items() if v is not None}
    width = len(export.headings)
    for offset, raw in enumerate(export.rows):
        n = export.first_row + offset
        cells = {k: cell_text(raw[i]) if i < width else "" for k, i in idx.items()}
        problems: list[Finding] = []
        name = cells.get("name", "")
        hh_no = cells.get("household_no", "")
        if not name:
            problems.append(_finding("bootstrap.name", "姓名为空", "empty name", n, filename))
        if not hh_no:
            problems.append(_finding("bootstrap.household", "户号为空", "empty 户号", n, filename))
        number = gender = birth = None
        try:
            parsed = parse_id_number(cells.get("id_number", ""), today=day)
            number, gender, birth = parsed.number, parsed.sex_code, parsed.birth_date
        except ValueProblem as p:
            problems.append(
                _finding(
                    p.code, f"身份证号：{p.message_zh}", f"ID number: {p.message_en}", n, filename
                )
            )
        if number and number in seen_ids:
            problems.append(
                _finding(
                    "bootstrap.repeated_id",
                    f"身份证号与第 {seen_ids[number]} 行重复",
                    f"ID number repeats row {seen_ids[number]}",
                    n,
                    filename,
                )
            )
        elif number:
            seen_ids[number] = n
        relation = None
        try:
            relation = parse_for_field(rel_field, cells.get("relation"), tables)
        except ValueProblem as p:
            problems.append(_finding(p.code, p.message_zh, p.message_en, n, filename))
        address = cells.get("address", "")
        village = finder.by_column(cells.get("village", "")) or finder.by_address(address)
        if village is None:
            given = cells.get("village", "")
            problems.append(
                _finding(
                    "bootstrap.unplaced",
                    f"无法确定所属村（社区）：“{given or address}”不是本县已装入的村（社区）",
                    f"no village for {given or address!r} among the county's villages",
                    n,
                    filename,
                )
            )
        if problems:
            findings += problems
            continue
        assert number and gender and birth and village
        people.append(_Person(n, hh_no, name, number, gender, birth, relation, address, village))
    households, hh_findings = _households(people, export, cols, filename)
    findings += hh_findings
    bad_rows = {f.row for f in hh_findings}
    people = [p for p in people if p.row not in bad_rows]
    if findings and not skip_bad:
        raise InvalidInput(findings)
    result = BootstrapResult(county_code, skipped=findings)
    with store.transaction() as conn:
        _write(store, conn, actor, people, households, day, county_code, filename, result, progress)
    return result


def _households(people, export, cols, filename):  # type: ignore[no-untyped-def]
    """户号 → (head, members, village); households without one head, or in two villages, are
    findings for every row of theirs."""
    heads_named = {}
    if cols["head"] is not None:
        for offset, raw in enumerate(export.rows):
            if cols["head"] < len(raw):
                heads_named[export.first_row + offset] = cell_text(raw[cols["head"]])
    groups: dict[str, list[_Person]] = defaultdict(list)
    for p in people:
        groups[p.household_no].append(p)
    out: dict[str, tuple[_Person, list[_Person]]] = {}
    findings: list[Finding] = []
    for no, members in groups.items():
        heads = [m for m in members if m.relation in ("01", "02")]
        if not heads:
            named = {heads_named.get(m.row) for m in members} - {None, ""}
            heads = [m for m in members if m.name in named]
        villages = {m.village for m in members}
        why = None
        if len(heads) != 1:
            why = (
                "没有户主" if not heads else "有多个户主",
                "no head" if not heads else "two heads",
            )
        elif len(villages) > 1:
            why = ("成员分属不同村（社区）", "members in two villages")
        if why:
            for m in members:
                findings.append(
                    _finding(
                        "bootstrap.household",
                        f"户号 {no}：{why[0]}",
                        f"household {no}: {why[1]}",
                        m.row,
                        filename,
                    )
                )
            continue
        out[no] = (heads[0], members)
    return out, findings


def _existing(
    conn: Connection, kind: str, column: str, keys: list[str]
) -> dict[str, tuple[int, str]]:
    """key → (entity id, org code) for keys already in the sheet (a partial county)."""
    if kind == "person":
        t = table("entity")
        key_col, org_col, id_col = t.c.natural_key, t.c.org_code, t.c.id
        extra = [t.c.entity_type == "person"]
    else:
        t = sheet_table(kind)
        key_col, org_col, id_col = t.c[column], t.c.org_code, t.c.entity_id
        extra = []
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), 1000):
        chunk = keys[i : i + 1000]
        q = select(key_col, id_col, org_col).where(key_col.in_(chunk), *extra)
        found |= {k: (eid, org) for k, eid, org in conn.execute(q)}
    return found


def _write(store, conn, actor, people, households, day, county, filename, result, progress):  # type: ignore[no-untyped-def]
    now = utcnow()
    valid = datetime.combine(day, time())
    known_people = _existing(conn, "person", "", [p.id_number for p in people])
    known_hh = _existing(conn, "household", "household_no", list(households))
    new_people = [p for p in people if p.id_number not in known_people]
    new_hh = [no for no in households if no not in known_hh]
    block = ids.allocate(conn, "entity", len(new_people) + len(new_hh))
    person_id = {p.id_number: block[i] for i, p in enumerate(new_people)}
    person_id |= {k: v[0] for k, v in known_people.items()}
    hh_id = {no: block[len(new_people) + i] for i, no in enumerate(new_hh)}
    hh_id |= {k: v[0] for k, v in known_hh.items()}
    batch_id = ids.allocate(conn, "batch", 1)[0]
    start_batch(
        conn,
        batch_id,
        kind="bootstrap",
        county_code=county,
        source=SOURCE,
        actor=actor.username,
        now=now,
        description=f"bootstrap {filename or '-'} as of {day.isoformat()}",
    )
    make = tuple.__new__
    writes: list[EntityWrite] = []

    def flush() -> None:
        if writes:
            r = record(
                conn, store.dictionary, writes, county_code=county, batch_id=batch_id,
                actor=actor.username, now=now,
            )  # fmt: skip
            result.observations += r.observations
            if progress:
                progress(sum(1 for w in writes if w.entity_type == "person"))
            writes.clear()

    for no, (head, _members) in households.items():
        eid = hh_id[no]
        values = [
            ("household.household_no", no),
            ("household.head", str(person_id[head.id_number])),
            ("household.address", head.address or None),
        ]
        rows = [
            make(LogRow, (eid, "household", k, v, "value", valid, SOURCE, None))
            for k, v in values
            if v
        ]
        writes.append(EntityWrite(eid, "household", head.village, rows, is_new=no not in known_hh))
        if no not in known_hh:
            result.households_new += 1
    for p in people:
        eid = person_id[p.id_number]
        hh = households.get(p.household_no)
        values = [
            ("person.name", p.name),
            ("person.id_number", p.id_number),
            ("person.gender", p.gender),
            ("person.birth_date", p.birth.isoformat()),
            ("person.relationship_to_head", p.relation),
            ("person.household", str(hh_id[p.household_no]) if hh else None),
            ("person.registered_address", p.address or None),
        ]
        rows = [
            make(LogRow, (eid, "person", k, v, "value", valid, SOURCE, None))
            for k, v in values
            if v
        ]
        is_new = p.id_number not in known_people
        org = p.village if is_new else known_people[p.id_number][1]
        writes.append(EntityWrite(eid, "person", org, rows, is_new=is_new, natural_key=p.id_number))
        result.by_village[p.village] = result.by_village.get(p.village, 0) + 1
        if is_new:
            result.people_new += 1
        else:
            result.people_existing += 1
        if len(writes) >= CHUNK:
            flush()
    flush()
    result.batch_id = batch_id
    audit.write_event(
        conn,
        actor,
        "bootstrap",
        now=now,
        county_code=county,
        detail=(
            f"{filename or '-'} people_new={result.people_new} "
            f"people_existing={result.people_existing} households_new={result.households_new} "
            f"skipped_rows={len({f.row for f in result.skipped})}"
        ),
    )
