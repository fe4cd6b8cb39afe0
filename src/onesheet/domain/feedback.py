"""Burden feedback (反馈): what a village or town may flag, and how an item moves to its end.

Kept as plain data so the web page, the API and the ledger agree on the wording.
"""

from __future__ import annotations

KINDS: dict[str, tuple[str, str]] = {
    "repeats_sheet": ("报表重复填报一张表已有的数据", "A form asks again for data the sheet holds"),
    "outside_gate": ("未经准入的报表或索要数据", "A demand that came outside the Gate"),
    "too_frequent": ("填报频次过高", "Asked too often"),
    "negative_list": ("属于村级负面清单的事项", "A matter on the village's negative list"),
    "other": ("其他负担", "Another burden"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待处理", "Open"),
    "acknowledged": ("已受理", "Acknowledged"),
    "resolved": ("已解决", "Resolved"),
    "dismissed": ("不予采纳", "Dismissed"),
}

# Which status may follow which: an item is acknowledged, then resolved or dismissed; an
# open item may be closed directly. A closed item stays closed (a new item reopens a burden).
NEXT: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "resolved", "dismissed"}),
    "acknowledged": frozenset({"resolved", "dismissed"}),
    "resolved": frozenset(),
    "dismissed": frozenset(),
}

MAX_TEXT = 2000


def can_move(current: str, target: str) -> bool:
    """Whether an item in ``current`` may move to ``target``."""
    return target in NEXT.get(current, frozenset())
