"""Chinese personal names that look like the register of a real county.

Surnames follow their national shares; given names follow the fashion of the decade a person
was born in (建国 for the 1950s, 浩宇 for the 2010s) with a share borrowed from neighbouring
decades, because a name list per decade is short and real names overlap across eras.
"""

from __future__ import annotations

import bisect
import itertools
import random

from onesheet.domain.synth import reference, vocab

ERAS = ("1950s-60s", "1970s-80s", "1990s-2000s", "2010s")
# Characters that only make sense inside a period word (解放, 援朝): they come whole from
# vocab.ERA_WHOLE_NAMES, never alone.
WORD_ONLY = frozenset("解放援")
POOL_SIZE = 600


def _blend(*parts: tuple[list[str], float]) -> list[str]:
    """One flat list in which each part takes about its share (a single index draws from it)."""
    pool: list[str] = []
    for chars, share in parts:
        if chars:
            pool += chars * max(1, round(share * POOL_SIZE / len(chars)))
    return pool


def era_of(year: int) -> str:
    """The given-name era of a birth year (births before 1950 use the earliest era)."""
    if year < 1970:
        return ERAS[0]
    if year < 1990:
        return ERAS[1]
    if year < 2010:
        return ERAS[2]
    return ERAS[3]


class WeightedPicker:
    """Draws from fixed weights with one ``random()`` and a bisect (faster than choices)."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, pairs: tuple[tuple[str, float], ...] | list[tuple[str, float]]) -> None:
        self._items = [item for item, _ in pairs]
        self._cum = list(itertools.accumulate(weight for _, weight in pairs))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> str:
        """One item, chosen with probability proportional to its weight."""
        return self._items[bisect.bisect_right(self._cum, rng.random() * self._total)]


class NamePicker:
    """Surnames and era- and sex-appropriate given names."""

    def __init__(self) -> None:
        self.surnames = WeightedPicker(reference.surnames())
        chars = [(c, g, e) for c, g, e in reference.given_name_chars() if c not in WORD_ONLY]
        self._pools: dict[tuple[str, str], list[str]] = {}
        for i, era in enumerate(ERAS):
            for sex, gender in ((vocab.MALE, "male"), (vocab.FEMALE, "female")):
                fits = [(c, ERAS.index(e)) for c, g, e in chars if g in (gender, "neutral")]
                own = [c for c, j in fits if j == i]
                near = [c for c, j in fits if abs(j - i) == 1]
                rest = [c for c, j in fits if abs(j - i) > 1]
                self._pools[(era, sex)] = _blend((own, 0.75), (near, 0.20), (rest, 0.05))

    def given(self, rng: random.Random, sex: str, year: int) -> str:
        """A one- or two-character given name for someone of ``sex`` born in ``year``."""
        era = era_of(year)
        whole = vocab.ERA_WHOLE_NAMES.get((era, sex))
        roll = rng.random()
        if whole and roll < 0.08:
            return whole[int(rng.random() * len(whole))]
        pool = self._pools[(era, sex)]
        first = pool[int(rng.random() * len(pool))]
        # Single-character names peaked with the 1980s–90s generation.
        single = 0.35 if era in ("1970s-80s", "1990s-2000s") else 0.15
        if roll > 1 - single:
            return first
        second = pool[int(rng.random() * len(pool))]
        if second == first and rng.random() < 0.7:  # 婷婷 happens, but not that often
            second = pool[int(rng.random() * len(pool))]
        return first + second
