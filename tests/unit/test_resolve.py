"""The current-value rule (一数一源), ``domain/observations.resolve``, without a database.

Rule: each source's latest word (valid-from, then recorded-at, then id); the latest settle
outranks everything recorded before it; then the field's authoritative department outranks
other sources; ties go to the most recent. A tombstone withdraws a source's value. ``as_of``
is what the sheet knew at a moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onesheet.domain.observations import Observation, as_of, resolve

T0 = datetime(2026, 1, 1, 8, 0)
AUTH = "public_security"


def obs(
    id: int,
    value: str | None,
    source: str = "civil_affairs",
    *,
    kind: str = "value",
    day: int = 0,
    at: int | None = None,
) -> Observation:
    """An observation valid from ``day`` and recorded at day ``at`` (default: the same day)."""
    recorded = T0 + timedelta(days=day if at is None else at, minutes=id)
    if kind == "tombstone":
        value = None
    return Observation(id, "person.phone", value, kind, source, T0 + timedelta(days=day), recorded)


# (what happened, winning value, winning id, conflict?)
CASES = [
    ("nothing recorded", [], None, None, False),
    ("one source", [obs(1, "a")], "a", 1, False),
    (
        "a source's later word replaces its earlier",
        [obs(1, "a"), obs(2, "b", day=1)],
        "b",
        2,
        False,
    ),
    (
        "authority beats a newer other source, which disagrees",
        [obs(1, "a", AUTH), obs(2, "b", "health", day=5)],
        "a",
        1,
        True,
    ),
    (
        "authority's own later word wins",
        [obs(1, "a", AUTH), obs(2, "b", "health", day=1), obs(3, "c", AUTH, day=2)],
        "c",
        3,
        True,
    ),
    (
        "between non-authorities the most recent valid-from wins",
        [obs(1, "a", "health", day=3), obs(2, "b", "civil_affairs", day=1, at=9)],
        "a",
        1,
        True,
    ),
    (
        "same valid-from: the later recorded wins",
        [obs(1, "a", "health", day=1, at=1), obs(2, "b", "civil_affairs", day=1, at=2)],
        "b",
        2,
        True,
    ),
    (
        "same valid-from and recorded-at: the higher id wins",
        [
            Observation(7, "person.phone", "a", "value", "health", T0, T0),
            Observation(8, "person.phone", "b", "value", "civil_affairs", T0, T0),
        ],
        "b",
        8,
        True,
    ),
    (
        "a backdated correction from the same source does not replace a newer valid-from",
        [obs(1, "a", day=5), obs(2, "b", day=1, at=9)],
        "a",
        1,
        False,
    ),
    ("agreeing sources are no conflict", [obs(1, "a", AUTH), obs(2, "a", "health")], "a", 1, False),
    (
        "a tombstone empties its source",
        [obs(1, "a"), obs(2, None, kind="tombstone", day=1)],
        None,
        2,
        False,
    ),
    (
        "the authority withdrawing leaves it the winner, empty; no conflict with one live value",
        [obs(1, "a", AUTH), obs(2, "b", "health"), obs(3, None, AUTH, kind="tombstone", day=1)],
        None,
        3,
        False,
    ),
    (
        "another source withdrawing leaves the authority",
        [
            obs(1, "a", AUTH),
            obs(2, "b", "health", day=1),
            obs(3, None, "health", kind="tombstone", day=2),
        ],
        "a",
        1,
        False,
    ),
    (
        "a settle outranks the authority recorded before it and ends the conflict",
        [obs(1, "a", AUTH), obs(2, "b", "health"), obs(3, "b", "village", kind="settle", day=1)],
        "b",
        3,
        False,
    ),
    (
        "the latest settle counts",
        [obs(1, "a", "village", kind="settle"), obs(2, "b", "village", kind="settle", day=1)],
        "b",
        2,
        False,
    ),
    (
        "a non-authority recorded after a settle disagrees but does not win",
        [
            obs(1, "a", AUTH),
            obs(2, "b", "village", kind="settle", day=1),
            obs(3, "c", "health", day=2),
        ],
        "b",
        2,
        True,
    ),
    (
        "the authority's word recorded after a settle wins (the settle ranks only over the past)",
        [obs(1, "a", AUTH), obs(2, "b", "village", kind="settle", day=1), obs(3, "c", AUTH, day=2)],
        "c",
        3,
        True,
    ),
]


@pytest.mark.parametrize(
    ("observations", "value", "winner_id", "conflict"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_resolution_table(
    observations: list[Observation], value: str | None, winner_id: int | None, conflict: bool
) -> None:
    result = resolve(observations, AUTH)
    assert result.value == value
    assert (result.winner.id if result.winner else None) == winner_id
    assert result.in_conflict is conflict
    if conflict:
        assert len({o.value for o in result.disagreeing}) > 1
        assert [o.id for o in result.disagreeing] == sorted(o.id for o in result.disagreeing)


def test_as_of_is_what_was_recorded_then() -> None:
    history = [
        obs(1, "a", "health"),
        obs(2, "b", AUTH, day=2),
        obs(3, "c", "village", kind="settle", day=4),
    ]
    assert resolve(as_of(history, T0 - timedelta(days=1)), AUTH).value is None
    assert resolve(as_of(history, T0 + timedelta(days=1)), AUTH).value == "a"
    assert resolve(as_of(history, T0 + timedelta(days=3)), AUTH).value == "b"
    assert resolve(as_of(history, T0 + timedelta(days=5)), AUTH).value == "c"
    # the moment itself is included
    assert as_of(history, history[1].recorded_at) == history[:2]


# --- properties -----------------------------------------------------------------------------

SOURCES = [AUTH, "health", "civil_affairs", "village"]


@st.composite
def histories(draw: st.DrawFn) -> list[Observation]:
    n = draw(st.integers(0, 8))
    out = []
    for i in range(1, n + 1):
        kind = draw(st.sampled_from(["value", "value", "value", "tombstone", "settle"]))
        out.append(
            obs(
                i,
                draw(st.sampled_from(["a", "b", "c"])),
                draw(st.sampled_from(SOURCES)),
                kind=kind,
                day=draw(st.integers(0, 4)),
                at=draw(st.integers(0, 4)),
            )
        )
    return out


@given(histories(), st.randoms())
def test_order_of_the_log_does_not_matter(history: list[Observation], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(history)
    rnd.shuffle(shuffled)
    assert resolve(shuffled, AUTH) == resolve(history, AUTH)


@given(histories())
def test_the_value_is_the_winners_and_the_winner_is_in_the_log(history: list[Observation]) -> None:
    result = resolve(history, AUTH)
    if not history:
        assert result.winner is None and result.value is None
        return
    assert result.winner in history
    assert result.value == result.winner.value
    assert all(o in history for o in result.disagreeing)


@given(histories())
def test_without_settles_the_authoritys_latest_word_wins(history: list[Observation]) -> None:
    history = [o for o in history if o.kind != "settle"]
    from_authority = [o for o in history if o.source == AUTH]
    result = resolve(history, AUTH)
    if from_authority:
        latest = max(from_authority, key=lambda o: (o.valid_from, o.recorded_at, o.id))
        assert result.winner == latest


@given(histories())
def test_a_fresh_settle_decides(history: list[Observation]) -> None:
    last = max((o.recorded_at for o in history), default=T0)
    settle = Observation(
        99, "person.phone", "z", "settle", "village", last, last + timedelta(hours=1)
    )
    result = resolve([*history, settle], AUTH)
    assert result.value == "z" and not result.in_conflict


@given(histories())
def test_as_of_now_is_everything(history: list[Observation]) -> None:
    now = max((o.recorded_at for o in history), default=T0)
    assert resolve(as_of(history, now), AUTH) == resolve(history, AUTH)
