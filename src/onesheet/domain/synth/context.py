"""The per-village working context shared by the person, household, house and firm writers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from onesheet.domain.synth import vocab
from onesheet.domain.synth.names import WeightedPicker
from onesheet.domain.synth.orgs import VillagePlan
from onesheet.domain.synth.state import CountyState

# Real mobile prefixes (China Mobile, Unicom, Telecom); every one matches 1[3-9]\d.
MOBILE_PREFIXES = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "172",
    "178",
    "182",
    "183",
    "184",
    "187",
    "188",
    "195",
    "198",
    "130",
    "131",
    "132",
    "145",
    "155",
    "156",
    "166",
    "175",
    "176",
    "185",
    "186",
    "196",
    "133",
    "149",
    "153",
    "173",
    "177",
    "180",
    "181",
    "189",
    "190",
    "191",
    "199",
)


@dataclass
class VillageContext:
    """One village's random stream, plan and the county state it writes into."""

    state: CountyState
    plan: VillagePlan
    rng: random.Random
    roads: list[str] = field(default_factory=list)
    employers: list[str] = field(default_factory=list)
    away_places: WeightedPicker = field(default_factory=lambda: WeightedPicker(vocab.AWAY_PLACES))

    @property
    def today(self) -> date:
        return self.state.today

    @property
    def is_community(self) -> bool:
        return self.plan.kind == "社区"

    def snapshot(self, department: str, birth: date | None = None) -> date:
        """When ``department``'s data was extracted, but never before the person was born."""
        when = self.state.snapshots[department]
        return birth if birth is not None and birth > when else when

    def phone(self) -> str:
        """A mobile number: a real prefix and eight random digits."""
        rng = self.rng
        return (
            MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))]
            + f"{rng.randrange(10**8):08d}"
        )

    def street_address(self, group: int, number: int) -> str:
        """The part after the village: 3组12号 in a village, 南湖路12号 in a community."""
        if self.is_community and self.roads:
            # Groups share roads; each group sharing a road takes its own block of 200 numbers.
            lap, road = divmod(group - 1, len(self.roads))
            return f"{self.roads[road]}{number + 200 * lap}号"
        return f"{group}组{number}号"

    def away_address(self) -> str:
        """Where someone who works away lives now (a plausible city district and road)."""
        rng = self.rng
        road = rng.choice(vocab.PLACE_FIRST) + rng.choice(vocab.PLACE_SECOND) + "路"
        return f"{self.away_places.pick(rng)}{road}{rng.randint(1, 999)}号"
