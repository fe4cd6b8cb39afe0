"""Household skeletons: who lives together, their ages, sexes, names and relationships.

A rural county is not a random sample of people: it is households of a few recognisable
shapes (an old widow alone, an old couple whose children left, a young family, three
generations under one roof). Drawing whole households of those shapes, with ages tied
together (spouses of similar age, children born when the mother was 20–38), gives the age
pyramid, household sizes and relationship codes that real registers show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from onesheet.domain.synth import vocab
from onesheet.domain.synth.model import Member
from onesheet.domain.synth.names import NamePicker, WeightedPicker

YEAR = 365.2425

# (shape, weight): weights tuned so that the mean size is ≈2.8, ~20% are 60+, ~14% are 0–14.
SHAPES: tuple[tuple[str, float], ...] = (
    ("elderly_alone", 0.085),
    ("single", 0.10),
    ("elderly_couple", 0.16),
    ("couple", 0.11),
    ("nuclear", 0.32),
    ("single_parent", 0.04),
    ("with_parents", 0.08),
    ("with_grandchildren", 0.095),
)


@dataclass
class HouseholdDraft:
    """A household while its village is being built (members: head first)."""

    shape: str
    members: list[Member]
    group: int = 0
    grid: str = ""
    ref: str = ""
    house_ref: str = ""
    number: str = ""
    address: str = ""
    house_no: int = 0
    registered_on: date | None = None
    surveyed_on: date | None = None
    dibao: tuple[str, str, date] | None = None  # (certificate no, monthly amount, start)
    monitored: bool = False
    monitoring_type: str | None = None  # 防返贫监测对象类型 when monitored
    lifted: bool = False
    hukou: str = vocab.HUKOU_AGRICULTURAL


def age_on(birth: date, today: date) -> int:
    """Whole years of age on ``today``."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class HouseholdComposer:
    """Draws household skeletons for one village with that village's random stream."""

    def __init__(self, rng: random.Random, today: date, names: NamePicker) -> None:
        self.rng = rng
        self.today = today
        self.today_ord = today.toordinal()
        self.names = names
        self.shapes = WeightedPicker(SHAPES)
        self.minorities = WeightedPicker(vocab.MINORITIES)

    # -- primitives -------------------------------------------------------------------------
    def person(self, rel: str, sex: str, age_years: float) -> Member:
        """A member aged ``age_years`` (fractional) today."""
        birth = date.fromordinal(self.today_ord - int(age_years * YEAR))
        return Member(rel, sex, birth, age_on(birth, self.today))

    def at_least(self, age: float, floor: float) -> float:
        """``age``, or a random age in the year above ``floor`` (clamping to one value would
        pile people onto one birth date and exhaust that date's ID sequence numbers)."""
        return age if age >= floor + 1 else floor + 1 + self.rng.random() * 2

    def at_most(self, age: float, ceiling: float) -> float:
        """``age``, or a random age in the two years below ``ceiling``."""
        return age if age <= ceiling - 2 else ceiling - self.rng.random() * 2

    def born_to(self, rel: str, sex: str, mother: Member, max_age: float) -> Member | None:
        """A child of ``mother`` born when she was 20–38, no older than ``max_age`` today."""
        mother_age = (self.today_ord - mother.birth.toordinal()) / YEAR
        low, high = max(20.0, mother_age - max_age), min(38.0, mother_age)
        if low > high:
            return None
        birth_ord = mother.birth.toordinal() + int(self.rng.uniform(low, high) * YEAR)
        birth = date.fromordinal(min(birth_ord, self.today_ord - 1))
        return Member(rel, sex, birth, age_on(birth, self.today))

    def name(self, m: Member, surname: str | None = None) -> None:
        """Give ``m`` a surname (drawn unless inherited) and an era-appropriate given name."""
        m.surname = surname or self.names.surnames.pick(self.rng)
        m.given = self.names.given(self.rng, m.sex, m.birth.year)
        m.name = m.surname + m.given

    def ethnicity(self) -> str:
        return vocab.HAN if self.rng.random() < 0.983 else self.minorities.pick(self.rng)

    def couple(self, head_age: float, head_male: bool = True) -> tuple[Member, Member]:
        """A married head and spouse of opposite sex, husband usually a little older."""
        gap = min(10.0, max(-3.0, self.rng.gauss(2.0, 2.5)))
        husband_age = head_age if head_male else head_age + gap
        wife_age = self.at_least(husband_age - gap, 20)
        husband_age = self.at_least(husband_age, 22)
        if head_male:
            head = self.person(vocab.REL_HEAD, vocab.MALE, husband_age)
            spouse = self.person(vocab.REL_SPOUSE, vocab.FEMALE, wife_age)
        else:
            head = self.person(vocab.REL_HEAD, vocab.FEMALE, wife_age)
            spouse = self.person(vocab.REL_SPOUSE, vocab.MALE, husband_age)
        self.name(head)
        self.name(spouse)
        head.ethnicity, spouse.ethnicity = self.ethnicity(), self.ethnicity()
        married = vocab.REMARRIED if head_age > 40 and self.rng.random() < 0.04 else vocab.MARRIED
        head.marital = spouse.marital = married
        return head, spouse

    def children(
        self,
        father: Member | None,
        mother: Member,
        count: int,
        max_age: float,
        *,
        grand: bool = False,
    ) -> list[Member]:
        """Up to ``count`` children of a couple (or a lone parent), with birth-order codes."""
        kids: list[Member] = []
        for _ in range(count):
            sex = vocab.MALE if self.rng.random() < 0.52 else vocab.FEMALE
            for _attempt in range(4):  # keep siblings at least ten months apart
                kid = self.born_to("", sex, mother, max_age)
                if kid is None:
                    return kids
                if all(abs(kid.birth.toordinal() - k.birth.toordinal()) > 300 for k in kids):
                    kids.append(kid)
                    break
        kids.sort(key=lambda k: k.birth)
        family = father.surname if father is not None else mother.surname
        for kid in kids:
            inherited = family if self.rng.random() < 0.95 else mother.surname
            self.name(kid, inherited)
            kid.ethnicity = father.ethnicity if father is not None else mother.ethnicity
            if mother.ethnicity != vocab.HAN and self.rng.random() < 0.5:
                kid.ethnicity = mother.ethnicity
            kid.parents = tuple(p for p in (father, mother) if p is not None)
        if not grand:
            _birth_order_codes(kids)
        return kids

    # -- shapes -----------------------------------------------------------------------------
    def draw(self) -> HouseholdDraft:
        """One household of a randomly chosen shape."""
        shape = self.shapes.pick(self.rng)
        members = getattr(self, "_" + shape)()
        seen: set[str] = set()
        for m in members:  # never two identical full names under one roof
            for _ in range(6):
                if m.name not in seen:
                    break
                self.name(m, m.surname)
            seen.add(m.name)
        return HouseholdDraft(shape, members)

    def _elderly_alone(self) -> list[Member]:
        sex = vocab.FEMALE if self.rng.random() < 0.62 else vocab.MALE
        head = self.person(vocab.REL_HEAD, sex, self.rng.triangular(65, 97, 72))
        self.name(head)
        head.ethnicity = self.ethnicity()
        roll = self.rng.random()
        head.marital = (
            vocab.WIDOWED if roll < 0.78 else vocab.DIVORCED if roll < 0.9 else vocab.UNMARRIED
        )
        return [head]

    def _single(self) -> list[Member]:
        sex = vocab.MALE if self.rng.random() < 0.66 else vocab.FEMALE
        head = self.person(vocab.REL_HEAD, sex, self.rng.triangular(20, 65, 45))
        self.name(head)
        head.ethnicity = self.ethnicity()
        roll = self.rng.random()
        if head.age < 35:
            head.marital = vocab.UNMARRIED if roll < 0.9 else vocab.DIVORCED
        else:
            head.marital = (
                vocab.UNMARRIED if roll < 0.45 else vocab.DIVORCED if roll < 0.8 else vocab.WIDOWED
            )
        return [head]

    def _elderly_couple(self) -> list[Member]:
        head, spouse = self.couple(self.rng.triangular(58, 88, 62))
        return [head, spouse]

    def _couple(self) -> list[Member]:
        age = self.rng.uniform(23, 34) if self.rng.random() < 0.35 else self.rng.uniform(45, 60)
        head, spouse = self.couple(age, head_male=self.rng.random() < 0.88)
        return [head, spouse]

    def _nuclear(self) -> list[Member]:
        head, spouse = self.couple(self.rng.triangular(26, 62, 50), self.rng.random() < 0.88)
        father, mother = (head, spouse) if head.sex == vocab.MALE else (spouse, head)
        count = 1 if self.rng.random() < 0.58 else 2 if self.rng.random() < 0.9 else 3
        return [head, spouse, *self.children(father, mother, count, 30)]

    def _single_parent(self) -> list[Member]:
        sex = vocab.FEMALE if self.rng.random() < 0.65 else vocab.MALE
        head = self.person(vocab.REL_HEAD, sex, self.rng.uniform(30, 58))
        self.name(head)
        head.ethnicity = self.ethnicity()
        head.marital = vocab.DIVORCED if self.rng.random() < 0.6 else vocab.WIDOWED
        mother = head if sex == vocab.FEMALE else self.person("", vocab.FEMALE, head.age - 2)
        if mother is not head:
            self.name(mother)
        father = head if sex == vocab.MALE else None
        count = 1 if self.rng.random() < 0.6 else 2
        kids = self.children(father, mother, count, 25)
        for kid in kids:
            kid.parents = (head,)
        return [head, *kids]

    def _with_parents(self) -> list[Member]:
        """Head, spouse and children living with the head's own parents."""
        head_age = self.rng.triangular(28, 58, 44)
        if self.rng.random() < 0.9:
            head, spouse = self.couple(head_age)
            father, mother = head, spouse
            members = [head, spouse]
        else:
            head = self.person(vocab.REL_HEAD, vocab.MALE, head_age)
            self.name(head)
            head.ethnicity = self.ethnicity()
            head.marital = vocab.UNMARRIED if head_age < 35 else vocab.DIVORCED
            members, father, mother = [head], head, None
        if mother is not None:
            members += self.children(father, mother, 1 if self.rng.random() < 0.55 else 2, 22)
        gm_age = head.age + self.rng.uniform(20, 38)
        roll = self.rng.random()
        father_age = self.at_most(gm_age + min(10.0, max(-3.0, self.rng.gauss(2.0, 2.5))), 99)
        grand: list[Member] = []
        if roll < 0.85:  # the head's mother, born 20–38 years before the head
            gm = self.person(vocab.REL_MOTHER, vocab.FEMALE, self.at_most(gm_age, 99))
            self.name(gm)
            gm.ethnicity = self.ethnicity()
            grand.append(gm)
        if roll < 0.5 or roll >= 0.85:
            gf = self.person(vocab.REL_FATHER, vocab.MALE, father_age)
            self.name(gf, head.surname)
            gf.ethnicity = head.ethnicity
            grand.insert(0, gf)
        for parent in grand:
            parent.marital = vocab.MARRIED if len(grand) == 2 else vocab.WIDOWED
        return members + grand

    def _with_grandchildren(self) -> list[Member]:
        """An older head whose married son (or live-in son-in-law) and grandchildren live in."""
        head_age = self.rng.triangular(50, 82, 58)
        if self.rng.random() < 0.8:
            head, spouse = self.couple(head_age)
            members = [head, spouse]
            wife = spouse
        else:
            sex = vocab.FEMALE if self.rng.random() < 0.7 else vocab.MALE
            head = self.person(vocab.REL_HEAD, sex, head_age)
            self.name(head)
            head.ethnicity = self.ethnicity()
            head.marital = vocab.WIDOWED
            members = [head]
            wife = head if sex == vocab.FEMALE else self.person("", vocab.FEMALE, head.age - 2)
        family = head.surname if head.sex == vocab.MALE else self.names.surnames.pick(self.rng)
        uxorilocal = self.rng.random() < 0.15
        sex = vocab.FEMALE if uxorilocal else vocab.MALE
        child = self.born_to("", sex, wife, 55)
        if child is None or child.age < 22:
            return members
        self.name(child, family)
        child.ethnicity = head.ethnicity
        child.marital = vocab.MARRIED
        child.parents = tuple(members)
        gap = min(8.0, max(-3.0, self.rng.gauss(2.0, 2.0)))
        if uxorilocal:
            child.rel = vocab.REL_DAUGHTERS[0]
            in_law = self.person(
                vocab.REL_SON_IN_LAW, vocab.MALE, self.at_least(child.age + gap, 22)
            )
            father, mother = in_law, child
            grand_codes = (vocab.REL_DAUGHTERS_SON, vocab.REL_DAUGHTERS_DAUGHTER)
        else:
            child.rel = vocab.REL_SONS[0]
            in_law = self.person(
                vocab.REL_DAUGHTER_IN_LAW, vocab.FEMALE, self.at_least(child.age - gap, 20)
            )
            father, mother = child, in_law
            grand_codes = (vocab.REL_GRANDSON, vocab.REL_GRANDDAUGHTER)
        self.name(in_law)
        in_law.ethnicity = self.ethnicity()
        in_law.marital = vocab.MARRIED
        grandkids = self.children(
            father, mother, 1 if self.rng.random() < 0.6 else 2, 24, grand=True
        )
        for kid in grandkids:
            kid.rel = grand_codes[0] if kid.sex == vocab.MALE else grand_codes[1]
            if uxorilocal and self.rng.random() < 0.6:  # 入赘: children often take her name
                self.name(kid, child.surname)
        younger = self._younger_sibling(child, wife, family) if self.rng.random() < 0.15 else []
        return [*members, child, in_law, *grandkids, *younger]

    def _younger_sibling(self, elder: Member, mother: Member, family: str) -> list[Member]:
        """An unmarried younger son or daughter still at home (makes the rare 7-person family)."""
        sex = vocab.MALE if self.rng.random() < 0.5 else vocab.FEMALE
        kid = self.born_to("", sex, mother, elder.age - 1)
        if kid is None or kid.age < 16 or kid.birth <= elder.birth:
            return []
        self.name(kid, family)
        kid.ethnicity = elder.ethnicity
        kid.parents = elder.parents
        same_sex = elder.sex == sex
        if sex == vocab.MALE:
            kid.rel = vocab.REL_SONS[1] if same_sex else vocab.REL_SONS[0]
        else:
            kid.rel = vocab.REL_DAUGHTERS[1] if same_sex else vocab.REL_DAUGHTERS[0]
        return [kid]


def _birth_order_codes(kids: list[Member]) -> None:
    """长子/次子…, 长女/次女…; 独生子/独生女 when the child is the only one at home."""
    if len(kids) == 1:
        kids[0].rel = vocab.REL_SON_ONLY if kids[0].sex == vocab.MALE else vocab.REL_DAUGHTER_ONLY
        return
    sons = daughters = 0
    for kid in kids:
        if kid.sex == vocab.MALE:
            kid.rel = vocab.REL_SONS[min(sons, 4)]
            sons += 1
        else:
            kid.rel = vocab.REL_DAUGHTERS[min(daughters, 4)]
            daughters += 1
