"""One village, start to finish: households, statuses, houses, refs, then the entity records.

The order of random draws is fixed, and each village has its own stream seeded from
(county, people, seed, village code), so a village comes out the same on every run.
"""

from __future__ import annotations

import random
from datetime import date

from onesheet.domain.synth import statuses, vocab
from onesheet.domain.synth.context import VillageContext
from onesheet.domain.synth.enterprises import (
    PEOPLE_PER_ENTERPRISE,
    draft_enterprises,
    enterprise_entity,
)
from onesheet.domain.synth.households import HouseholdComposer, HouseholdDraft
from onesheet.domain.synth.houses import house_entity, household_entity
from onesheet.domain.synth.model import Member, SynthEntity, VillageBatch
from onesheet.domain.synth.orgs import VillagePlan
from onesheet.domain.synth.people import assign_phones, person_entity
from onesheet.domain.synth.state import CountyState

HOUSEHOLDS_PER_GROUP = 35
EMPTY_HOUSE_RATE = 0.03


def village_rng(county_code: str, people: int, seed: int, village_code: str) -> random.Random:
    """The village's own random stream (string seeds hash with SHA-512: stable everywhere)."""
    return random.Random(f"onesheet-synth|{county_code}|{people}|{seed}|{village_code}")


def build_village(state: CountyState, plan: VillagePlan, rng: random.Random) -> VillageBatch:
    """Generate the village's houses, households, persons and enterprises, in that order."""
    ctx = VillageContext(state, plan, rng)
    if ctx.is_community:
        wanted = rng.randint(2, 5)
        while len(ctx.roads) < wanted:  # distinct names, or two roads would share addresses
            road = rng.choice(vocab.PLACE_FIRST) + rng.choice(vocab.PLACE_SECOND)
            if not any(r.startswith(road) for r in ctx.roads):
                ctx.roads.append(road + rng.choice(vocab.ROAD_SUFFIXES))
    drafts = _compose(ctx, plan.people)
    people = [m for hh in drafts for m in hh.members]
    n_groups = _place(ctx, drafts)
    statuses.assign_away(rng, drafts)
    statuses.assign_disability(rng, people, state.today)
    statuses.assign_veterans(rng, people, state.today)
    statuses.assign_welfare(
        rng, drafts, len(people), state.today, state.county_code, state.dibao_certificates.next
    )
    firms = draft_enterprises(ctx, int(plan.people / PEOPLE_PER_ENTERPRISE + rng.random()))
    ctx.employers = [f.name for f in firms if f.form not in (vocab.ENT_INDIVIDUAL, vocab.ENT_COOP)]
    _identify(ctx, drafts)
    assign_phones(ctx, people)

    entities: list[SynthEntity] = []
    next_no: dict[int, int] = {}
    for hh in drafts:
        next_no[hh.group] = max(next_no.get(hh.group, 0), hh.house_no)
        owner = hh.members[0].name
        entities.append(
            house_entity(ctx, hh.house_ref, hh.grid, hh.address, owner, surveyed_on=hh.surveyed_on)
        )
    survey = statuses.random_day(rng, date.fromordinal(state.today.toordinal() - 540), state.today)
    for _ in range(statuses.quota(rng, len(drafts), EMPTY_HOUSE_RATE)):
        group = rng.randint(1, n_groups)
        next_no[group] = next_no.get(group, 0) + 1
        address = plan.address_prefix + ctx.street_address(group, next_no[group])
        owner = state.names.surnames.pick(rng) + state.names.given(
            rng, vocab.MALE, rng.randint(1950, 1990)
        )
        ref = f"B{state.houses.next():06d}"
        usage = vocab.USAGE_RENTED if rng.random() < 0.4 else vocab.USAGE_EMPTY
        grid = _grid_of(plan, group, n_groups)
        entities.append(house_entity(ctx, ref, grid, address, owner, usage, survey))
    entities += [household_entity(ctx, hh) for hh in drafts]
    entities += [person_entity(ctx, m, hh) for hh in drafts for m in hh.members]
    adults = [m for m in people if 25 <= m.age <= 70] or people
    for firm in firms:
        group = rng.randint(1, n_groups)
        address = plan.address_prefix + ctx.street_address(group, rng.randint(60, 199))
        boss = adults[int(rng.random() * len(adults))].name if adults else "（合成）"
        ref = f"E{state.enterprises.next():06d}"
        grid = _grid_of(plan, group, n_groups)
        entities.append(enterprise_entity(ctx, firm, ref, boss, grid, address))
    return VillageBatch(plan.code, entities)


def _compose(ctx: VillageContext, target: int) -> list[HouseholdDraft]:
    """Households until exactly ``target`` people (the last one trimmed from its tail)."""
    composer = HouseholdComposer(ctx.rng, ctx.today, ctx.state.names)
    drafts: list[HouseholdDraft] = []
    remaining = target
    while remaining > 0:
        hh = composer.draw()
        if len(hh.members) > remaining:
            hh.members = hh.members[:remaining]
        remaining -= len(hh.members)
        drafts.append(hh)
    return drafts


def _grid_of(plan: VillagePlan, group: int, n_groups: int) -> str:
    """Groups are split into contiguous runs, one run per grid."""
    return plan.grid_codes[(group - 1) * len(plan.grid_codes) // n_groups]


def _place(ctx: VillageContext, drafts: list[HouseholdDraft]) -> int:
    """Groups, grids, house numbers, addresses, hukou and record dates; returns the group count."""
    plan, rng, today = ctx.plan, ctx.rng, ctx.today
    n_groups = max(len(plan.grid_codes), min(30, round(len(drafts) / HOUSEHOLDS_PER_GROUP)))
    numbers: dict[int, int] = {}
    non_agri = 0.7 if ctx.is_community else 0.08
    reg_start, reg_end = date(2019, 1, 1), min(today, date(2019, 12, 31))
    survey_start = date.fromordinal(today.toordinal() - 540)
    for i, hh in enumerate(drafts):
        hh.group = i * n_groups // len(drafts) + 1
        hh.grid = _grid_of(plan, hh.group, n_groups)
        numbers[hh.group] = numbers.get(hh.group, 0) + 1 + (rng.random() < 0.15)
        hh.house_no = numbers[hh.group]
        hh.address = plan.address_prefix + ctx.street_address(hh.group, hh.house_no)
        hh.hukou = (
            vocab.HUKOU_NON_AGRICULTURAL if rng.random() < non_agri else vocab.HUKOU_AGRICULTURAL
        )
        hh.registered_on = statuses.random_day(rng, min(reg_start, today), reg_end)
        hh.surveyed_on = statuses.random_day(rng, survey_start, today)
    return n_groups


def _identify(ctx: VillageContext, drafts: list[HouseholdDraft]) -> None:
    """County-unique refs, household numbers and ID numbers, in a fixed order."""
    state, plan = ctx.state, ctx.plan
    for hh in drafts:
        hh.house_ref = f"B{state.houses.next():06d}"
    for i, hh in enumerate(drafts):
        hh.ref = f"H{state.households.next():06d}"
        hh.number = _household_number(plan.index, i)
    for hh in drafts:
        for m in hh.members:
            _identify_person(state, m)


def _identify_person(state: CountyState, m: Member) -> None:
    m.ref = f"P{state.persons.next():06d}"
    m.id_number = state.ids.allocate(m.birth, m.sex == vocab.MALE)


def _household_number(village_index: int, household_index: int) -> str:
    """户号: 9 digits (1 + village + household) while they fit, else 12; unique in the county."""
    if village_index < 9999 and household_index < 9999:
        return f"1{village_index + 1:04d}{household_index + 1:04d}"
    return f"2{village_index + 1:05d}{household_index + 1:06d}"
