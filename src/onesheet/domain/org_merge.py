"""A town (乡镇/街道) merged into another: which new code each of its villages gets (pure Python).

When a town is merged away, the statistical bureau publishes its villages again under the
surviving town: new 12-digit codes beginning with the survivor's nine digits, sometimes with
a new name. Those published codes are the input here — a table with the new code, and either
the village's old code (原代码) or its name to find it by — and ``plan_town_merger`` checks it
against what the database holds: every live village of the merged town gets exactly one new
code, each new code nests under the survivor and is not used yet, and no two villages end up
with one name under the survivor. Every problem is a finding with its row; nothing is applied
unless the whole table is clean (``services.org_tree`` does the applying).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from onesheet.domain.findings import Finding, finding
from onesheet.domain.org_load import (
    CLASS_HEADINGS,
    NAME_HEADINGS,
    URBAN_RURAL,
    cell_text,
    find_column,
    short_code,
)
from onesheet.domain.orgunits import OrgUnit
from onesheet.domain.synth.orgs import village_name

OLD_CODE_HEADINGS = ("原代码", "原统计用区划代码", "原区划代码", "old_code")
NEW_CODE_HEADINGS = ("新代码", "统计用区划代码", "区划代码", "代码", "new_code", "code")


@dataclass(frozen=True)
class RenumberRow:
    """One row of the published table: the new code, and the old code or the name."""

    row: int
    new_code: str  # as written (12 digits expected)
    old_code: str | None
    name: str | None  # the committee name as published (余村村委会), if given
    klass: str | None


@dataclass(frozen=True)
class Renumbered:
    """One village of the merged town, as it is known under the survivor from now on."""

    old_code: str
    new_code: str
    name: str
    kind: str  # 村 | 社区
    klass: str | None


def read_renumbering(
    headings: Sequence[object],
    rows: Sequence[Sequence[object]],
    *,
    first_row: int = 2,
    file: str | None = None,
) -> tuple[list[RenumberRow], list[Finding]]:
    """The rows of the published table (headings are checked, values are not yet)."""
    heads = [str(h or "") for h in headings]
    ni = find_column(heads, NAME_HEADINGS)
    oi = find_column(heads, OLD_CODE_HEADINGS)
    ci = find_column(heads, NEW_CODE_HEADINGS)
    ki = find_column(heads, CLASS_HEADINGS)
    if ci is None or (oi is None and ni is None):
        return [], [finding("orgs.renumber_headings", value="、".join(heads), file=file, row=1)]

    def cell(row: Sequence[object], i: int | None) -> str:
        return cell_text(row[i] if i is not None and i < len(row) else None)

    out = []
    for offset, row in enumerate(rows):
        new, old, name, klass = cell(row, ci), cell(row, oi), cell(row, ni), cell(row, ki)
        if not (new or old or name):
            continue
        out.append(RenumberRow(first_row + offset, new, old or None, name or None, klass or None))
    return out, []


def plan_town_merger(
    town: OrgUnit,
    into: OrgUnit,
    villages: Sequence[OrgUnit],
    classes: Mapping[str, str | None],
    rows: Sequence[RenumberRow],
    survivor_villages: Sequence[OrgUnit],
    taken: Mapping[str, str],
    *,
    file: str | None = None,
) -> tuple[list[Renumbered], list[Finding]]:
    """Each live village of ``town`` with its new code under ``into`` (``taken``: every code
    already in the database → its name, merged units included: a code is never reused)."""
    findings: list[Finding] = []
    by_code = {v.code: v for v in villages}
    by_name: dict[str, list[OrgUnit]] = {}
    for v in villages:
        by_name.setdefault(v.name, []).append(v)
    seen_new: dict[str, int] = {}
    seen_old: dict[str, int] = {}
    out: list[Renumbered] = []
    for r in rows:
        where = {"file": file, "row": r.row}
        level = short_code(r.new_code)
        if level is None or level[0] != "village" or not r.new_code.startswith(into.code):
            findings.append(
                finding("orgs.renumber_nesting", new_code=r.new_code, into=into.code, **where)
            )
            continue
        if r.new_code in taken:
            findings.append(
                finding("orgs.renumber_taken", new_code=r.new_code, name=taken[r.new_code], **where)
            )
            continue
        if r.new_code in seen_new:
            findings.append(
                finding("orgs.duplicate_code", code=r.new_code, value=seen_new[r.new_code], **where)
            )
            continue
        seen_new[r.new_code] = r.row
        place, kind = village_name(r.name) if r.name else (None, None)
        if r.old_code is not None:
            old = by_code.get(r.old_code)
        else:
            matches = by_name.get(place or "", [])
            old = matches[0] if len(matches) == 1 else None
        if old is None:
            findings.append(
                finding(
                    "orgs.renumber_unknown", value=r.old_code or r.name, code=town.code, **where
                )
            )
            continue
        if old.code in seen_old:
            findings.append(
                finding(
                    "orgs.renumber_twice",
                    village=f"{old.code} {old.name}",
                    value=seen_old[old.code],
                    **where,
                )
            )
            continue
        if r.klass is not None and r.klass not in URBAN_RURAL:
            findings.append(finding("orgs.class", klass=r.klass, **where))
            continue
        seen_old[old.code] = r.row
        out.append(
            Renumbered(
                old.code,
                r.new_code,
                place or old.name,
                kind or old.kind,
                r.klass or classes.get(old.code),
            )
        )
    for v in villages:
        if v.code not in seen_old:
            findings.append(
                finding(
                    "orgs.town_codes", code=town.code, village=v.code, name=v.name,
                    into=into.code, file=file,
                )
            )  # fmt: skip
    names: dict[str, str] = {v.name: v.code for v in survivor_villages}
    for n in out:
        if n.name in names:
            findings.append(
                finding(
                    "orgs.duplicate_name",
                    parent=into.code,
                    name=n.name,
                    value=f"{names[n.name]}、{n.new_code}",
                    file=file,
                    row=seen_new.get(n.new_code),
                )
            )
        names[n.name] = n.new_code
    return out, findings
