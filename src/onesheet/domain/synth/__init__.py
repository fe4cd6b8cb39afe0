"""Deterministic synthetic county (合成县): people, households, enterprises and houses.

Used by ``onesheet seed`` to fill a fresh install with a county that looks real enough to
demonstrate and benchmark the sheet (real division names, national code tables, plausible
age pyramid and welfare rates) while containing no real person's data. Pure Python: no
database, no network, no global random state.
"""

from onesheet.domain.synth.county import SynthCounty, generate_county
from onesheet.domain.synth.model import SynthEntity, VillageBatch

__all__ = ["SynthCounty", "SynthEntity", "VillageBatch", "generate_county"]
