"""The sheet learns (issue 11): departments' own columns become county fields, collected once
and reused by every form — on SQLite and PostgreSQL.

Eleven legacy forms with department-specific columns (供养方式, 体检日期, 血压, 慰问金额 …)
are imported by their departments; a data steward confirms each new field (type from the
form's evidence); the Gate approves them; the villages' cadres fill every task through the
task service; every report runs again. After one round ≥ 95 % of the data cells come from the
sheet (the ledger agrees), no value is asked twice across templates, and two forms approved
later ask nothing the sheet already holds. ``sheet rebuild --check`` agrees with the view.
"""

from __future__ import annotations

import io
from collections import Counter

from sqlalchemy import func, select

from onesheet.services import county_fields, ledger, reports
from onesheet.services.base import Store
from onesheet.store import county_fields as store_fields
from onesheet.store.rebuild import rebuild
from onesheet.store.schema import table
from tests.forms.forms_county_fields import FORMS, TRUTH, LegacyForm, xlsx
from tests.integration import sheet_round
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.sheet_round import (
    COUNTY_STAFF,
    STEWARD,
    WHEN,
    core,
    fill_everything,
)

LATER = ("youdaizheng", "tekun_zoufang")  # forms that reuse fields of earlier ones


def bring_in(store: Store, form: LegacyForm) -> str:
    """Import, resolve uncertain columns, confirm new fields, submit, approve (see
    ``sheet_round.bring_in``), with the reasons a steward and a reviewer would give."""
    return sheet_round.bring_in(
        store, form, xlsx, confirm_reason="按表格样例确认", approve_reason="村级事项清单内，准入"
    )


def run_all(store: Store, template_ids: list[str]) -> tuple[int, int]:
    filled = missing = 0
    for tid in template_ids:
        out = io.BytesIO()
        r = reports.run_report(store, COUNTY_STAFF, tid, COUNTY, WHEN, "xlsx", out)
        filled, missing = filled + r.values_filled, missing + r.values_missing
    return filled, missing


def asked_pairs(store: Store) -> Counter[tuple[int, str]]:
    i = table("task_item")
    with store.engine.connect() as conn:
        return Counter((e, k) for e, k in conn.execute(select(i.c.entity_id, i.c.field_key)))


def test_forms_teach_the_sheet_and_one_round_fills_their_reports(store):
    seed_small(store, people=160)
    first = [f for f in FORMS if f.name not in LATER]
    ids = [bring_in(store, f) for f in first]

    # the county's dictionary now holds the departments' own columns as active fields
    listed = county_fields.list_county_fields(store, STEWARD)
    active = {c.definition.label_zh: c.definition for c in listed}
    assert len(active) >= 20 and all(d.status == "active" for d in active.values())
    for heading, want in TRUTH.items():
        d = active[core(heading)] if core(heading) in active else active[heading]
        kind, codes = (want, None) if isinstance(want, str) else want
        assert d.type == kind, (heading, d)
        if codes:
            table_ = store.dictionary.code_tables[d.code_table]  # type: ignore[index]
            assert [e.name for e in table_.entries] == codes
    assert active["供养金额"].unit == "元" if "供养金额" in active else True

    before = run_all(store, ids)
    typed = fill_everything(store)
    after = run_all(store, ids)

    # two later forms reuse fields the sheet now holds: they ask nothing already held
    later_ids = [bring_in(store, f) for f in FORMS if f.name in LATER]
    typed_later = fill_everything(store)
    final = run_all(store, ids + later_ids)

    share_before = before[0] / sum(before)
    share_after = after[0] / sum(after)
    share_final = final[0] / sum(final)
    print(
        f"\nfill share before tasks {share_before:.1%} ({before}), after one round "
        f"{share_after:.1%} ({after}), with the later forms {share_final:.1%} ({final}); "
        f"values typed {sum(typed.values())} + {sum(typed_later.values())}"
    )
    assert share_after >= 0.95 and share_final >= 0.95
    assert share_before < share_after

    # no value asked twice across templates, and none typed twice
    asked = asked_pairs(store)
    assert asked and max(asked.values()) == 1, [p for p, n in asked.items() if n > 1][:5]
    both = typed + typed_later
    assert max(both.values()) == 1
    reused = {"person.x_rwsj", "person.x_fybd", "person.x_gyfs"}
    assert reused & {k for _, k in typed}  # the earlier forms collected them …
    assert not reused & {k for _, k in typed_later}  # … and the later ones did not ask again

    # the same figures from the ledger
    figures = ledger.ledger_figures(store, COUNTY_STAFF)
    # (the ledger counts each report's latest run; before that change it summed every run)
    assert figures.values_filled in (final[0], before[0] + after[0] + final[0])
    # task values typed, per department that asked and in all
    assert sum(figures.typed_by_department) == sum(both.values())
    assert figures.values_typed == sum(both.values())

    # the narrow current view agrees with the log (sheet rebuild --check)
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        report = rebuild(conn, store.dictionary, check_only=True, now=WHEN)  # type: ignore[arg-type]
    assert report.clean, report.examples
    with store.engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(table("sheet_value"))).scalar_one()
    assert held >= len([k for _, k in both if k.split(".")[1].startswith("x_")])
