"""The administrative tree (行政区划): county > town/street > village/community > grid.

Codes follow GB/T 2260 for the county (6 digits) and the NBS statistical codes for towns (9)
and villages (12); grids are numbered under their village (15). Every scope is a subtree, so
"is X inside Y" is a prefix test on the code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OrgLevel = Literal["county", "town", "village", "grid"]
LEVELS: tuple[str, ...] = ("county", "town", "village", "grid")
LEVEL_LABELS_ZH = {
    "county": "县（市、区）",
    "town": "乡镇（街道）",
    "village": "村（社区）",
    "grid": "网格",
}


@dataclass(frozen=True)
class OrgUnit:
    """One node of the tree. ``path`` is the codes from the county down, joined by '/'."""

    code: str
    name: str
    level: OrgLevel
    parent_code: str | None
    county_code: str
    kind: str = ""  # 镇 / 乡 / 街道 / 村 / 社区 / 网格 — what forms print
    source: str = "synthetic"  # "real" when the code and name come from the NBS table

    def is_within(self, other: OrgUnit) -> bool:
        """True when this unit is ``other`` or lies below it."""
        return self.code.startswith(other.code) and self.county_code == other.county_code
