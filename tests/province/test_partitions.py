"""The province layout on two throwaway PostgreSQL clusters (issue 18, item 1).

Cluster A holds the coordinator database: entity tables partitioned by county, county
``LOCAL`` as local partitions. Cluster B is a shard holding county ``REMOTE``'s partitions,
attached to the coordinator as postgres_fdw foreign tables. Seed, sheet reads, a report, a
correction and an import run through the coordinator with the ordinary services, for both
counties; rows are counted on the shard directly, and EXPLAIN shows the pruning.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from onesheet.devtools.pg_cluster import Cluster
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.values.idnumber import make_id_number
from onesheet.services import setup
from onesheet.services.base import Store
from onesheet.services.data_import import import_file
from onesheet.services.reports import run_report
from onesheet.services.seed import seed_county
from onesheet.services.sheet_read import read_entity
from onesheet.services.sheet_write import Change, record_changes
from onesheet.store import province
from onesheet.store.engine import make_engine
from onesheet.store.schema import sheet_table
from tests.reports.support import REPORT_DATE, add_template
from tests.scratch_db import create_database

pytestmark = pytest.mark.postgres

LOCAL, REMOTE = "330523", "330522"
PEOPLE = 200


class Province:
    def __init__(self, store: Store, shard_url: str) -> None:
        self.store = store
        self.shard = make_engine(shard_url)

    def on_shard(self, sql: str) -> object:
        """One value read on the shard directly, not through the coordinator."""
        with self.shard.connect() as conn:
            return conn.execute(text(sql)).scalar_one()


@pytest.fixture(scope="module")
def prov() -> Iterator[Province]:
    a, b = Cluster(), Cluster()
    a.start()
    try:
        b.start()
        try:
            coord_url = create_database(a.url, "province")
            shard_url = create_database(b.url, "shard")
            store = Store(make_engine(coord_url))
            setup.init_database(store, CLI_ADMIN)
            assert set(province.partition_coordinator(store.engine)) == set(province.PARTITIONED)
            province.add_shard(
                store.engine, province.Shard("shard_b", "127.0.0.1", b.port, "shard", "postgres")
            )
            province.add_county(store.engine, LOCAL)
            shard = make_engine(shard_url)
            province.prepare_shard(shard, REMOTE)
            shard.dispose()
            province.add_county(store.engine, REMOTE, shard="shard_b")
            for county, seed in ((LOCAL, 7), (REMOTE, 8)):
                seed_county(
                    store, CLI_ADMIN, county, people=PEOPLE, seed=seed, today=date(2026, 11, 1)
                )
            p = Province(store, shard_url)
            yield p
            p.shard.dispose()
            store.engine.dispose()
        finally:
            b.stop()
    finally:
        a.stop()


def _people(store: Store, county: str) -> list[dict]:  # type: ignore[type-arg]
    t = sheet_table("person")
    with store.engine.connect() as conn:
        q = select(t).where(t.c.county_code == county).order_by(t.c.entity_id)
        return [dict(r._mapping) for r in conn.execute(q)]


def test_layout_puts_each_county_where_it_was_placed(prov: Province) -> None:
    with prov.store.engine.connect() as conn:
        assert province.counties(conn) == {LOCAL: None, REMOTE: "shard_b"}
        local = province.county_rows(conn, LOCAL)
        remote = province.county_rows(conn, REMOTE)
        # local partitions are real tables on the coordinator; the remote county has none
        assert (
            conn.execute(text(f"SELECT count(*) FROM observation_c{LOCAL}")).scalar()
            == local["observation"]
        )
    assert local["entity"] > PEOPLE and remote["entity"] > PEOPLE
    assert len(_people(prov.store, LOCAL)) == len(_people(prov.store, REMOTE)) == PEOPLE
    for t in ("entity", "observation", "sheet_person", "batch"):
        assert prov.on_shard(f"SELECT count(*) FROM c{REMOTE}.{t}") == remote[t], t
        assert (
            prov.on_shard(f"SELECT count(*) FROM c{REMOTE}.{t} WHERE county_code <> '{REMOTE}'")
            == 0
        )
    # the shard holds the remote county only: no schema for the local one
    assert prov.on_shard(f"SELECT count(*) FROM pg_namespace WHERE nspname = 'c{LOCAL}'") == 0


def test_county_scoped_query_is_pruned_and_province_aggregate_reads_all(prov: Province) -> None:
    with prov.store.engine.connect() as conn:
        for county in (LOCAL, REMOTE):
            plan = province.explain(
                conn,
                "SELECT org_code, count(*) FROM sheet_person WHERE county_code = :c "
                "GROUP BY org_code",
                {"c": county},
            )
            assert province.partitions_in_plan(plan, "sheet_person") == {
                f"sheet_person_c{county}"
            }, plan
        remote_plan = province.explain(
            conn, "SELECT count(*) FROM observation WHERE county_code = :c", {"c": REMOTE}
        )
        assert "Foreign Scan" in remote_plan and f"observation_c{LOCAL}" not in remote_plan
        agg = "SELECT county_code, count(*) FROM sheet_person GROUP BY county_code"
        plan = province.explain(conn, agg)
        assert province.partitions_in_plan(plan, "sheet_person") == {
            f"sheet_person_c{LOCAL}",
            f"sheet_person_c{REMOTE}",
        }
        assert dict(conn.execute(text(agg)).all()) == {LOCAL: PEOPLE, REMOTE: PEOPLE}
        # partitionwise aggregation: the remote county's count is computed on the shard
        verbose = province.explain(conn, agg)
        assert "Remote SQL: SELECT county_code, count(*)" in verbose, verbose


def test_sheet_read_and_report_per_county(prov: Province, tmp_path: Path) -> None:
    add_template(prov.store, "people_roster")
    add_template(prov.store, "population_aggregate")
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "sheet_person" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, params))

    for county in (LOCAL, REMOTE):
        person = _people(prov.store, county)[0]
        card = read_entity(prov.store, CLI_ADMIN, person["entity_id"])
        assert card.value("person.name") == person["name"]
        event.listen(prov.store.engine, "before_cursor_execute", capture)
        try:
            out = tmp_path / f"roster_{county}.csv"
            result = run_report(
                prov.store, CLI_ADMIN, "people_roster", county, REPORT_DATE, "csv", out
            )
        finally:
            event.remove(prov.store.engine, "before_cursor_execute", capture)
        assert result.rows == PEOPLE
        with out.open(encoding="utf-8-sig") as f:
            text_ = f.read()
        assert person["name"] in text_
        # the report's own statement touches only the county's partition
        report_sql = [s for s in statements if "county_code" in s[0]]
        assert report_sql, statements
        with prov.store.engine.connect() as conn:
            sql, params = report_sql[-1]
            plan = "\n".join(
                r[0] for r in conn.exec_driver_sql("EXPLAIN (VERBOSE, COSTS OFF) " + sql, params)
            )
        assert province.partitions_in_plan(plan, "sheet_person") == {f"sheet_person_c{county}"}, (
            plan
        )
        statements.clear()
        agg = run_report(
            prov.store,
            CLI_ADMIN,
            "population_stats",
            county,
            REPORT_DATE,
            "csv",
            tmp_path / f"agg_{county}.csv",
        )
        assert agg.rows >= 1


def test_correction_lands_on_the_county_cluster(prov: Province) -> None:
    before = prov.on_shard(f"SELECT count(*) FROM c{REMOTE}.observation")
    for county in (LOCAL, REMOTE):
        person = _people(prov.store, county)[1]
        phone = "1390000" + county[-4:]
        record_changes(prov.store, CLI_ADMIN, person["entity_id"], [Change("person.phone", phone)])
        assert read_entity(prov.store, CLI_ADMIN, person["entity_id"]).value("person.phone") == (
            phone
        )
        if county == REMOTE:
            assert (
                prov.on_shard(
                    f"SELECT phone FROM c{REMOTE}.sheet_person "
                    f"WHERE entity_id = {person['entity_id']}"
                )
                == phone
            )
    assert prov.on_shard(f"SELECT count(*) FROM c{REMOTE}.observation") == before + 1  # type: ignore[operator]


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "公民身份号码", "联系电话"])
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def test_import_per_county_through_the_coordinator(prov: Province) -> None:
    for county in (LOCAL, REMOTE):
        p = _people(prov.store, county)[2]
        new_id = make_id_number(county, date(1980, 5, 5), 991)
        data = _csv([[p["name"], p["id_number"], "13912340000"], ["新来人", new_id, ""]])
        before_entities = prov.on_shard(f"SELECT count(*) FROM c{REMOTE}.entity")
        summary = import_file(
            prov.store,
            CLI_ADMIN,
            data,
            filename=f"民政_{county}.csv",
            department="civil_affairs",
            county_code=county,
        )
        assert summary.linked == 1 and summary.created == 1, summary
        with prov.store.engine.connect() as conn:
            row = conn.execute(
                text("SELECT county_code FROM sheet_person WHERE id_number = :i"), {"i": new_id}
            ).one()
        assert row.county_code == county
        on_shard = prov.on_shard(
            f"SELECT count(*) FROM c{REMOTE}.sheet_person WHERE id_number = '{new_id}'"
        )
        assert on_shard == (1 if county == REMOTE else 0)
        entities_now = prov.on_shard(f"SELECT count(*) FROM c{REMOTE}.entity")
        assert entities_now == before_entities + (1 if county == REMOTE else 0)  # type: ignore[operator]
