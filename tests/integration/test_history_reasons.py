"""Numbers typed into a correction's reason are shown as the reader sees that kind of value.

Civil affairs sees ID numbers in full and phones masked: a reason "原号13905721234" on the
card's history showed it the phone its value hides. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

from onesheet.domain.access import Actor
from onesheet.domain.masking import mask_numbers_in_text
from onesheet.domain.values.idnumber import make_id_number
from onesheet.services.base import Store
from tests.integration.helpers import COUNTY
from tests.integration.test_probe_2026_11_30 import _masked, history_reasons, recorded_reason

CIVIL = Actor("mz", "department", COUNTY, "civil_affairs")  # IDs in full, phones masked


def test_a_phone_in_a_reason_is_masked_for_whoever_sees_phones_masked(store: Store) -> None:
    village, entity_id, number = recorded_reason(store, lambda n: f"原号13905721234，证号{n}")
    civil = history_reasons(store, CIVIL, entity_id).upper()
    assert "13905721234" not in civil and "139****1234" in civil
    assert number in civil  # civil affairs sees ID numbers in full, here too
    cadre = history_reasons(store, Actor("cadre", "village", village), entity_id).upper()
    assert "139****1234" in cadre and number not in cadre and _masked(number) in cadre
    admin = history_reasons(store, Actor("boss", "admin", COUNTY), entity_id).upper()
    assert "13905721234" in admin and number in admin  # sees both in full


def test_each_kind_of_number_follows_its_own_flag() -> None:
    number = make_id_number(COUNTY, date(1946, 1, 1), 7)
    text = f"新号13812345678，证号{number}，卡6222020200112233"
    assert mask_numbers_in_text(text, ids=False, phones=True) == (
        f"新号138****5678，证号{number}，卡6222020200112233"
    )
    assert mask_numbers_in_text(text, ids=True, phones=False) == (
        f"新号13812345678，证号{_masked(number)}，卡****************"
    )
    assert mask_numbers_in_text(text, ids=False, phones=False) == text
