"""Observations (观测值) and how the current value is chosen from them.

An observation is never changed: a correction is a newer observation, a removal is a
``tombstone`` and a village's decision between disagreeing sources is a ``settle``. The
current value of a field is a pure function of its observations, so the stored current view
can always be rebuilt from the log and checked against it.

Rule (一数一源): take each source's latest word (by valid-from, then recorded-at, then id);
the latest settlement outranks everything recorded before it; then the field's authoritative
department outranks other sources; among equals the most recent wins. Sources that still
disagree on a non-empty value form a conflict for the village to settle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ObservationKind = Literal["value", "tombstone", "settle"]
KINDS: tuple[str, ...] = ("value", "tombstone", "settle")


@dataclass(frozen=True, slots=True)
class Observation:
    """One recorded value of one field of one entity."""

    id: int
    field_key: str
    value: str | None
    kind: str
    source: str
    valid_from: datetime
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Resolution:
    """The current value of a field, the observation it came from, and any disagreement."""

    value: str | None
    winner: Observation | None
    disagreeing: tuple[Observation, ...] = ()

    @property
    def in_conflict(self) -> bool:
        return len(self.disagreeing) > 1


def _recency(obs: Observation) -> tuple[datetime, datetime, int]:
    return (obs.valid_from, obs.recorded_at, obs.id)


def resolve(observations: Iterable[Observation], authority: str) -> Resolution:
    """Choose the current value of one field from all of its observations."""
    obs = list(observations)
    if not obs:
        return Resolution(None, None)
    settlements = [o for o in obs if o.kind == "settle"]
    if settlements:
        last = max(settlements, key=lambda o: (o.recorded_at, o.id))
        obs = [last, *[o for o in obs if (o.recorded_at, o.id) > (last.recorded_at, last.id)]]
    latest = _latest_per_source(obs)
    winner = max(latest, key=lambda o: (_rank(o, authority), _recency(o)))
    live = [o for o in latest if o.value is not None]
    distinct = {o.value for o in live}
    disagreeing = tuple(sorted(live, key=lambda o: o.id)) if len(distinct) > 1 else ()
    return Resolution(winner.value, winner, disagreeing)


def _latest_per_source(obs: Sequence[Observation]) -> list[Observation]:
    best: dict[str, Observation] = {}
    for o in obs:
        key = "\x00settle" if o.kind == "settle" else o.source
        current = best.get(key)
        if current is None or _recency(o) > _recency(current):
            best[key] = o
    return list(best.values())


def _rank(obs: Observation, authority: str) -> int:
    # Everything recorded before the latest settle is already gone (``resolve``); among what
    # is left, the settle ranks with the authority, so the authority's later word still wins.
    if obs.kind == "settle":
        return 1
    return 1 if obs.source == authority else 0


def as_of(observations: Iterable[Observation], moment: datetime) -> list[Observation]:
    """The observations that had been recorded at ``moment`` (what the sheet knew then)."""
    return [o for o in observations if o.recorded_at <= moment]
