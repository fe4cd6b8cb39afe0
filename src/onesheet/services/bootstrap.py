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

A county export has up to a million rows, so the whole file is checked as a table, not row
by row in Python: Arrow reads a clean CSV (anything unusual — title lines, broken quotes,
blank lines, spreadsheets — goes through the exact row reader instead), DuckDB checks ID
numbers (shape, province, birth date, MOD 11-2) and finds repeats, households and heads in
SQL, and only the *distinct* relationship, village and address texts and the rows that fail
the vectorised ID check reach the Python parsers, which word every finding. New people and
households are then written set-wise (``store.population.write_new``: COPY of Arrow-built
CSV on PostgreSQL, ``executemany`` on SQLite); people already in the sheet (a partial
county) get the export's values through the recorder, which resolves them against what the
sheet already says. One transaction; progress is reported per stage (read, check, place,
write) with rows done and total.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from onesheet.domain.access import Actor
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.org_load import cell_text, find_column
from onesheet.domain.values.idnumber import PROVINCES, WEIGHTS, parse_id_number
from onesheet.domain.values.parse import parse_for_field
from onesheet.domain.values.problems import ValueProblem
from onesheet.linkage.reading import decode, read_export
from onesheet.services.base import Store, local_today, service, utcnow
from onesheet.store import audit, ids, population
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite, record, start_batch

SOURCE = "public_security"
CHUNK = 50_000  # entities per COPY round (and per recorder call); progress ticks per round
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
_WS = " \t\r\n\u3000\xa0"  # what str.strip() (cell_text) takes off a cell, for DuckDB trim
Progress = Callable[[str, int, int], None]  # (stage, done, total)
STAGES = ("read", "check", "place", "write")


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


def _finding(code: str, zh: str, en: str, row: int | None, file: str | None) -> Finding:
    return Finding(code, zh, en, file=file, row=row)


def _county_villages(store: Store, county: str | None) -> tuple[str, list[tuple[str, str, str]]]:
    with store.engine.connect() as conn:
        rows = population.live_towns_and_villages(conn, county)
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
        (r.code, r.name, towns.get(r.parent_code or "", "")) for r in rows if r.level == "village"
    ]
    return counties[0], villages


def _columns(headings: list[str], row: int, filename: str | None) -> dict[str, int | None]:
    cols = {k: find_column(headings, v) for k, v in HEADINGS.items()}
    missing = [HEADINGS[k][0] for k in REQUIRED if cols[k] is None]
    if missing or (cols["village"] is None and cols["address"] is None):
        raise InvalidInput(
            [
                _finding(
                    "bootstrap.headings",
                    f"缺少列：{'、'.join(missing) or '所属村/社区 或 住址'}",
                    f"missing columns: {', '.join(missing) or 'village or address'}",
                    row,
                    filename,
                )
            ]
        )
    return cols


def _read(data: bytes, filename: str | None) -> tuple[pa.Table, list[Finding]]:
    """The export as an Arrow table: ``row`` (file row) and one text column per heading key
    (``""`` where the file has no such column), plus the records the reader refused."""
    fast = _read_clean_csv(data, filename)
    if fast is not None:
        return fast, []
    export = read_export(data, filename, max_bytes=MAX_BYTES)
    cols = _columns(export.headings, export.first_row - 1, filename)
    width = len(export.headings)
    arrays = {
        "row": pa.array(range(export.first_row, export.first_row + len(export.rows)), pa.int64())
    }
    for key in HEADINGS:
        i = cols[key]
        arrays[key] = pa.array(
            [cell_text(r[i]) if i is not None and i < width else "" for r in export.rows],
            pa.string(),
        )
    return pa.table(arrays), export.findings


def _read_clean_csv(data: bytes, filename: str | None) -> pa.Table | None:
    """Arrow's multi-threaded reader for the usual case — a CSV whose first line is the
    heading row and whose every later line is one record — else None, and the exact reader
    (``read_export``) takes the file: title lines, blank or trailing empty lines, a quote
    that runs over a line end, ragged rows, a spreadsheet. The line count check is what
    makes the two agree: a record Arrow joined or dropped changes it."""
    name = (filename or "").lower()
    if len(data) > MAX_BYTES or name.endswith((".xlsx", ".xls", ".xlsm")):
        return None
    if data.startswith((b"PK\x03\x04", bytes.fromhex("D0CF11E0A1B11AE1"))):
        return None
    text, encoding = decode(data, filename)
    cut = text.find("\n")
    if cut < 0:
        return None
    headings = [h.strip() for h in next(csv.reader([text[:cut].rstrip("\r")]))]
    if sum(1 for h in headings if h) < 2:
        return None
    try:
        cols = _columns(headings, 1, filename)
    except InvalidInput:
        return None  # the exact reader words the finding (or finds a later heading row)
    body = text[cut + 1 :]
    if not body.strip():
        return None
    if not body.endswith("\n"):
        body += "\n"
    last = body[body.rstrip("\r\n").rfind("\n") + 1 :]
    if not last.strip(" ,\r\n\t") or "\n\n" in body or "\n\r\n" in body:
        return None
    lines = body.count("\n")
    payload = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if encoding != "utf-8":
        payload = text.encode("utf-8")
    names = [f"c{i}" for i in range(len(headings))]
    try:
        grid = pacsv.read_csv(
            io.BytesIO(payload),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if grid.num_rows != lines:
        return None
    empty = pa.array([""] * grid.num_rows, pa.string())
    arrays = {"row": pa.array(range(2, 2 + grid.num_rows), pa.int64())}
    for key in HEADINGS:
        i = cols[key]
        arrays[key] = grid.column(i).combine_chunks() if i is not None else empty
    return pa.table(arrays)


def _id_sql() -> str:
    """The vectorised ID check (what ``parse_id_number`` accepts without normalising):
    17 digits and a digit or X, a province code, a real birth date not in the future and
    not before 1850, and the MOD 11-2 check character. A row failing it goes to the Python
    parser, which either words the problem or accepts a form it normalises (15 digits, x)."""
    total = " + ".join(
        f"(ascii(substr(idn, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(WEIGHTS)
    )
    provinces = ", ".join(f"'{p}'" for p in sorted(PROVINCES))
    return f"""
        CASE WHEN regexp_full_match(idn, '[0-9]{{17}}[0-9X]')
              AND substr(idn, 1, 2) IN ({provinces})
        THEN try_strptime(substr(idn, 7, 8), '%Y%m%d')::DATE END AS birth_fast,
        CASE WHEN regexp_full_match(idn, '[0-9]{{17}}[0-9X]')
        THEN substr('10X98765432', (({total}) % 11) + 1, 1) = substr(idn, 18, 1)
        ELSE false END AS check_ok
    """


def _check(
    con: duckdb.DuckDBPyConnection,
    raw: pa.Table,
    store: Store,
    day: date,
    finder: VillageFinder,
    filename: str | None,
    tell: Progress,
) -> list[Finding]:
    """Check every row and build the households; leaves table ``good`` (one row a usable
    person, with ``head_row`` of their household) in ``con``. Returns the findings."""
    total = raw.num_rows
    # Cells are trimmed as ``cell_text`` trims them, by Arrow's kernel (DuckDB's trim with a
    # character set cost 5x the rest of the statement); the ID check is computed in the same
    # statement, so no later join on ``row`` is needed to bring it back.
    trimmed = pa.table(
        {"row": raw["row"]} | {k: pc.utf8_trim(raw[k], _WS) for k in HEADINGS}  # type: ignore[attr-defined]
    )
    con.register("raw", trimmed)
    con.execute(
        f"""CREATE TABLE p AS SELECT *, {_id_sql()} FROM (SELECT row, household_no AS hh,
        head, relation AS rel_raw, name, id_number AS idn, address, village AS village_raw
        FROM raw)"""
    )
    tell("check", total // 4, total)
    slow = con.sql(
        f"""SELECT DISTINCT idn FROM p WHERE NOT (check_ok AND birth_fast IS NOT NULL
            AND birth_fast <= DATE '{day.isoformat()}' AND year(birth_fast) >= 1850)"""
    ).fetchall()
    fixes: dict[str, list[object]] = defaultdict(list)
    for (idn,) in slow:
        try:
            parsed = parse_id_number(idn, today=day)
            got = [parsed.number, parsed.sex_code, parsed.birth_date, None, None, None]
        except ValueProblem as p:
            got = [
                None,
                None,
                None,
                p.code,
                f"身份证号：{p.message_zh}",
                f"ID number: {p.message_en}",
            ]
        for k, v in zip(
            ("idn", "number", "gender", "birth", "code", "zh", "en"), [idn, *got], strict=True
        ):
            fixes[k].append(v)
    _register(con, "idfix", fixes, ("idn", "number", "gender", "birth", "code", "zh", "en"))
    rel_field = store.dictionary.field("person.relationship_to_head")
    rels: dict[str, list[object]] = defaultdict(list)
    for (value,) in con.sql("SELECT DISTINCT rel_raw FROM p").fetchall():
        try:
            got = [
                parse_for_field(rel_field, value, store.dictionary.code_tables),
                None,
                None,
                None,
            ]
        except ValueProblem as p:
            got = [None, p.code, p.message_zh, p.message_en]
        for k, v in zip(("rel_raw", "rel", "code", "zh", "en"), [value, *got], strict=True):
            rels[k].append(v)
    _register(con, "relmap", rels, ("rel_raw", "rel", "code", "zh", "en"))
    tell("check", total // 2, total)
    vmap = {
        v: finder.by_column(v) for (v,) in con.sql("SELECT DISTINCT village_raw FROM p").fetchall()
    }
    unknown = [v for v, code in vmap.items() if code is None]
    _register(con, "vmap", {"village_raw": list(vmap), "code": list(vmap.values())},
              ("village_raw", "code"))  # fmt: skip
    con.register("unknown_v", pa.table({"village_raw": pa.array(unknown, pa.string())}))
    addresses = con.sql(
        "SELECT DISTINCT address FROM p SEMI JOIN unknown_v USING (village_raw)"
    ).fetchall()
    amap = {a: finder.by_address(a) for (a,) in addresses}
    _register(con, "amap", {"address": list(amap), "code": list(amap.values())},
              ("address", "code"))  # fmt: skip
    tell("check", total * 3 // 4, total)
    # One statement from the checked rows to ``c3``: the lookups joined in, and a repeated
    # ID number found by a grouped join over the (rare) repeats rather than a window over
    # every row (``first_row`` is the row itself when the number is not repeated).
    con.execute(
        """CREATE TABLE c3 AS
        WITH c AS (SELECT p.row, p.hh, p.head, p.name, p.address, p.village_raw, p.idn,
            CASE WHEN f.idn IS NULL THEN p.idn ELSE f.number END AS number,
            CASE WHEN f.idn IS NULL THEN
                CASE WHEN (ascii(substr(p.idn, 17, 1)) - 48) % 2 = 1 THEN '1' ELSE '2' END
                ELSE f.gender END AS gender,
            CASE WHEN f.idn IS NULL THEN p.birth_fast ELSE f.birth END AS birth,
            f.code AS id_code, f.zh AS id_zh, f.en AS id_en,
            r.rel, r.code AS rel_code, r.zh AS rel_zh, r.en AS rel_en,
            coalesce(v.code, a.code) AS village
            FROM p
            LEFT JOIN idfix f ON f.idn = p.idn
            LEFT JOIN relmap r ON r.rel_raw = p.rel_raw
            LEFT JOIN vmap v ON v.village_raw = p.village_raw
            LEFT JOIN amap a ON a.address = p.address AND v.code IS NULL),
        repeats AS (SELECT number, min(row) AS first_row FROM c WHERE number IS NOT NULL
            GROUP BY number HAVING count(*) > 1)
        SELECT c.*, CASE WHEN c.number IS NOT NULL THEN coalesce(d.first_row, c.row) END
            AS first_row,
        (c.name = '' OR c.hh = '' OR c.number IS NULL OR c.row > coalesce(d.first_row, c.row)
            OR c.rel_code IS NOT NULL OR c.village IS NULL) AS bad
        FROM c LEFT JOIN repeats d ON d.number = c.number"""
    )
    findings: list[Finding] = []
    for r in con.sql(
        """SELECT row, name, hh, id_code, id_zh, id_en, number, first_row, rel_code, rel_zh,
        rel_en, village, village_raw, address FROM c3 WHERE bad ORDER BY row"""
    ).fetchall():
        (n, name, hh, id_code, id_zh, id_en, number, first, rel_code, rel_zh, rel_en,
         village, given, address) = r  # fmt: skip
        if not name:
            findings.append(_finding("bootstrap.name", "姓名为空", "empty name", n, filename))
        if not hh:
            findings.append(_finding("bootstrap.household", "户号为空", "empty 户号", n, filename))
        if id_code:
            findings.append(_finding(id_code, id_zh, id_en, n, filename))
        if number is not None and n > first:
            findings.append(
                _finding(
                    "bootstrap.repeated_id",
                    f"身份证号与第 {first} 行重复",
                    f"ID number repeats row {first}",
                    n,
                    filename,
                )
            )
        if rel_code:
            findings.append(_finding(rel_code, rel_zh, rel_en, n, filename))
        if village is None:
            findings.append(
                _finding(
                    "bootstrap.unplaced",
                    f"无法确定所属村（社区）：“{given or address}”不是本县已装入的村（社区）",
                    f"no village for {given or address!r} among the county's villages",
                    n,
                    filename,
                )
            )
    tell("check", total, total)
    findings += _households(con, filename)
    tell("place", total, total)
    return findings


def _register(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: dict[str, list[object]],
    order: tuple[str, ...],
) -> None:
    """A small Python-built lookup table as a DuckDB view (typed even when empty)."""
    types = {"birth": pa.date32()}
    con.register(
        name,
        pa.table({k: pa.array(columns.get(k, []), types.get(k, pa.string())) for k in order}),
    )


def _households(con: duckdb.DuckDBPyConnection, filename: str | None) -> list[Finding]:
    """户号 → head and village over the usable rows: a household without exactly one head
    (by relationship 户主, else the member the 户主 column names) or spread over two villages
    is a finding for every member row. Leaves ``good`` with each person's ``head_row``."""
    con.execute(
        """CREATE TABLE g AS SELECT row, hh, head, name, address, number, gender, birth, rel,
        village FROM c3 WHERE NOT bad"""
    )
    con.execute(
        """CREATE TABLE hs AS
        WITH rel_heads AS (SELECT hh, row FROM g WHERE rel IN ('01', '02')),
        has_rel AS (SELECT DISTINCT hh FROM rel_heads),
        named AS (
            SELECT g.hh, g.row FROM g
            JOIN (SELECT DISTINCT hh, head FROM g WHERE head <> '') n
              ON n.hh = g.hh AND n.head = g.name
            ANTI JOIN has_rel h ON h.hh = g.hh),
        heads AS (SELECT * FROM rel_heads UNION ALL SELECT * FROM named),
        counted AS (SELECT hh, count(*) AS n_heads, min(row) AS head_row FROM heads GROUP BY hh)
        SELECT g.hh, min(g.row) AS first_row, count(DISTINCT g.village) AS villages,
               coalesce(any_value(k.n_heads), 0) AS n_heads, any_value(k.head_row) AS head_row
        FROM g LEFT JOIN counted k ON k.hh = g.hh GROUP BY g.hh"""
    )
    findings = []
    for no, n, heads in con.sql(
        """SELECT hs.hh, g.row, hs.n_heads FROM hs JOIN g ON g.hh = hs.hh
        WHERE hs.n_heads <> 1 OR hs.villages > 1 ORDER BY hs.first_row, g.row"""
    ).fetchall():
        if heads != 1:
            why = ("没有户主", "no head") if heads == 0 else ("有多个户主", "two heads")
        else:
            why = ("成员分属不同村（社区）", "members in two villages")
        findings.append(
            _finding(
                "bootstrap.household", f"户号 {no}：{why[0]}", f"household {no}: {why[1]}", n,
                filename,
            )
        )  # fmt: skip
    con.execute(
        """CREATE TABLE good AS SELECT g.*, hs.head_row FROM g JOIN hs ON hs.hh = g.hh
        WHERE hs.n_heads = 1 AND hs.villages = 1"""
    )
    return findings


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
    progress: Progress | None = None,
) -> BootstrapResult:
    """Load the export (see the module); every bad row listed, nothing written unless
    ``skip_bad`` confirms the rest. ``progress(stage, done, total)`` is called as each of
    the stages ``read`` (bytes), ``check``, ``place`` and ``write`` (rows) advances."""
    tell: Progress = progress or (lambda stage, done, total: None)
    tell("read", 0, len(data))
    raw, refused = _read(data, filename)
    tell("read", len(data), len(data))
    day = as_of or local_today()
    county_code, villages = _county_villages(store, county)
    finder = VillageFinder(villages)
    con = duckdb.connect()
    try:
        findings = refused + _check(con, raw, store, day, finder, filename, tell)
        if findings and not skip_bad:
            raise InvalidInput(findings)
        result = BootstrapResult(county_code, skipped=findings)
        with store.transaction() as conn:
            _write(store, conn, con, actor, day, filename, result, tell)
    finally:
        con.close()
    return result


def _write(store, conn, con, actor, day, filename, result, tell):  # type: ignore[no-untyped-def]
    """Ids for the new entities, then the bulk write of the new ones and the recorder for
    people and households already in the sheet; one batch, one audit event."""
    now = utcnow()
    county = result.county_code
    numbers = [n for (n,) in con.sql("SELECT number FROM good").fetchall()]
    hh_nos = [n for (n,) in con.sql("SELECT DISTINCT hh FROM good").fetchall()]
    known_p = population.existing_keys(conn, "person", numbers)
    known_h = population.existing_keys(conn, "household", hh_nos)
    con.register("known_p", _known(known_p, "number"))
    con.register("known_h", _known(known_h, "hh"))
    new_people = len(numbers) - sum(1 for n in numbers if n in known_p)
    new_hh = len(hh_nos) - sum(1 for n in hh_nos if n in known_h)
    block = ids.allocate(conn, "entity", new_people + new_hh, county)
    first = block.start
    con.execute(
        f"""CREATE TABLE pid AS SELECT g.*, k.eid IS NULL AS is_new,
        coalesce(k.eid, {first} - 1 + row_number() OVER (PARTITION BY k.eid IS NULL
                                                          ORDER BY g.number)) AS eid,
        coalesce(k.org, g.village) AS org
        FROM good g LEFT JOIN known_p k ON k.key = g.number"""
    )
    con.execute(
        f"""CREATE TABLE hid AS SELECT h.hh, h.eid AS head_eid, h.address, h.village,
        k.eid IS NULL AS is_new,
        coalesce(k.eid, {first + new_people} - 1 + row_number() OVER (
            PARTITION BY k.eid IS NULL ORDER BY h.row)) AS eid
        FROM pid h LEFT JOIN known_h k ON k.key = h.hh WHERE h.row = h.head_row"""
    )
    batch_id = ids.allocate(conn, "batch", 1, county)[0]
    start_batch(
        conn, batch_id, kind="bootstrap", county_code=county, source=SOURCE,
        actor=actor.username, now=now,
        description=f"bootstrap {filename or '-'} as of {day.isoformat()}",
    )  # fmt: skip
    total = len(numbers) + len(hh_nos)
    done = 0
    tell("write", 0, total)
    stamp = _Stamp(county, now, datetime.combine(day, time()), actor.username, batch_id)
    chunks = [  # (people selected, households selected, entities in the chunk)
        (f"is_new AND eid >= {lo} AND eid < {lo + n}", "", n)
        for lo in range(first, first + new_people, CHUNK)
        for n in [min(CHUNK, first + new_people - lo)]
    ]
    chunks.append(("false", "is_new", new_hh))
    # closing(): on a failed write the builder thread is waited for here, before the
    # caller closes the DuckDB connection it may still be reading
    with closing(_built_ahead(store, con, stamp, chunks)) as built:
        for rows, (*_, size) in zip(built, chunks, strict=True):
            population.write_new(conn, **rows)
            result.observations += rows["observations"].num_rows
            done += size
            tell("write", done, total)
    population.count_batch_observations(conn, batch_id, result.observations)
    result.observations += _record_known(
        store, conn, con, stamp, lambda n: tell("write", done + n, total)
    )
    result.people_new, result.people_existing = new_people, len(numbers) - new_people
    result.households_new = new_hh
    result.by_village = dict(
        con.sql("SELECT village, count(*) FROM good GROUP BY village ORDER BY village").fetchall()
    )
    result.batch_id = batch_id
    tell("write", total, total)
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


def _built_ahead(
    store: Store, con, stamp: _Stamp, chunks: list[tuple[str, str, int]]
) -> Iterator[dict[str, pa.Table]]:  # type: ignore[no-untyped-def]
    """Each chunk's Arrow tables, the next one built on a second thread while the caller
    writes this one: DuckDB and Arrow release the GIL, so building chunk k+1 overlaps the
    database ingesting chunk k (on PostgreSQL another process) instead of taking turns —
    about the client's share of the write stage off the wall time. One builder thread, so
    the DuckDB connection is still used by one thread at a time."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bootstrap-build") as pool:
        ahead = pool.submit(_new_rows, store, con, stamp, *chunks[0][:2])
        for people, households, _ in chunks[1:]:
            rows = ahead.result()
            ahead = pool.submit(_new_rows, store, con, stamp, people, households)
            yield rows
        yield ahead.result()


def _known(found: dict[str, tuple[int, str]], _name: str) -> pa.Table:
    return pa.table(
        {
            "key": pa.array(list(found), pa.string()),
            "eid": pa.array([v[0] for v in found.values()], pa.int64()),
            "org": pa.array([v[1] for v in found.values()], pa.string()),
        }
    )


@dataclass(frozen=True)
class _Stamp:
    """What every row of the batch carries."""

    county: str
    now: datetime
    valid: datetime
    actor: str
    batch_id: int

    def sql(self) -> dict[str, str]:
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        return {
            "county": _lit(self.county),
            "now": _lit(self.now.strftime(fmt)),
            "valid": _lit(self.valid.strftime(fmt)),
            "actor": _lit(self.actor),
            "batch": str(self.batch_id),
        }


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# field key → (SQL over ``pid`` (people) or ``hid`` (households)) of each value written
PERSON_VALUES = {
    "person.name": "name",
    "person.id_number": "number",
    "person.gender": "gender",
    "person.birth_date": "strftime(birth, '%Y-%m-%d')",
    "person.relationship_to_head": "rel",
    "person.household": "CAST(hh_eid AS VARCHAR)",
    "person.registered_address": "address",
}
HOUSEHOLD_VALUES = {
    "household.household_no": "hh",
    "household.head": "CAST(head_eid AS VARCHAR)",
    "household.address": "address",
}


def _unnest(values: dict[str, str], source: str, entity_type: str) -> str:
    """Each entity of ``source`` as one row per field, in (entity, field key) order without
    sorting the observations: the entities are sorted (one key each) and each one's values
    are unnested from a list already in key order — sorting the seven-times-larger log by
    (entity_id, field_key) cost a third of a second per 50,000 people."""
    items = ", ".join(f"{{'k': '{k}', 'v': {values[k]}}}" for k in sorted(values))
    return (
        f"(SELECT eid, '{entity_type}' AS t, unnest([{items}]) AS kv "
        f"FROM (SELECT * FROM {source} ORDER BY eid))"
    )


def _new_rows(
    store: Store, con, stamp: _Stamp, people_where: str, hh_where: str
) -> dict[str, pa.Table]:  # type: ignore[no-untyped-def]
    """Arrow tables of the new entities selected: entity rows, observations (one a
    non-empty value, entity by entity) and current-view rows (what the recorder's fast path
    writes for a new single-valued entity: version 1, typed columns). Observations go in
    the log index's (entity_id, field_key) order, so each index entry lands on the
    rightmost leaf."""
    s = stamp.sql()
    columns = store.dictionary.stored_columns()
    people = f"""SELECT * FROM (SELECT p.*, h.eid AS hh_eid FROM pid p JOIN hid h
                 ON h.hh = p.hh) WHERE {people_where}"""
    households = f"SELECT * FROM hid WHERE {hh_where or 'false'}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW np AS {people}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW nh AS {households}")
    entities = con.sql(
        f"""SELECT eid AS id, 'person' AS entity_type, {s["county"]} AS county_code, org AS
        org_code, number AS natural_key, {s["now"]} AS created_at, {s["batch"]} AS batch_id
        FROM np UNION ALL
        SELECT eid, 'household', {s["county"]}, village, NULL, {s["now"]}, {s["batch"]}
        FROM nh ORDER BY id"""
    ).to_arrow_table()
    observations = con.sql(
        f"""SELECT {s["county"]} AS county_code, eid AS entity_id, t AS entity_type,
        kv.k AS field_key, kv.v AS value, 'value' AS kind, {s["valid"]} AS valid_from,
        {s["now"]} AS recorded_at, '{SOURCE}' AS source, {s["actor"]} AS actor,
        {s["batch"]} AS batch_id
        FROM ({_unnest(PERSON_VALUES, "np", "person")} UNION ALL
              {_unnest(HOUSEHOLD_VALUES, "nh", "household")})
        WHERE kv.v IS NOT NULL AND kv.v <> ''"""
    ).to_arrow_table()
    base = f"""eid AS entity_id, {s["county"]} AS county_code, {{org}} AS org_code,
        1 AS version, {s["now"]} AS updated_at"""
    typed = {"person.birth_date": "strftime(birth, '%Y-%m-%d')", "person.household": "hh_eid",
             "household.head": "head_eid"}  # fmt: skip

    def view(values: dict[str, str], source: str, org: str) -> pa.Table:
        cols = ", ".join(
            f"NULLIF({typed.get(k, v)}, '') AS {columns[k][0]}"
            if k not in typed
            else f"{typed[k]} AS {columns[k][0]}"
            for k, v in values.items()
        )
        return con.sql(f"SELECT {base.format(org=org)}, {cols} FROM {source}").to_arrow_table()

    return {
        "entities": entities,
        "observations": observations,
        "people": view(PERSON_VALUES, "np", "org"),
        "households": view(HOUSEHOLD_VALUES, "nh", "village"),
    }


def _record_known(store: Store, conn, con, stamp: _Stamp, tick: Callable[[int], None]) -> int:  # type: ignore[no-untyped-def]
    """People and households already in the sheet (a partial county): the export's values
    as new observations on the existing entities, resolved by the recorder."""
    make = tuple.__new__
    writes: list[EntityWrite] = []
    written = 0
    valid = stamp.valid

    def flush() -> None:
        nonlocal written
        if writes:
            r = record(
                conn, store.dictionary, writes, county_code=stamp.county,
                batch_id=stamp.batch_id, actor=stamp.actor, now=stamp.now,
            )  # fmt: skip
            written += r.observations
            tick(len(writes))
            writes.clear()

    def rows_of(eid: int, kind: str, values: list[tuple[str, object]]) -> list[LogRow]:
        return [
            make(LogRow, (eid, kind, k, str(v), "value", valid, SOURCE, None))
            for k, v in values
            if v is not None and v != ""
        ]

    for eid, no, head, address, org in con.sql(
        "SELECT eid, hh, head_eid, address, village FROM hid WHERE NOT is_new"
    ).fetchall():
        values = [("household.household_no", no), ("household.head", head),
                  ("household.address", address)]  # fmt: skip
        writes.append(EntityWrite(eid, "household", org, rows_of(eid, "household", values)))
    for eid, org, name, number, gender, birth, rel, hh, address in con.sql(
        """SELECT p.eid, p.org, p.name, p.number, p.gender, p.birth, p.rel, h.eid, p.address
        FROM pid p JOIN hid h ON h.hh = p.hh WHERE NOT p.is_new ORDER BY p.row"""
    ).fetchall():
        values = [
            ("person.name", name),
            ("person.id_number", number),
            ("person.gender", gender),
            ("person.birth_date", birth.isoformat()),
            ("person.relationship_to_head", rel),
            ("person.household", hh),
            ("person.registered_address", address),
        ]
        writes.append(
            EntityWrite(eid, "person", org, rows_of(eid, "person", values), natural_key=number)
        )
        if len(writes) >= CHUNK:
            flush()
    flush()
    return written
