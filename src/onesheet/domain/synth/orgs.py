"""The synthetic county's org tree: real towns and villages first, then plausible made-up ones.

Real codes and names (from divisions.csv) make a demo recognisable to the county it is shown
to; synthetic units fill the tree to the size the population needs, numbered the way the
NBS numbers them (街道 001–099, 镇 100–199, 乡 200–299; 社区 0xx, 村 2xx) so they never
collide with a real code and sort like real ones.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from onesheet.domain.orgunits import OrgUnit
from onesheet.domain.synth import reference, vocab

PEOPLE_PER_VILLAGE = 1500
VILLAGES_PER_TOWN = 10
TOWN_RANGES = {"街道": range(1, 100), "镇": range(100, 200), "乡": range(200, 300)}
VILLAGE_RANGES = {"社区": range(1, 100), "村": range(200, 300)}
MAX_TOWNS = sum(len(r) for r in TOWN_RANGES.values())
MAX_VILLAGES_PER_TOWN = sum(len(r) for r in VILLAGE_RANGES.values())
SYNTHETIC_TOWN_KINDS = (("街道", 0.15), ("镇", 0.65), ("乡", 0.20))


@dataclass
class VillagePlan:
    """What the village builder needs to know about one village before generating it."""

    index: int  # 0-based position in the county, used for household numbers
    code: str
    name: str
    kind: str  # 村 / 社区
    town_name: str
    address_prefix: str  # 省市县 + 镇 + 村, e.g. 浙江省湖州市安吉县天荒坪镇余村村
    grid_codes: list[str] = field(default_factory=list)
    people: int = 0


@dataclass
class OrgPlan:
    """The org units of the county and the village plans in generation order."""

    county_name: str
    orgs: list[OrgUnit]
    villages: list[VillagePlan]


def plan_counts(people: int) -> tuple[int, int]:
    """(villages, towns) for a population, capped by the statistical code space."""
    villages = max(3, round(people / PEOPLE_PER_VILLAGE))
    towns = min(MAX_TOWNS, max(2, math.ceil(villages / VILLAGES_PER_TOWN)), villages)
    return min(villages, towns * MAX_VILLAGES_PER_TOWN), towns


def kind_of_town(name: str) -> str:
    """镇 / 乡 / 街道 from a town's name."""
    for kind in ("街道", "镇", "乡"):
        if name.endswith(kind):
            return kind
    return "镇"


def village_name(committee: str) -> tuple[str, str]:
    """(place name, kind) from an NBS committee name: 余村村委会 → (余村村, 村)."""
    for suffix in ("居民委员会", "居委会"):
        if committee.endswith(suffix):
            return committee[: -len(suffix)], "社区"
    if committee.endswith("村委会"):
        return committee[:-3] + "村", "村"
    if committee.endswith("村民委员会"):
        return committee[:-5] + "村", "村"
    return committee, "社区" if committee.endswith("社区") else "村"


def county_name(county_code: str) -> str:
    """The county's name, or a clearly marked synthetic one when the code is unknown."""
    known = reference.divisions().get(county_code)
    return known.name if known else f"{county_code}县(合成)"


def address_root(county_code: str) -> str:
    """Province + prefecture + county names as an address starts (浙江省湖州市安吉县)."""
    table = reference.divisions()
    parts = []
    for code in (county_code[:2] + "0000", county_code[:4] + "00"):
        if code != county_code and code in table:
            parts.append(table[code].name)
    return "".join(parts) + county_name(county_code)


class _Namer:
    """Two-character place names (横山, 南湖), unique within the county where possible."""

    def __init__(self, rng: random.Random, used: set[str]) -> None:
        self._rng = rng
        self._used = used

    def take(self) -> str:
        first, second = vocab.PLACE_FIRST, vocab.PLACE_SECOND
        for attempt in range(60):
            name = self._rng.choice(first) + self._rng.choice(second)
            if attempt >= 40:  # a very large county: three characters widen the space
                name = self._rng.choice(first) + name
            if name not in self._used and name[0] != name[-1]:
                self._used.add(name)
                return name
        return name  # duplicates across towns are tolerable in a synthetic county


def build_org_plan(county_code: str, people: int, rng: random.Random) -> OrgPlan:
    """The full tree (county, towns, villages, grids) and the plan of each village."""
    table = reference.divisions()
    name = county_name(county_code)
    root = address_root(county_code)
    n_villages, n_towns = plan_counts(people)
    real_towns = [d for d in table.values() if d.level == "town" and d.parent_code == county_code][
        :n_towns
    ]
    used_names = {_base(d.name) for d in table.values() if d.level in ("town", "village")}
    namer = _Namer(rng, used_names)
    county_kind = name[-1] if name[-1] in "县市区旗" else "县"
    orgs = [OrgUnit(county_code, name, "county", None, county_code, county_kind, "real")]
    if county_code not in table:
        orgs[0] = OrgUnit(county_code, name, "county", None, county_code, "县", "synthetic")
    towns = _towns(county_code, n_towns, real_towns, namer, rng)
    per_town = [
        n_villages // n_towns + (1 if i < n_villages % n_towns else 0) for i in range(n_towns)
    ]
    plans: list[VillagePlan] = []
    for (code, town, kind, source), quota in zip(towns, per_town, strict=True):
        orgs.append(OrgUnit(code, town, "town", county_code, county_code, kind, source))
        for v_code, v_name, v_kind, v_source in _villages(code, kind, quota, namer, rng):
            orgs.append(OrgUnit(v_code, v_name, "village", code, county_code, v_kind, v_source))
            plan = VillagePlan(len(plans), v_code, v_name, v_kind, town, root + town + v_name)
            for g in range(rng.randint(3, 6)):
                g_code = f"{v_code}{g + 1:03d}"
                g_name = f"第{vocab.CHINESE_NUMERALS[g]}网格"
                orgs.append(OrgUnit(g_code, g_name, "grid", v_code, county_code, "网格"))
                plan.grid_codes.append(g_code)
            plans.append(plan)
    _share_people(plans, people, rng)
    return OrgPlan(name, orgs, plans)


def _base(name: str) -> str:
    """A unit's name without its kind suffix, for the duplicate check."""
    place, _ = village_name(name)
    for suffix in ("街道", "社区", "镇", "乡", "村"):
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place[: -len(suffix)]
    return place


def _towns(
    county_code: str, count: int, real: list[reference.Division], namer: _Namer, rng: random.Random
) -> list[tuple[str, str, str, str]]:
    """(code, name, kind, source) for ``count`` towns, the real ones first."""
    towns = [(d.code, d.name, kind_of_town(d.name), "real") for d in real]
    taken = {int(d.code[-3:]) for d in real}
    kinds = [k for k, _ in SYNTHETIC_TOWN_KINDS]
    weights = [w for _, w in SYNTHETIC_TOWN_KINDS]
    while len(towns) < count:
        wanted = rng.choices(kinds, weights)[0]
        for kind in (wanted, *kinds):
            number = next((n for n in TOWN_RANGES[kind] if n not in taken), None)
            if number is not None:
                break
        assert number is not None, "town code space exhausted"  # plan_counts caps the count
        taken.add(number)
        towns.append((f"{county_code}{number:03d}", namer.take() + kind, kind, "synthetic"))
    return sorted(towns)


def _villages(
    town_code: str, town_kind: str, count: int, namer: _Namer, rng: random.Random
) -> list[tuple[str, str, str, str]]:
    """(code, name, kind, source) for ``count`` villages of a town, real ones first."""
    real = [
        d
        for d in reference.divisions().values()
        if d.level == "village" and d.parent_code == town_code
    ][:count]
    out = [(d.code, *village_name(d.name), "real") for d in real]
    taken = {int(d.code[-3:]) for d in real}
    has_community = any(kind == "社区" for _, _, kind, _ in out)
    while len(out) < count:
        if town_kind == "街道":
            wanted = "社区" if rng.random() < 0.7 else "村"
        elif town_kind == "镇" and not has_community and count >= 3:
            wanted = "社区"  # the town seat
        else:
            wanted = "村"
        for kind in (wanted, "村", "社区"):
            number = next((n for n in VILLAGE_RANGES[kind] if n not in taken), None)
            if number is not None:
                break
        assert number is not None, "village code space exhausted"
        taken.add(number)
        has_community = has_community or kind == "社区"
        out.append((f"{town_code}{number:03d}", namer.take() + kind, kind, "synthetic"))
    return sorted(out)


def _share_people(plans: list[VillagePlan], people: int, rng: random.Random) -> None:
    """Split exactly ``people`` over the villages (largest remainder; communities larger)."""
    weights = [
        rng.lognormvariate(0.0, 0.3) * (1.3 if plan.kind == "社区" else 1.0) for plan in plans
    ]
    total = sum(weights)
    shares = [people * w / total for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(plans)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: people - sum(counts)]:
        counts[i] += 1
    for plan, count in zip(plans, counts, strict=True):
        plan.people = count
