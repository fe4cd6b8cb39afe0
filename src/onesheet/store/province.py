"""The province layout (opt-in, PostgreSQL only): entity tables partitioned by ``county_code``.

A province runs one *coordinator* database that the application talks to as usual. On it the
entity tables (``PARTITIONED``: the log, the current view and the other per-entity tables)
are parents ``PARTITION BY LIST (county_code)`` built from the same SQLAlchemy metadata as the
single-county schema; each county is one partition. A county's partition is either a local
table on the coordinator or, through ``postgres_fdw``, a foreign table whose rows live on
another PostgreSQL cluster (a *shard*) in schema ``c<county>``. Inserts, COPY, updates and
deletes through the parent are routed to the partition, so services run unchanged; a query
that names the county (``county_code = …``, as reports and rosters do) is pruned to that one
partition; a province aggregate runs through the parent and scans every partition (the
foreign ones remotely, ``async_capable`` so they run in parallel).

PostgreSQL's limits and the choices they force (see ``docs/province.md``):

* A unique index or primary key on a partitioned table must include the partition key, and no
  unique index may exist on a parent with a foreign partition. The parents therefore carry no
  primary key or unique constraint; each partition carries the single-county schema's own
  keys (``PRIMARY KEY (id)``, ``UNIQUE (entity_type, natural_key)``, …): on the coordinator
  added to the local partition, on a shard as part of the shard's ordinary table. Keys are
  thus unique *per county*. Ids stay unique across the province because they come from the
  coordinator's ``id_counter`` rows and sequences; natural keys (ID numbers) are unique per
  county only: a person registered in two counties is province linkage's question.
* Non-unique indexes are declared on the parent and propagate to local partitions (foreign
  partitions are skipped; their shard tables carry the same indexes themselves).
* The schema has no foreign keys, so none are lost.
* A county without a partition cannot be written to ("no partition of relation … found for
  row"): ``add_county`` comes before ``seed``/``import`` of that county.

Its callers are ``services/province.py`` (the ``onesheet province …`` commands), the bench
and the tests; the single-county schema is untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Engine, Index, MetaData, Table, func, select, text
from sqlalchemy.schema import CreateIndex, CreateTable, UniqueConstraint

from onesheet.store.schema import metadata

# The per-entity tables: the log, the current view and what hangs off one entity. Other
# tables with a county_code (org tree, templates, report runs, audit, …) stay ordinary
# coordinator tables: small, or province-wide by nature.
PARTITIONED: tuple[str, ...] = (
    "entity",
    "batch",
    "observation",
    "sheet_person",
    "sheet_household",
    "sheet_enterprise",
    "sheet_house",
    "sheet_place",
    "sheet_value",
    "conflict",
    "task_item",
    "link_queue",
)

# planner settings the coordinator database gets (both off by default in PostgreSQL)
PLANNER_SETTINGS = ("enable_partitionwise_aggregate", "enable_partitionwise_join")

_COUNTY = re.compile(r"^\d{6}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class ProvinceError(RuntimeError):
    """A province layout step that cannot be done as asked."""


@dataclass(frozen=True)
class Shard:
    """A second PostgreSQL cluster holding some counties' partitions."""

    name: str
    host: str
    port: int
    dbname: str
    user: str
    password: str | None = None


def _county(code: str) -> str:
    if not _COUNTY.match(code):
        raise ProvinceError(f"county code must be 6 digits: {code!r}")
    return code


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise ProvinceError(f"not a plain lower-case name: {name!r}")
    return name


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def partition_name(table: str, county: str) -> str:
    return f"{table}_c{_county(county)}"


def shard_schema(county: str) -> str:
    return f"c{_county(county)}"


# --- the parents ----------------------------------------------------------------------------


def parent_metadata() -> MetaData:
    """The partitioned parents: same columns, defaults and non-unique indexes as the
    single-county tables, no primary key or unique constraint, ``PARTITION BY LIST``."""
    md = MetaData()
    for name in PARTITIONED:
        src = metadata().tables[name]
        auto = src.autoincrement_column
        cols = []
        for c in src.columns:
            keep_default = c.server_default is not None and (auto is None or c is not auto)
            cols.append(
                Column(
                    c.name,
                    c.type,
                    nullable=False if c.primary_key else c.nullable,
                    # the autoincrement column gets nextval once its sequence exists
                    server_default=c.server_default._copy() if keep_default else None,
                    index=bool(c.index),
                )
            )
        t = Table(name, md, *cols, postgresql_partition_by="LIST (county_code)")
        for ix in src.indexes:
            if ix.unique or not all(isinstance(e, Column) for e in ix.expressions):
                continue
            if any(c.index for c in ix.columns) and len(ix.columns) == 1:
                continue  # index=True on the column: already copied with it
            Index(ix.name, *[t.c[c.name] for c in ix.columns], **ix.dialect_kwargs)
    return md


def _keys(name: str) -> list[tuple[str, list[str]]]:
    """(kind, columns) for the primary key and every unique constraint/index of ``name``."""
    src = metadata().tables[name]
    keys = [("PRIMARY KEY", [c.name for c in src.primary_key.columns])]
    for con in src.constraints:
        if isinstance(con, UniqueConstraint):
            keys.append(("UNIQUE", [c.name for c in con.columns]))
    for c in src.columns:
        if c.unique:
            keys.append(("UNIQUE", [c.name]))
    for ix in src.indexes:
        if ix.unique:
            keys.append(("UNIQUE", [c.name for c in ix.columns]))
    return [(k, cols) for k, cols in keys if cols]


def partition_coordinator(engine: Engine) -> list[str]:
    """Turn an initialised (``onesheet init``), still empty coordinator database into the
    province layout: each table of ``PARTITIONED`` becomes a parent partitioned by county.

    Refuses when any of those tables holds a row (moving data is not done here). Returns the
    tables converted; a table already partitioned is left as it is.
    """
    if engine.dialect.name != "postgresql":
        raise ProvinceError("the province layout needs PostgreSQL (SQLite stays one county)")
    done: list[str] = []
    with engine.begin() as conn:
        kinds = dict(
            conn.execute(
                text(
                    "SELECT c.relname, c.relkind FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relname = ANY(:names)"
                ),
                {"names": list(PARTITIONED)},
            ).all()
        )
        missing = [n for n in PARTITIONED if n not in kinds]
        if missing:
            raise ProvinceError(f"run `onesheet init` first; missing tables: {missing}")
        todo = [n for n in PARTITIONED if kinds[n] != "p"]
        for name in todo:
            if conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{name}")')).scalar():
                raise ProvinceError(f"table {name} already holds rows; start from an empty one")
        md = parent_metadata()
        for name in todo:
            conn.execute(text(f'DROP TABLE "{name}" CASCADE'))  # drops its owned sequence too
            t = md.tables[name]
            conn.execute(CreateTable(t))
            for ix in t.indexes:
                conn.execute(CreateIndex(ix))
            auto = metadata().tables[name].autoincrement_column
            if auto is not None:
                seq = f"{name}_{auto.name}_seq"
                conn.execute(text(f'CREATE SEQUENCE IF NOT EXISTS "{seq}" AS bigint'))
                conn.execute(
                    text(
                        f'ALTER TABLE "{name}" ALTER COLUMN "{auto.name}" '
                        f"SET DEFAULT nextval('{seq}'::regclass)"
                    )
                )
                conn.execute(text(f'ALTER SEQUENCE "{seq}" OWNED BY "{name}"."{auto.name}"'))
            done.append(name)
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgres_fdw"))
        # a GROUP BY on county_code is then done per partition, on the shard for a foreign one
        # (postgres_fdw pushes the aggregate down) instead of pulling every row over; joins
        # on county_code likewise pair partitions. Takes effect for new sessions.
        db = conn.execute(text("SELECT current_database()")).scalar_one()
        for setting in PLANNER_SETTINGS:
            conn.execute(text(f'ALTER DATABASE "{db}" SET {setting} = on'))
    engine.dispose()  # pooled sessions predate the settings
    return done


# --- shards and counties --------------------------------------------------------------------


def add_shard(engine: Engine, shard: Shard) -> None:
    """Declare a shard on the coordinator: a postgres_fdw server and the user mapping the
    coordinator's login uses on it. Idempotent."""
    name = _ident(shard.name)
    opts = (
        f"host {_lit(shard.host)}, port {_lit(str(shard.port))}, dbname {_lit(shard.dbname)}, "
        "fetch_size '2000', batch_size '500', async_capable 'true', "
        "extensions 'postgres_fdw'"
    )
    user = f"user {_lit(shard.user)}"
    if shard.password:
        user += f", password {_lit(shard.password)}"
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgres_fdw"))
        conn.execute(
            text(
                f'CREATE SERVER IF NOT EXISTS "{name}" FOREIGN DATA WRAPPER postgres_fdw '
                f"OPTIONS ({opts})"
            )
        )
        conn.execute(
            text(
                f'CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER "{name}" '
                f"OPTIONS ({user})"
            )
        )


def shard_metadata(county: str) -> MetaData:
    """The county's tables as a shard holds them: the single-county definitions (keys and
    indexes included) in schema ``c<county>``."""
    md = MetaData()
    schema = shard_schema(county)
    for name in PARTITIONED:
        metadata().tables[name].to_metadata(md, schema=schema)
    return md


def prepare_shard(shard_engine: Engine, county: str) -> None:
    """On the shard itself: schema ``c<county>`` with the county's tables, each checked to
    hold that county only. Idempotent."""
    schema = shard_schema(county)
    md = shard_metadata(county)
    with shard_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        md.create_all(conn)
        for name in PARTITIONED:
            check = f"ck_{name}_county"
            exists = conn.execute(
                text(
                    "SELECT 1 FROM pg_constraint WHERE conname = :c AND conrelid = (:t)::regclass"
                ),
                {"c": check, "t": f'"{schema}"."{name}"'},
            ).first()
            if not exists:
                conn.execute(
                    text(
                        f'ALTER TABLE "{schema}"."{name}" ADD CONSTRAINT "{check}" '
                        f"CHECK (county_code = {_lit(county)})"
                    )
                )


def add_county(engine: Engine, county: str, *, shard: str | None = None) -> list[str]:
    """Attach county ``county``'s partition of every partitioned table: a local table with
    the single-county keys, or (``shard``: a server from ``add_shard``, whose tables
    ``prepare_shard`` made) a foreign table. Returns the partitions created."""
    _county(county)
    made: list[str] = []
    with engine.begin() as conn:
        existing = set(
            conn.execute(
                text("SELECT relname FROM pg_class WHERE relname = ANY(:n)"),
                {"n": [partition_name(t, county) for t in PARTITIONED]},
            ).scalars()
        )
        for name in PARTITIONED:
            part = partition_name(name, county)
            if part in existing:
                continue
            bound = f'PARTITION OF "{name}" FOR VALUES IN ({_lit(county)})'
            if shard is None:
                conn.execute(text(f'CREATE TABLE "{part}" {bound}'))
                for i, (kind, cols) in enumerate(_keys(name)):
                    con = f"{part}_pk" if kind == "PRIMARY KEY" else f"{part}_uq{i}"
                    collist = ", ".join(f'"{c}"' for c in cols)
                    conn.execute(
                        text(f'ALTER TABLE "{part}" ADD CONSTRAINT "{con}" {kind} ({collist})')
                    )
            else:
                conn.execute(
                    text(
                        f'CREATE FOREIGN TABLE "{part}" {bound} SERVER "{_ident(shard)}" '
                        f"OPTIONS (schema_name {_lit(shard_schema(county))}, "
                        f"table_name {_lit(name)})"
                    )
                )
            made.append(part)
    return made


@dataclass(frozen=True)
class Partition:
    table: str
    county: str
    partition: str
    server: str | None  # None: local on the coordinator


def layout(conn: Connection) -> list[Partition]:
    """Every county partition of the partitioned tables, local or foreign."""
    rows = conn.execute(
        text(
            "SELECT p.relname AS parent, c.relname AS part, "
            "pg_get_expr(c.relpartbound, c.oid) AS bound, s.srvname AS server "
            "FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "LEFT JOIN pg_foreign_table ft ON ft.ftrelid = c.oid "
            "LEFT JOIN pg_foreign_server s ON s.oid = ft.ftserver "
            "WHERE p.relname = ANY(:names) ORDER BY p.relname, c.relname"
        ),
        {"names": list(PARTITIONED)},
    ).all()
    out = []
    for r in rows:
        m = re.search(r"'(\d{6})'", r.bound or "")
        out.append(Partition(r.parent, m.group(1) if m else "", r.part, r.server))
    return out


def counties(conn: Connection) -> dict[str, str | None]:
    """county → shard server name (None: local), from the ``observation`` partitions."""
    return {p.county: p.server for p in layout(conn) if p.table == "observation"}


def explain(conn: Connection, sql: str, params: dict[str, object] | None = None) -> str:
    """EXPLAIN (VERBOSE) of ``sql``: shows which partitions a statement reads."""
    rows = conn.execute(text("EXPLAIN (VERBOSE, COSTS OFF) " + sql), params or {}).scalars()
    return "\n".join(rows)


def partitions_in_plan(plan: str, table: str) -> set[str]:
    """The partitions of ``table`` a plan from ``explain`` touches."""
    return set(re.findall(rf"\b({re.escape(table)}_c\d{{6}})\b", plan))


def county_rows(conn: Connection, county: str, tables: Iterable[str] = PARTITIONED) -> dict:
    """Rows per table in ``county``'s partition (read through the parent, pruned)."""
    md = parent_metadata()
    return {
        t: conn.execute(
            select(func.count())
            .select_from(md.tables[t])
            .where(md.tables[t].c.county_code == county)
        ).scalar_one()
        for t in tables
    }


@dataclass(frozen=True)
class CountyCount:
    """One county's line of the province aggregate."""

    county_code: str
    people: int
    households: int


def county_counts(conn: Connection) -> list[CountyCount]:
    """People and households per county, through the parents: one GROUP BY each, which the
    province layout runs partition-wise (a foreign county's part on its shard). Works on a
    single database (SQLite or PostgreSQL) as well, where it is the same GROUP BY."""
    out: dict[str, list[int]] = {}
    for i, kind in enumerate(("person", "household")):
        t = metadata().tables[f"sheet_{kind}"]
        q = select(t.c.county_code, func.count()).group_by(t.c.county_code)
        for county, n in conn.execute(q):
            out.setdefault(str(county), [0, 0])[i] = int(n)
    return [CountyCount(c, p, h) for c, (p, h) in sorted(out.items())]
