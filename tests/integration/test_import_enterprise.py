"""Enterprise imports (SQLite and PostgreSQL): linked by USCC, repaired USCC, name + address.

No key, no new enterprise: a row without a valid credit code becomes nobody new; it links by
its name and address or waits in the queue. A mistyped code is a finding, never dropped.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN
from onesheet.linkage.enterprise import read_uscc
from onesheet.linkage.noise import make_enterprise_export
from onesheet.services import linkage_queue
from onesheet.services.data_import import import_file
from onesheet.store import link_store
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, seed_small


def _firms(store) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    e = sheet_table("enterprise")
    with store.engine.connect() as conn:
        rows = link_store.sheet_enterprises(conn, COUNTY)
        reps = dict(conn.execute(select(e.c.entity_id, e.c.legal_rep)).all())
    return [{**r, "legal_rep": reps[r["entity_id"]]} for r in rows]


def _csv(headings, rows) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headings)
    w.writerows(rows)
    return buf.getvalue().encode("gbk")


def test_noisy_uscc_export_links_every_row_to_the_right_enterprise_or_queues_it(store):
    seed_small(store, people=1500)
    firms = _firms(store)
    assert len(firms) >= 20
    ex = make_enterprise_export(firms, county=COUNTY, seed=3, share=0.8)
    data = _csv(ex.headings, ex.rows)
    summary = import_file(
        store,
        CLI_ADMIN,
        data,
        filename="市场监管.csv",
        department="market_regulation",
        entity="enterprise",
    )
    newcomers = sum(1 for t in ex.truth if t is None)
    assert summary.rejected == 0 and summary.rows_read == len(ex.rows)
    assert summary.created == newcomers == summary.methods["new"]
    assert summary.linked + summary.queued + summary.created == len(ex.rows)
    keyless = sum(1 for r in ex.rows if read_uscc(r[1]).number is None)
    assert summary.queued <= keyless  # only rows without a valid code wait
    assert _count(store) == len(firms) + newcomers
    # no row attached to the wrong enterprise: each legal representative lands on its own
    o = table("observation")
    with store.engine.connect() as conn:
        got = conn.execute(
            select(o.c.entity_id, o.c.value).where(
                (o.c.batch_id == summary.batch_id) & (o.c.field_key == "enterprise.legal_rep")
            )
        ).all()
    rep = {f["entity_id"]: f["legal_rep"] for f in firms}
    assert all(rep[e] == v for e, v in got if e in rep)
    mistyped = [f for f in summary.findings if f.code.startswith("uscc.")]
    assert {f.code for f in mistyped} <= {"uscc.repaired", "uscc.invalid"}
    for entry in linkage_queue.list_entries(store, CLI_ADMIN):
        assert entry["entity_type"] == "enterprise"


def _count(store) -> int:  # type: ignore[no-untyped-def]
    e = sheet_table("enterprise")
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(e)).scalar_one())


def test_enterprise_without_a_code_nobody_fits_waits_and_a_person_creates_it(store):
    seed_small(store, people=60)
    data = _csv(["企业名称", "统一社会信用代码", "经营地址"], [["无号新企业有限公司", "", "某地"]])
    before = _count(store)
    summary = import_file(
        store,
        CLI_ADMIN,
        data,
        filename="e.csv",
        department="market_regulation",
        entity="enterprise",
    )
    assert (summary.created, summary.queued) == (0, 1) and _count(store) == before
    (entry,) = linkage_queue.list_entries(store, CLI_ADMIN)
    done = linkage_queue.decide(store, CLI_ADMIN, entry["id"], create=True)
    assert done.status == "created" and _count(store) == before + 1
