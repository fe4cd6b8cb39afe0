"""Houses and household records.

Every household lives in a house of its own (rural homes are self-built, one per family) and a
few houses stand empty or are let out. Age drives the rest: an old house is more often
earth-and-timber, lower and more often graded C or D in the safety survey of self-built homes.
"""

from __future__ import annotations

import random
from datetime import date

from onesheet.domain.synth import vocab
from onesheet.domain.synth.context import VillageContext
from onesheet.domain.synth.households import HouseholdDraft
from onesheet.domain.synth.model import SynthEntity, Value
from onesheet.domain.synth.names import WeightedPicker

_STRUCTURES = {
    "old": WeightedPicker(
        (
            (vocab.STRUCT_EARTH_WOOD, 45),
            (vocab.STRUCT_BRICK_WOOD, 45),
            (vocab.STRUCT_BRICK_CONCRETE, 10),
        )
    ),
    "mid": WeightedPicker(
        (
            (vocab.STRUCT_BRICK_WOOD, 28),
            (vocab.STRUCT_BRICK_CONCRETE, 65),
            (vocab.STRUCT_RC, 5),
            (vocab.STRUCT_OTHER, 2),
        )
    ),
    "new": WeightedPicker(((vocab.STRUCT_BRICK_CONCRETE, 55), (vocab.STRUCT_RC, 45))),
}
# (share graded C, share graded D) by structure.
_POOR = {
    vocab.STRUCT_EARTH_WOOD: (0.25, 0.10),
    vocab.STRUCT_BRICK_WOOD: (0.10, 0.03),
    vocab.STRUCT_BRICK_CONCRETE: (0.03, 0.005),
    vocab.STRUCT_RC: (0.01, 0.0),
    vocab.STRUCT_OTHER: (0.10, 0.03),
}


def house_entity(
    ctx: VillageContext,
    ref: str,
    grid: str,
    address: str,
    owner: str,
    usage: str = vocab.USAGE_OWN,
    surveyed_on: date | None = None,
) -> SynthEntity:
    """One house as the housing survey records it, plus what the village sees it used for."""
    rng, today = ctx.rng, ctx.today
    latest = min(2025, today.year)
    year = _year_built(rng, latest, ctx.is_community)
    era = "old" if year < 1980 else "mid" if year < 2000 else "new"
    structure = _STRUCTURES[era].pick(rng)
    floors = {"old": (1, 2), "mid": (1, 3), "new": (2, 4)}[era]
    n_floors = rng.randint(*floors)
    area = n_floors * rng.uniform(55.0, 120.0)
    c_share, d_share = _POOR[structure]
    roll = rng.random()
    if roll < d_share:
        grade = "D"
    elif roll < d_share + c_share:
        grade = "C"
    else:
        grade = "A" if rng.random() < (0.75 if era == "new" else 0.45) else "B"
    self_built = rng.random() < (0.35 if ctx.is_community else 0.92)
    housing = vocab.HOUSING
    seen = surveyed_on or today
    when = min(today, max(ctx.snapshot(housing), date(year, 12, 31)))
    values: tuple[Value, ...] = (
        ("house.address", address, housing, when),
        ("house.structure", structure, housing, when),
        ("house.floors", str(n_floors), housing, when),
        ("house.year_built", str(year), housing, when),
        ("house.area", f"{area:.2f}", housing, when),
        ("house.is_self_built", "1" if self_built else "0", housing, when),
        ("house.safety_grade", grade, housing, when),
        ("house.owner_name", owner, housing, when),
        (
            "house.nature",
            vocab.HOUSE_SELF_BUILT if self_built else vocab.HOUSE_COMMERCIAL,
            housing,
            when,
        ),
        ("house.usage", usage, vocab.VILLAGE, seen),
        ("house.is_rented", "1" if usage == vocab.USAGE_RENTED else "0", vocab.VILLAGE, seen),
    )
    return SynthEntity(ref, "house", grid, None, values)


def _year_built(rng: random.Random, latest: int, community: bool) -> int:
    roll = rng.random()
    if community:
        return rng.randint(1985, latest) if roll < 0.9 else rng.randint(1960, 1984)
    if roll < 0.10:
        return rng.randint(1960, 1979)
    if roll < 0.50:
        return rng.randint(1980, 1999)
    return rng.randint(2000, latest)


def household_entity(ctx: VillageContext, hh: HouseholdDraft) -> SynthEntity:
    """One household: the police register, the village's contact data, welfare, land."""
    rng = ctx.rng
    assert hh.registered_on is not None and hh.surveyed_on is not None
    ps, village = vocab.PUBLIC_SECURITY, vocab.VILLAGE
    head = hh.members[0]
    values: list[Value] = [
        ("household.household_no", hh.number, ps, hh.registered_on),
        ("household.type", vocab.HOUSEHOLD_FAMILY, ps, hh.registered_on),
        ("household.head", head.ref, ps, hh.registered_on),
        ("household.address", hh.address, ps, hh.registered_on),
        ("household.house", hh.house_ref, village, hh.surveyed_on),
        ("household.village_group", str(hh.group), village, hh.surveyed_on),
    ]
    phone = head.phone or next((m.phone for m in hh.members if m.phone), None)
    if phone:
        values.append(("household.phone", phone, village, hh.surveyed_on))
    ca = vocab.CIVIL_AFFAIRS
    if hh.dibao is not None:
        certificate, amount, start = hh.dibao
        values += [
            ("household.is_dibao", "1", ca, start),
            ("household.dibao_cert_no", certificate, ca, start),
            ("household.dibao_amount", amount, ca, start),
        ]
    else:
        values.append(("household.is_dibao", "0", ca, ctx.snapshot(ca)))
    tekun = "1" if hh.members[0].tekun else "0"
    values.append(("household.is_tekun", tekun, ca, ctx.snapshot(ca)))
    ag = vocab.AGRICULTURE
    ag_from = ctx.snapshot(ag)
    values.append(("household.is_monitored", "1" if hh.monitored else "0", ag, ag_from))
    if hh.monitoring_type is not None:
        values.append(("household.monitoring_type", hh.monitoring_type, ag, ag_from))
    values.append(("household.is_lifted_from_poverty", "1" if hh.lifted else "0", ag, ag_from))
    if not ctx.is_community:
        per_person = 0.0 if rng.random() < 0.12 else rng.uniform(0.3, 1.4)
        land = per_person * len(hh.members)
        nr = vocab.NATURAL_RESOURCES
        values.append(("household.arable_land_area", f"{land:.2f}", nr, ctx.snapshot(nr)))
    return SynthEntity(hh.ref, "household", hh.grid, None, tuple(values))
