"""The public entry point: ``generate_county`` and the lazily generated ``SynthCounty``."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from onesheet.domain.orgunits import OrgUnit
from onesheet.domain.synth import vocab
from onesheet.domain.synth.model import VillageBatch
from onesheet.domain.synth.orgs import VillagePlan, build_org_plan
from onesheet.domain.synth.state import CountyState
from onesheet.domain.synth.village import build_village, village_rng

# How long before ``today`` each department last exported its data (min, max days).
_SNAPSHOT_AGES = {
    vocab.CIVIL_AFFAIRS: (20, 200),
    vocab.EDUCATION: (60, 420),
    vocab.ORGANIZATION: (30, 365),
    vocab.DISABLED_FEDERATION: (30, 300),
    vocab.VETERANS: (60, 500),
    vocab.HUMAN_RESOURCES: (30, 240),
    vocab.MEDICAL_SECURITY: (30, 300),
    vocab.HEALTH: (60, 400),
    vocab.AGRICULTURE: (30, 330),
    vocab.NATURAL_RESOURCES: (200, 900),
    vocab.HOUSING: (300, 1200),
    vocab.STATISTICS: (120, 700),
}


@dataclass
class SynthCounty:
    """A synthetic county: its org tree now, its villages one at a time on demand.

    ``villages()`` starts from a fresh county-wide state on every call, so iterating twice
    yields identical batches and memory holds one village at a time.
    """

    county_code: str
    orgs: list[OrgUnit]
    people: int
    seed: int
    today: date
    county_name: str = ""
    _plans: list[VillagePlan] = field(default_factory=list, repr=False)
    _snapshots: dict[str, date] = field(default_factory=dict, repr=False)

    def villages(self) -> Iterator[VillageBatch]:
        """Each village's entities (houses, households, persons, enterprises), in code order."""
        state = CountyState(self.county_code, self.county_name, self.today)
        state.snapshots = self._snapshots
        for plan in self._plans:
            rng = village_rng(self.county_code, self.people, self.seed, plan.code)
            yield build_village(state, plan, rng)


def generate_county(
    county_code: str, people: int, seed: int, *, today: date = date(2026, 11, 1)
) -> SynthCounty:
    """Plan a county of exactly ``people`` persons; deterministic in (county, people, seed).

    Real towns and villages of the county (from the packaged divisions list) come first,
    synthetic ones fill the tree to about 1,500 people per village.
    """
    if not (len(county_code) == 6 and county_code.isdigit()):
        raise ValueError(f"county code must be 6 digits, got {county_code!r}")
    if people < 0:
        raise ValueError("people must not be negative")
    rng = random.Random(f"onesheet-synth|{county_code}|{people}|{seed}|county")
    plan = build_org_plan(county_code, people, rng)
    snapshots = {
        dept: date.fromordinal(today.toordinal() - rng.randint(low, high))
        for dept, (low, high) in _SNAPSHOT_AGES.items()
    }
    return SynthCounty(
        county_code, plan.orgs, people, seed, today, plan.county_name, plan.villages, snapshots
    )
