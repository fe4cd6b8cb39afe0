"""A person's observations, each from the department that is its authoritative source.

The same person appears in many departments' systems; the generator writes each field as the
department that owns it would (public security for identity, the village for phones and
where people actually live, civil affairs for 低保 …) with a plausible date of record, so the
sheet's "who said what, when" is exercised from the first seed.
"""

from __future__ import annotations

from datetime import date

from onesheet.domain.synth import vocab
from onesheet.domain.synth.context import VillageContext
from onesheet.domain.synth.households import HouseholdDraft
from onesheet.domain.synth.model import Member, SynthEntity, Value
from onesheet.domain.synth.names import WeightedPicker
from onesheet.domain.synth.statuses import years_after

_COHORTS = [(year, WeightedPicker(dist)) for year, dist in vocab.EDUCATION_BY_COHORT]
_EMP = vocab.EMPLOYMENT
_WORKING_AGE = WeightedPicker(
    (
        ("farming", 28),
        ("local_work", 32),
        ("self_employed", 10),
        ("employed", 16),
        ("unemployed", 14),
    )
)
_WORKING_AGE_TOWN = WeightedPicker(
    (
        ("farming", 4),
        ("local_work", 34),
        ("self_employed", 14),
        ("employed", 34),
        ("unemployed", 14),
    )
)
_PUBLIC_SECTOR_SHARE = 0.06  # of formal employees: 机关事业单位 pension


def education(ctx: VillageContext, m: Member) -> str | None:
    """GB/T 4658 level for age: the school a child is in, or the highest level an adult left."""
    age, rng = m.age, ctx.rng
    if age < 6:
        return None
    if age < 12:
        return vocab.EDU_IN_PRIMARY
    if age < 15:
        return vocab.EDU_IN_JUNIOR
    if age < 18:
        return vocab.EDU_IN_SENIOR if rng.random() < 0.7 else vocab.EDU_IN_VOCATIONAL
    if age < 22 and rng.random() < 0.5:
        return vocab.EDU_IN_BACHELOR if rng.random() < 0.45 else vocab.EDU_IN_COLLEGE
    year = m.birth.year
    for before, picker in _COHORTS:
        if year < before:
            return picker.pick(rng)
    return None  # unreachable: the last cohort is open-ended


def political(ctx: VillageContext, m: Member) -> str:
    """~7% of adults are party members (more men, more of the old), some youth League."""
    rng, age = ctx.rng, m.age
    if age >= 18:
        p = 0.10 if m.sex == vocab.MALE else 0.04
        roll = rng.random()
        if roll < p * (1.25 if age >= 45 else 0.8):
            return vocab.PARTY_MEMBER
        if roll > 0.997:
            return vocab.PARTY_PROBATIONARY
    if 14 <= age <= 28 and rng.random() < 0.35:
        return vocab.LEAGUE_MEMBER
    return vocab.MASSES


def work(
    ctx: VillageContext, m: Member, schooling: str | None
) -> tuple[str, str | None, date | None]:
    """(employment code, pension code or None, retirement date or None) for age and status."""
    rng, age = ctx.rng, m.age
    if age < 6:
        return _EMP["preschool"], None, None
    if age < 16 or schooling in (vocab.EDU_IN_BACHELOR, vocab.EDU_IN_COLLEGE) or age < 18:
        return _EMP["student"], None, None
    resident = vocab.PENSION_RESIDENT if rng.random() < 0.92 else vocab.PENSION_NONE
    if age >= 60:
        if rng.random() < (0.45 if ctx.is_community else 0.18):
            retired = years_after(m.birth, 60 if m.sex == vocab.MALE else 55)
            public = rng.random() < _PUBLIC_SECTOR_SHARE * 2
            return (
                _EMP["retired"],
                vocab.PENSION_PUBLIC if public else vocab.PENSION_EMPLOYEE,
                retired,
            )
        kind = "farming" if age < 75 and rng.random() < 0.55 else "unemployed"
        if age >= 80 and rng.random() < 0.4:
            kind = "unable"
        return _EMP[kind], vocab.PENSION_RESIDENT, None
    if m.away:
        employee = rng.random() < 0.5
        return _EMP["migrant_work"], vocab.PENSION_EMPLOYEE if employee else resident, None
    if m.disability is not None and m.disability[1] in ("1", "2") and rng.random() < 0.7:
        return _EMP["unable"], resident, None
    kind = (_WORKING_AGE_TOWN if ctx.is_community else _WORKING_AGE).pick(rng)
    if kind == "employed":
        public = rng.random() < _PUBLIC_SECTOR_SHARE
        return _EMP[kind], vocab.PENSION_PUBLIC if public else vocab.PENSION_EMPLOYEE, None
    return _EMP[kind], resident, None


def _phone_chance(age: int) -> float:
    if age < 14:
        return 0.0
    if age < 18:
        return 0.3
    return 0.92 if age < 60 else 0.75 if age < 80 else 0.45


def assign_phones(ctx: VillageContext, people: list[Member]) -> None:
    """Mobile numbers for most adults, drawn before any record is written (households show
    the head's number, so phones must exist before the household records)."""
    rng = ctx.rng
    for m in people:
        if rng.random() < _phone_chance(m.age):
            m.phone = ctx.phone()


def _flag(value: bool) -> str:
    return "1" if value else "0"


def person_entity(ctx: VillageContext, m: Member, hh: HouseholdDraft) -> SynthEntity:
    """All observations of one person, tagged with their source department and date."""
    today, birth = ctx.today, m.birth
    assert hh.registered_on is not None and hh.surveyed_on is not None
    ps_from = hh.registered_on if hh.registered_on > birth else min(today, years_after(birth, 0.05))
    village_from = hh.surveyed_on if hh.surveyed_on > birth else birth
    ps, village = vocab.PUBLIC_SECURITY, vocab.VILLAGE
    values: list[Value] = [
        ("person.name", m.name, ps, ps_from),
        ("person.id_number", m.id_number, ps, ps_from),
        ("person.gender", m.sex, ps, ps_from),
        ("person.birth_date", birth.isoformat(), ps, ps_from),
        ("person.ethnicity", m.ethnicity, ps, ps_from),
        ("person.registered_address", hh.address, ps, ps_from),
        ("person.relationship_to_head", m.rel, ps, ps_from),
        ("person.household", hh.ref, ps, ps_from),
        ("person.hukou_nature", hh.hukou, ps, ps_from),
        ("person.residence_status", vocab.AWAY if m.away else vocab.RESIDENT, ps, ps_from),
        ("person.village_group", str(hh.group), village, village_from),
        (
            "person.current_address",
            ctx.away_address() if m.away else hh.address,
            village,
            village_from,
        ),
    ]
    if m.phone is not None:
        values.append(("person.phone", m.phone, village, village_from))
    _civil_affairs(ctx, m, hh, values)
    _services(ctx, m, values)
    return SynthEntity(m.ref, "person", hh.grid, m.id_number, tuple(values))


def _civil_affairs(ctx: VillageContext, m: Member, hh: HouseholdDraft, values: list[Value]) -> None:
    """Marital status and the welfare flags civil affairs keeps rosters of."""
    ca = vocab.CIVIL_AFFAIRS
    ca_from = ctx.snapshot(ca, m.birth)
    values.append(("person.marital_status", m.marital, ca, ca_from))
    if hh.dibao is not None:
        start = max(hh.dibao[2], m.birth)
        values.append(("person.is_dibao", "1", ca, start))
        values.append(("person.dibao_start_date", start.isoformat(), ca, start))
    else:
        values.append(("person.is_dibao", "0", ca, ca_from))
    values.append(("person.is_tekun", _flag(m.tekun), ca, ca_from))
    if m.age >= 60:
        alone = len(hh.members) == 1 and m.age >= 65
        values.append(("person.is_elderly_alone", _flag(alone), ca, ca_from))
    if m.age < 18:
        values.append(("person.is_left_behind", _flag(m.left_behind), ca, ca_from))
    ag = vocab.AGRICULTURE
    ag_from = ctx.snapshot(ag, m.birth)
    values.append(("person.is_monitored", _flag(hh.monitored), ag, ag_from))
    values.append(("person.is_lifted_from_poverty", _flag(hh.lifted), ag, ag_from))


def _services(ctx: VillageContext, m: Member, values: list[Value]) -> None:
    """Education, party, disability, veterans, work, insurance and health records."""
    rng, birth, age = ctx.rng, m.birth, m.age
    schooling = education(ctx, m)
    if schooling is not None:
        values.append(
            ("person.education", schooling, vocab.EDUCATION, ctx.snapshot(vocab.EDUCATION, birth))
        )
    org = vocab.ORGANIZATION
    values.append(("person.political_status", political(ctx, m), org, ctx.snapshot(org, birth)))
    df = vocab.DISABLED_FEDERATION
    if m.disability is not None:
        category, grade, issued = m.disability
        values += [
            ("person.is_disabled", "1", df, issued),
            ("person.disability_category", category, df, issued),
            ("person.disability_grade", grade, df, issued),
            ("person.disability_cert_no", f"{m.id_number}{category}{grade}", df, issued),
        ]
    else:
        values.append(("person.is_disabled", "0", df, ctx.snapshot(df, birth)))
    vet = vocab.VETERANS
    if m.veteran is not None:
        service, discharged = m.veteran
        values.append(("person.is_veteran", "1", vet, discharged))
        values.append(("person.military_service", service, vet, discharged))
    else:
        values.append(("person.is_veteran", "0", vet, ctx.snapshot(vet, birth)))
    hr = vocab.HUMAN_RESOURCES
    hr_from = ctx.snapshot(hr, birth)
    employment, pension, retired = work(ctx, m, schooling)
    values.append(("person.employment_status", employment, hr, hr_from))
    if (
        employment in (_EMP["local_work"], _EMP["employed"])
        and ctx.employers
        and rng.random() < 0.6
    ):
        employer = ctx.employers[int(rng.random() * len(ctx.employers))]
        values.append(("person.employer", employer, hr, hr_from))
    if retired is not None:
        values.append(("person.retirement_date", retired.isoformat(), hr, min(retired, ctx.today)))
    if pension is not None:
        values.append(("person.pension_type", pension, hr, hr_from))
    ms = vocab.MEDICAL_SECURITY
    if (
        pension in (vocab.PENSION_EMPLOYEE, vocab.PENSION_PUBLIC)
        and employment != _EMP["migrant_work"]
    ):
        medical = vocab.MEDICAL_EMPLOYEE
    else:
        medical = vocab.MEDICAL_RESIDENT if rng.random() < 0.967 else vocab.MEDICAL_NONE
    values.append(("person.medical_insurance_type", medical, ms, ctx.snapshot(ms, birth)))
    if age >= 18:
        hp, dp = (0.45, 0.15) if age >= 60 else (0.15, 0.05) if age >= 35 else (0.02, 0.005)
        health, health_from = vocab.HEALTH, ctx.snapshot(vocab.HEALTH, birth)
        values.append(("person.has_hypertension", _flag(rng.random() < hp), health, health_from))
        values.append(("person.has_diabetes", _flag(rng.random() < dp), health, health_from))
