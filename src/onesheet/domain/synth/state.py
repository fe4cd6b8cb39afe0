"""What must stay unique across the whole county while villages are generated one by one.

Refs, ID sequence numbers, household numbers and USCCs are unique per county, so the
villages share this small state; everything else is drawn from each village's own random
stream. A fresh state is made on every pass over the villages, so two passes are identical.
"""

from __future__ import annotations

from datetime import date

from onesheet.domain.synth.names import NamePicker
from onesheet.domain.values.idnumber import make_id_number

# Sequence numbers (GB 11643 digits 15–17) per birth date: men take odd 001–999 (500),
# women even 002–998 (499). Stepping by a prime that is coprime with both sizes scatters
# them the way police stations' blocks do, and stays unique until a date's block is full.
_MALE_SLOTS, _FEMALE_SLOTS, _STEP = 500, 499, 37


class IdAllocator:
    """Unique, sex-correct ID numbers for people born on the same day anywhere in the county."""

    def __init__(self, county_code: str) -> None:
        self.county_code = county_code
        self._used: dict[tuple[int, bool], int] = {}

    def allocate(self, birth: date, male: bool) -> str:
        """The next ID number for someone of that sex born on ``birth``."""
        key = (birth.toordinal(), male)
        k = self._used.get(key, 0)
        slots = _MALE_SLOTS if male else _FEMALE_SLOTS
        if k >= slots:
            raise ValueError(f"more than {slots} people of one sex born on {birth}")
        self._used[key] = k + 1
        j = (k * _STEP + key[0] * 7) % slots
        return make_id_number(self.county_code, birth, 2 * j + 1 if male else 2 * j + 2)


class Counter:
    """A 1-based running number."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


class CountyState:
    """Shared, county-wide generation state (see module docstring)."""

    def __init__(self, county_code: str, county_name: str, today: date) -> None:
        self.county_code = county_code
        self.county_name = county_name
        self.today = today
        self.names = NamePicker()
        self.ids = IdAllocator(county_code)
        self.houses = Counter()
        self.households = Counter()
        self.persons = Counter()
        self.enterprises = Counter()
        self.dibao_certificates = Counter()
        self.usccs: set[str] = set()
        self.enterprise_names: set[str] = set()
        self.snapshots: dict[str, date] = {}  # department → when its data was extracted
