"""The records the generator hands to the seed service, and the working record of a person.

``SynthEntity`` is deliberately plain data (refs, not ids): the generator knows nothing about
the store, so the seed service can allocate ids in bulk and resolve refs in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

Value = tuple[str, str, str, date]  # (field_key, canonical value, department key, valid_from)


@dataclass(frozen=True)
class SynthEntity:
    """One generated entity with its observations.

    ``ref`` is unique within the county ("B000001" house, "H…" household, "P…" person,
    "E…" enterprise). Ref-valued fields hold the target's ref, always inside the same batch.
    """

    ref: str
    entity_type: str
    org_code: str
    natural_key: str | None
    values: tuple[Value, ...]


@dataclass
class VillageBatch:
    """Everything generated for one village: houses, households, persons, enterprises."""

    village_code: str
    entities: list[SynthEntity] = field(default_factory=list)


class Member:
    """A person while their household and village are being assembled (not emitted as is).

    Slots keep a village's worth of these cheap; the village builder fills the welfare and
    work-away attributes after the household skeleton exists, because those are drawn as
    quotas over the whole village. Attributes drawn per person (education, work, insurance)
    go straight into the person's observations instead.
    """

    __slots__ = (
        "age",
        "away",
        "birth",
        "dibao",
        "disability",
        "ethnicity",
        "given",
        "id_number",
        "is_head",
        "left_behind",
        "marital",
        "name",
        "parents",
        "phone",
        "ref",
        "rel",
        "sex",
        "surname",
        "tekun",
        "veteran",
    )

    def __init__(self, rel: str, sex: str, birth: date, age: int) -> None:
        self.rel = rel
        self.sex = sex
        self.birth = birth
        self.age = age
        self.is_head = rel == "02"
        self.surname = ""
        self.given = ""
        self.name = ""
        self.marital = "10"
        self.ethnicity = "01"
        self.away = False
        self.left_behind = False
        self.tekun = False
        self.dibao = False
        self.disability: tuple[str, str, date] | None = None  # (category, grade, issued)
        self.veteran: tuple[str, date] | None = None  # (military_service code, discharged)
        self.phone: str | None = None
        self.ref = ""
        self.id_number = ""
        self.parents: tuple[Member, ...] = ()  # the parents who live in the same household
