"""Batch ids of the values lane (``store/ids.VALUES_LANE``): task saves take their batch ids
from a county row of their own, so they never wait on the row an import holds to its
commit; the ids stay unique against the main lane across regions, the import's change mark
(``link_store.high_water``) does not move for them, and the fill-count mark
(``field_fill.latest_batch``) moves for both lanes.
(That a save is no longer held up: ``tests/faults/test_kill.py``.)
"""

from __future__ import annotations

from onesheet.services.base import Store
from onesheet.store import field_fill, ids, link_store

COUNTY = "330599"


def test_the_values_lane_never_overlaps_and_leaves_the_import_mark_alone(store: Store) -> None:
    with store.transaction() as conn:
        main = list(ids.allocate(conn, "batch", 3, COUNTY))
        mark = link_store.high_water(conn, COUNTY)
        stamp = field_fill.latest_batch(conn)
        values = list(ids.allocate(conn, "batch", 3, COUNTY, lane=ids.VALUES_LANE))
        assert link_store.high_water(conn, COUNTY) == mark  # the import's check ignores it
        assert field_fill.latest_batch(conn) > stamp  # the fill counts do not
        # past the end of the lane's region: a new region, still apart from the main lane
        big = ids.allocate(conn, "batch", ids.REGION, COUNTY, lane=ids.VALUES_LANE)
        stamp = field_fill.latest_batch(conn)
        more_main = list(ids.allocate(conn, "batch", 2, COUNTY))
        assert link_store.high_water(conn, COUNTY) == mark + 2  # the main lane moves it
        assert field_fill.latest_batch(conn) == stamp + 2
    taken = [*main, *values, *big, *more_main]
    assert len(set(taken)) == len(taken)  # unique, whatever the lane
    assert main == sorted(main) and more_main[0] > main[-1]  # each lane counts up
    assert values[0] // ids.REGION != main[0] // ids.REGION  # a region of its own
    assert ids.counter_name("batch", COUNTY, ids.VALUES_LANE) == f"batch@{COUNTY}:values"
