"""Village-level statuses drawn as quotas: who works away, is disabled, a veteran, on 低保.

Drawing these per person with a fixed probability would let a small village come out with no
disabled person or twice the 低保 rate. Real rates are steady from village to village, so each
status is a quota of the village's population filled by weighted sampling without
replacement, the weights saying who is likely to have it (disability rises with age, veterans
are mostly men of 40–80, 低保 goes to whole households of the old, sick and disabled).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from onesheet.domain.synth import vocab
from onesheet.domain.synth.households import YEAR, HouseholdDraft
from onesheet.domain.synth.model import Member
from onesheet.domain.synth.names import WeightedPicker

T = TypeVar("T")

DISABLED_RATE = 0.06
VETERAN_RATE = 0.015
TEKUN_RATE = 0.004
DIBAO_RATE = 0.03
MONITORED_RATE = 0.01
LIFTED_HOUSEHOLD_RATE = 0.012


def weighted_sample(
    rng: random.Random, items: Sequence[T], weight: Callable[[T], float], k: int
) -> list[T]:
    """``k`` items without replacement, each drawn with probability ∝ its weight.

    Efraimidis–Spirakis: key = u^(1/w), keep the k largest. Items of weight 0 are never drawn.
    """
    keyed = []
    for i, item in enumerate(items):
        w = weight(item)
        if w > 0:
            keyed.append((rng.random() ** (1.0 / w), i, item))
    return [item for _, _, item in heapq.nlargest(k, keyed)]


def quota(rng: random.Random, population: int, rate: float) -> int:
    """The village's share of a rate, rounded stochastically so small villages average right."""
    expected = population * rate
    return int(expected + rng.random())


def random_day(rng: random.Random, start: date, end: date) -> date:
    """A day in [start, end] (``end`` when the range is empty: never later than asked)."""
    span = end.toordinal() - start.toordinal()
    return (
        end if span <= 0 else date.fromordinal(start.toordinal() + int(rng.random() * (span + 1)))
    )


def years_after(birth: date, years: float) -> date:
    """The day ``years`` after ``birth`` (fractional years allowed)."""
    return date.fromordinal(birth.toordinal() + int(years * YEAR))


def assign_away(rng: random.Random, drafts: list[HouseholdDraft]) -> None:
    """Mark who works away from home (~8% of people) and the children they leave behind."""
    for hh in drafts:
        members = hh.members
        young_kids = [m for m in members if m.age < 16 and m.parents]
        head = members[0]
        if young_kids and 24 <= head.age <= 50 and rng.random() < 0.06:
            parents = {id(p): p for kid in young_kids for p in kid.parents}
            for parent in parents.values():
                parent.away = True
        for m in members:
            if m.away or m.age < 18 or m.age > 55:
                continue
            if m.is_head and len(members) == 1:
                m.away = rng.random() < 0.455
            elif m.rel in (vocab.REL_SONS[0], vocab.REL_DAUGHTER_IN_LAW, vocab.REL_SON_IN_LAW):
                m.away = rng.random() < 0.2
            elif not m.is_head and m.rel != vocab.REL_SPOUSE and m.age <= 35:
                m.away = rng.random() < 0.45
        for kid in young_kids:
            kid.left_behind = all(p.away for p in kid.parents)


def _disability_weight(m: Member) -> float:
    age = m.age
    return 0.25 if age < 15 else 0.55 if age < 45 else 1.0 if age < 60 else 2.0 if age < 75 else 3.2


def assign_disability(rng: random.Random, people: list[Member], today: date) -> None:
    """~6% disabled, older people far more often; category, grade and certificate date."""
    categories = WeightedPicker(vocab.DISABILITY_CATEGORIES)
    grades = WeightedPicker(vocab.DISABILITY_GRADES)
    chosen = weighted_sample(
        rng, people, _disability_weight, quota(rng, len(people), DISABLED_RATE)
    )
    for m in chosen:
        issued = random_day(rng, max(date(2008, 1, 1), years_after(m.birth, 1)), today)
        m.disability = (categories.pick(rng), grades.pick(rng), issued)


def _veteran_weight(m: Member) -> float:
    if m.sex == vocab.MALE:
        return 10.0 if 40 <= m.age <= 80 else 2.0 if 24 <= m.age <= 90 else 0.0
    return 0.3 if 30 <= m.age <= 70 else 0.0


def assign_veterans(rng: random.Random, people: list[Member], today: date) -> None:
    """~1.5% veterans, mostly men of 40–80, discharged after two to sixteen years' service."""
    services = WeightedPicker(vocab.MILITARY_SERVICE)
    chosen = weighted_sample(rng, people, _veteran_weight, quota(rng, len(people), VETERAN_RATE))
    for m in chosen:
        discharged = min(today, years_after(m.birth, 18 + rng.uniform(2, 16)))
        m.veteran = (services.pick(rng), discharged)


def assign_welfare(
    rng: random.Random,
    drafts: list[HouseholdDraft],
    people: int,
    today: date,
    county_code: str,
    next_certificate: Callable[[], int],
) -> None:
    """特困 (old or disabled people alone), then 低保 households, then 防返贫 monitoring."""
    alone = [hh for hh in drafts if len(hh.members) == 1]

    def tekun_weight(hh: HouseholdDraft) -> float:
        m = hh.members[0]
        severe = m.disability is not None and m.disability[1] in ("1", "2")
        return (3.0 if severe else 0.0) + (1.0 if m.age >= 70 else 0.3 if m.age >= 60 else 0.0)

    for hh in weighted_sample(rng, alone, tekun_weight, quota(rng, people, TEKUN_RATE)):
        hh.members[0].tekun = True
    for hh in _households_for(rng, drafts, _need_weight, quota(rng, people, DIBAO_RATE)):
        start = random_day(rng, date(2012, 1, 1), today)
        per_head = 350 + int(rng.random() * 76) * 10
        amount = f"{per_head * len(hh.members):.2f}"
        certificate = f"{county_code}{start.year}{next_certificate():05d}"
        hh.dibao = (certificate, amount, start)
        for m in hh.members:
            m.dibao = True
    monitoring = WeightedPicker(vocab.MONITORING_TYPES)
    for hh in _households_for(rng, drafts, _monitor_weight, quota(rng, people, MONITORED_RATE)):
        hh.monitored = True
        hh.monitoring_type = monitoring.pick(rng)
    lifted = quota(rng, len(drafts), LIFTED_HOUSEHOLD_RATE)
    for hh in weighted_sample(rng, drafts, _monitor_weight, lifted):
        hh.lifted = True


def _need_weight(hh: HouseholdDraft) -> float:
    """How likely a household is to qualify for 低保 (never a 特困 person's household)."""
    if any(m.tekun for m in hh.members):
        return 0.0
    w = 0.3
    if any(m.disability is not None for m in hh.members):
        w += 3.0
    if all(m.age >= 60 for m in hh.members):
        w += 1.5
    if hh.shape == "single_parent":
        w += 2.5
    return w


def _monitor_weight(hh: HouseholdDraft) -> float:
    """防返贫监测: households one illness away from poverty, often already on 低保."""
    if any(m.tekun for m in hh.members):
        return 0.0
    return _need_weight(hh) + (2.0 if hh.dibao else 0.0)


def _households_for(
    rng: random.Random,
    drafts: list[HouseholdDraft],
    weight: Callable[[HouseholdDraft], float],
    persons: int,
) -> list[HouseholdDraft]:
    """Whole households, in weighted-random order, until about ``persons`` people are covered."""
    ordered = weighted_sample(rng, drafts, weight, len(drafts))
    chosen, covered = [], 0
    for hh in ordered:
        if covered >= persons:
            break
        size = len(hh.members)
        if covered + size - persons > persons - covered:  # overshooting more than we'd miss
            continue
        chosen.append(hh)
        covered += size
    return chosen
