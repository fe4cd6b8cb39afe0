"""Place rows of an import (``services/data_import`` with entity ``place``), ready to link.

A department's export of schools, shelters or hazard sources names each place and, in its
address or a 所属村 column, the village it lies in; it rarely says the kind, because the
whole file is one kind. So before linking: the village and town names leave the values
(they are the org tree's, computed, never stored) for ``extra``, where they place the row;
a row without a kind gets the one the file's headings or name say (学校名称 → 学校); and each
row is linked by name within its village (``linkage/place``). Pure functions over the rows
the import parsed; ``services/data_import`` writes them in its one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.findings import Finding
from onesheet.ingest.population import place_filter
from onesheet.linkage.link import Outcome
from onesheet.linkage.place import PlaceRecord, link_places, place_name_key
from onesheet.linkage.rows import ParsedRow

ORG_NAMES = ("place.village", "place.town", "place.grid", "place.grid_worker")


def prepare(
    rows: list[ParsedRow], dictionary: Dictionary, headings: Sequence[str], filename: str
) -> str | None:
    """Move org names to ``extra`` and give kindless rows the file's kind; returns that
    kind (a ``place_kind`` code) or None when neither headings nor file name say one."""
    proposal = place_filter(Path(filename).stem, headings, dictionary)
    kind = str(proposal.filter.value) if proposal.filter is not None else None  # type: ignore[union-attr]
    for row in rows:
        for key in ORG_NAMES:
            if key in row.values:
                row.extra[key] = row.values.pop(key)
        if kind and "place.kind" not in row.values:
            row.values["place.kind"] = kind
    return kind


def home(
    values: Mapping[str, Any],
    extra: Mapping[str, Any] | None,
    default: str,
    units: Sequence[tuple[str, str]],
) -> str | None:
    """Where a place lies: the village its 所属村（社区） column names (inside the town a
    所属乡镇 column names, when there is one), else the village or town its address names;
    then the grid its 所属网格 column names inside that village. None when nothing names a
    unit. ``units`` are (code, name) of the county's towns (9 digits), villages (12) and,
    for a place import, grids (15)."""
    extra = extra or {}
    village = _village_of(extra, default, units) or _by_address(values, units)
    grid = str(extra.get("place.grid") or "").strip()
    if village and len(village) == 12 and grid:
        for code, name in units:
            if len(code) > 12 and code.startswith(village) and name == grid:
                return code
    return village


def _village_of(
    extra: Mapping[str, Any], default: str, units: Sequence[tuple[str, str]]
) -> str | None:
    village = str(extra.get("place.village") or "").strip()
    town = str(extra.get("place.town") or "").strip()
    towns = [c for c, n in units if n == town and len(c) < 12] if town else []
    for code, name in units if village else ():
        if (
            name == village
            and len(code) == 12
            and code.startswith(default[:6])
            and (not towns or any(code.startswith(t) for t in towns))
        ):
            return code
    return None


def _by_address(values: Mapping[str, Any], units: Sequence[tuple[str, str]]) -> str | None:
    address = str(values.get("place.address") or "")
    for code, name in units:
        if name and len(code) <= 12 and name in address:
            return code
    return None


def placed(
    rows: list[ParsedRow], default: str, units: Sequence[tuple[str, str]], filename: str
) -> tuple[list[ParsedRow], list[Finding]]:
    """The rows that lie in a village, and a finding for each that does not: a place is
    asked about by its village, so one the county cannot place is refused, not parked at
    the county (a village's own import places its rows in the village)."""
    ok: list[ParsedRow] = []
    bad: list[Finding] = []
    for row in rows:
        where = home(row.values, row.extra, default, units) or default
        if len(where) >= 12:
            ok.append(row)
            continue
        bad.append(
            Finding(
                "place.no_village",
                "无法确定场所所在的村（社区）：请在地址中写明村（社区）名称，或增加“所属村（社区）”列",
                "cannot tell which village the place lies in: name the village in the address "
                "or add a 所属村（社区） column",
                file=filename,
                row=row.row_no,
                field="place.address",
            )
        )
    return ok, bad


def link(
    rows: Sequence[ParsedRow],
    sheet: Sequence[Mapping[str, Any]],
    default: str,
    villages: Sequence[tuple[str, str]],
) -> dict[int, Outcome]:
    """One outcome per row, by name within the village its values place it in."""
    held = [
        PlaceRecord(int(p["entity_id"]), str(p["org_code"]), p["name"], p["address"], p["kind"])
        for p in sheet
    ]
    given = [
        PlaceRecord(
            i,
            home(r.values, r.extra, default, villages) or default,
            r.values.get("place.name"),
            r.values.get("place.address"),
            r.values.get("place.kind"),
        )
        for i, r in enumerate(rows)
    ]
    return link_places(given, held)


def new_key(values: Mapping[str, Any], org_code: str) -> str:
    """What makes two new rows of one file one place: the village and the folded name."""
    return f"{org_code[:12]}\0{place_name_key(values.get('place.name'))}"
