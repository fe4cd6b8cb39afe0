"""Loading a county's org tree from the official statistical division codes (pure Python).

The NBS publishes 统计用区划代码和城乡划分代码 with a 12-digit code at every level — the
county ``330523000000``, a town ``330523108000``, a village ``330523108204`` — the name (a
village's committee name, 余村村委会) and, for villages, the 3-digit 城乡分类代码 (111 主城区 …
220 村庄). The county's own grid list (网格) adds 15-digit codes under a village.

``parse_divisions`` / ``parse_grids`` turn rows into ``OrgUnit`` plus findings (a code that
is not a division code, a unit whose parent is missing — codes must nest — a name used twice
under one parent, a duplicated code, a second county); ``plan_changes`` compares the file
with what the database holds and lists what applying it would do: add, rename, reclass (村 →
社区 or a new class code) — and which units the file no longer lists, which are reported,
never deleted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from onesheet.domain.findings import Finding
from onesheet.domain.orgunits import OrgUnit
from onesheet.domain.synth.orgs import kind_of_town, village_name

CODE_HEADINGS = ("统计用区划代码", "区划代码", "行政区划代码", "代码", "code")
NAME_HEADINGS = ("名称", "单位名称", "区划名称", "name")
CLASS_HEADINGS = ("城乡分类代码", "城乡分类", "城乡属性", "urban_rural", "class")
GRID_CODE_HEADINGS = ("网格编码", "网格代码", "网格编号", "code")
GRID_NAME_HEADINGS = ("网格名称", "网格", "name")
GRID_VILLAGE_HEADINGS = (
    "所属村（社区）代码",
    "所属村代码",
    "所属村（社区）",
    "所属村",
    "村代码",
    "village",
)
URBAN_RURAL = {
    "111": "主城区",
    "112": "城乡结合区",
    "121": "镇中心区",
    "122": "镇乡结合区",
    "123": "特殊区域",
    "210": "乡中心区",
    "220": "村庄",
}


@dataclass(frozen=True)
class Loaded:
    """A parsed file: the units in code order, the county code, and what was wrong."""

    county_code: str | None
    units: list[OrgUnit]
    urban_rural: dict[str, str]  # village code → class code
    findings: list[Finding]


@dataclass
class Change:
    """One line of the diff: what applying the file would do to one unit."""

    kind: str  # add | rename | reclass | absent
    code: str
    level: str
    old_name: str | None = None
    new_name: str | None = None
    old_kind: str | None = None
    new_kind: str | None = None
    old_class: str | None = None
    new_class: str | None = None

    def describe(self) -> str:
        if self.kind == "add":
            return f"+ 新增 {self.code} {self.new_name}（{self.new_kind or self.level}）"
        if self.kind == "absent":
            return f"? 文件中没有 {self.code} {self.old_name}（保留，不删除；撤并请用 orgs merge）"
        parts = []
        if self.old_name != self.new_name:
            parts.append(f"名称 {self.old_name} → {self.new_name}")
        if self.old_kind != self.new_kind:
            parts.append(f"类别 {self.old_kind} → {self.new_kind}")
        if self.old_class != self.new_class:
            parts.append(f"城乡分类 {self.old_class or '-'} → {self.new_class or '-'}")
        return f"~ 变更 {self.code}：" + "，".join(parts)


@dataclass
class Plan:
    county_code: str
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        c = Counter(ch.kind for ch in self.changes)
        return {k: c.get(k, 0) for k in ("add", "rename", "reclass", "absent")} | {
            "unchanged": self.unchanged
        }


def find_column(headings: Sequence[str], wanted: Iterable[str]) -> int | None:
    """Index of the first heading equal to one of ``wanted`` (spaces and case ignored)."""
    norm = [str(h or "").replace(" ", "").replace("\u3000", "").lower() for h in headings]
    for w in wanted:
        if w.lower() in norm:
            return norm.index(w.lower())
    return None


def cell_text(value: object) -> str:
    """A cell as text; a spreadsheet number 330523108204.0 becomes '330523108204'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def short_code(code12: str) -> tuple[str, str] | None:
    """(level, code as stored) for a division code: 12 digits with trailing zeros trimmed
    to the county's 6 or the town's 9; 6- and 9-digit codes are taken as they are."""
    if not code12.isascii() or not code12.isdigit():
        return None
    if len(code12) == 12:
        if code12.endswith("000000"):
            return "county", code12[:6]
        if code12.endswith("000"):
            return "town", code12[:9]
        return "village", code12
    if len(code12) == 9:
        return "town", code12
    if len(code12) == 6:
        return "county", code12
    return None


def _finding(code: str, zh: str, en: str, row: int | None, file: str | None) -> Finding:
    return Finding(code, zh, en, file=file, row=row)


def parse_divisions(
    headings: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    first_row: int = 2,
    file: str | None = None,
    county_names: Mapping[str, str] | None = None,
) -> Loaded:
    """The units of one county from division-code rows; every problem as a finding."""
    findings: list[Finding] = []
    ci = find_column(headings, CODE_HEADINGS)
    ni = find_column(headings, NAME_HEADINGS)
    ki = find_column(headings, CLASS_HEADINGS)
    if ci is None or ni is None:
        return Loaded(
            None,
            [],
            {},
            [
                _finding(
                    "orgs.headings",
                    f"找不到“统计用区划代码”和“名称”列（表头：{'、'.join(map(str, headings))}）",
                    "need a code column (统计用区划代码) and a name column (名称)",
                    first_row - 1,
                    file,
                )
            ],
        )
    parsed: list[tuple[int, str, str, str, str]] = []  # row, level, code, name, class
    for offset, row in enumerate(rows):
        n = first_row + offset
        raw = cell_text(row[ci] if ci < len(row) else None)
        name = cell_text(row[ni] if ni < len(row) else None)
        klass = cell_text(row[ki] if ki is not None and ki < len(row) else None)
        if not raw and not name:
            continue
        level_code = short_code(raw)
        if level_code is None:
            findings.append(
                _finding(
                    "orgs.code",
                    f"“{raw}”不是统计用区划代码（应为 12 位数字）",
                    f"{raw!r} is not a statistical division code (12 digits)",
                    n,
                    file,
                )
            )
            continue
        if not name:
            findings.append(_finding("orgs.name", "名称为空", "empty name", n, file))
            continue
        if klass and klass not in URBAN_RURAL:
            findings.append(
                _finding(
                    "orgs.class",
                    f"城乡分类代码“{klass}”不在 111/112/121/122/123/210/220 之内",
                    f"urban-rural class {klass!r} is not one of 111 … 220",
                    n,
                    file,
                )
            )
            continue
        parsed.append((n, level_code[0], level_code[1], name, klass))
    counties = sorted({code[:6] for _, _, code, _, _ in parsed})
    if len(counties) > 1:
        findings.append(
            _finding(
                "orgs.counties",
                f"一个文件只能装入一个县，文件中有 {'、'.join(counties)}",
                f"one county per file; found {', '.join(counties)}",
                None,
                file,
            )
        )
        return Loaded(None, [], {}, findings)
    if not counties:
        return Loaded(None, [], {}, findings)
    county = counties[0]
    seen: dict[str, int] = {}
    units: dict[str, OrgUnit] = {}
    classes: dict[str, str] = {}
    county_name = (county_names or {}).get(county, "")
    for n, level, code, name, klass in parsed:
        if code in seen:
            findings.append(
                _finding(
                    "orgs.duplicate_code",
                    f"代码 {code} 重复（第 {seen[code]} 行已有）",
                    f"code {code} repeated (first on row {seen[code]})",
                    n,
                    file,
                )
            )
            continue
        seen[code] = n
        if level == "county":
            county_name = name
            continue
        if level == "town":
            units[code] = OrgUnit(code, name, "town", county, county, kind_of_town(name), "real")
        else:
            place, kind = village_name(name)
            units[code] = OrgUnit(code, place, "village", code[:9], county, kind, "real")
            if klass:
                classes[code] = klass
    rows_of = seen
    for code, unit in list(units.items()):
        if unit.level == "village" and unit.parent_code not in units:
            findings.append(
                _finding(
                    "orgs.nesting",
                    f"{code} {unit.name} 的上级乡镇 {unit.parent_code} 不在文件中（代码不嵌套）",
                    f"{code}: its town {unit.parent_code} is not in the file (codes do not nest)",
                    rows_of[code],
                    file,
                )
            )
    findings += _duplicate_names(units.values(), rows_of, file)
    root = OrgUnit(county, county_name or f"{county}县", "county", None, county, "县", "real")
    ordered = [root, *sorted(units.values(), key=lambda u: u.code)]
    return Loaded(county, ordered, classes, findings)


def _duplicate_names(
    units: Iterable[OrgUnit], rows_of: Mapping[str, int], file: str | None
) -> list[Finding]:
    by_parent: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for u in units:
        by_parent[(u.parent_code, u.name)].append(u.code)
    out = []
    for (parent, name), codes in sorted(by_parent.items(), key=lambda kv: kv[1][0]):
        for code in sorted(codes)[1:]:
            out.append(
                _finding(
                    "orgs.duplicate_name",
                    f"{parent} 下名称“{name}”重复（{'、'.join(sorted(codes))}）",
                    f"name {name!r} used twice under {parent} ({', '.join(sorted(codes))})",
                    rows_of.get(code),
                    file,
                )
            )
    return out


def parse_grids(
    headings: Sequence[str],
    rows: Sequence[Sequence[object]],
    villages: Mapping[str, OrgUnit],
    *,
    first_row: int = 2,
    file: str | None = None,
) -> tuple[list[OrgUnit], list[Finding]]:
    """Grid units (15-digit codes under a village) from the county's grid list."""
    ci = find_column(headings, GRID_CODE_HEADINGS)
    ni = find_column(headings, GRID_NAME_HEADINGS)
    vi = find_column(headings, GRID_VILLAGE_HEADINGS)
    if ci is None or ni is None:
        return [], [
            _finding(
                "orgs.grid_headings",
                "网格表须有“网格编码”和“网格名称”列",
                "the grid list needs 网格编码 and 网格名称 columns",
                first_row - 1,
                file,
            )
        ]
    findings: list[Finding] = []
    grids: dict[str, OrgUnit] = {}
    rows_of: dict[str, int] = {}
    for offset, row in enumerate(rows):
        n = first_row + offset
        code = cell_text(row[ci] if ci < len(row) else None)
        name = cell_text(row[ni] if ni < len(row) else None)
        village = cell_text(row[vi] if vi is not None and vi < len(row) else None) or code[:12]
        if not code and not name:
            continue
        if not (code.isascii() and code.isdigit() and len(code) == 15) or not name:
            findings.append(
                _finding(
                    "orgs.grid_code",
                    f"网格编码“{code}”应为 15 位数字（村代码 12 位 + 3 位），名称不能为空",
                    f"grid code {code!r} must be 15 digits (village + 3) with a name",
                    n,
                    file,
                )
            )
            continue
        if village != code[:12] or village not in villages:
            findings.append(
                _finding(
                    "orgs.nesting",
                    f"网格 {code} 不在村（社区）{village} 之下，或该村不在文件中（代码不嵌套）",
                    f"grid {code} does not nest under a known village {village}",
                    n,
                    file,
                )
            )
            continue
        if code in grids:
            findings.append(
                _finding(
                    "orgs.duplicate_code",
                    f"网格编码 {code} 重复",
                    f"grid code {code} repeated",
                    n,
                    file,
                )
            )
            continue
        rows_of[code] = n
        grids[code] = OrgUnit(code, name, "grid", village, code[:6], "网格", "county")
    findings += _duplicate_names(grids.values(), rows_of, file)
    return sorted(grids.values(), key=lambda u: u.code), findings


def plan_changes(
    county: str,
    wanted: Sequence[OrgUnit],
    classes: Mapping[str, str],
    existing: Sequence[OrgUnit],
    existing_classes: Mapping[str, str | None],
    *,
    with_grids: bool,
) -> Plan:
    """What applying ``wanted`` to the county's ``existing`` units would change."""
    plan = Plan(county)
    have = {u.code: u for u in existing}
    for u in wanted:
        old = have.get(u.code)
        new_class = classes.get(u.code)
        if old is None:
            plan.changes.append(
                Change(
                    "add", u.code, u.level, new_name=u.name, new_kind=u.kind, new_class=new_class
                )
            )
            continue
        old_class = existing_classes.get(u.code)
        if new_class is None:
            new_class = old_class  # a file without the class column keeps the stored one
        if old.name == u.name and old.kind == u.kind and old_class == new_class:
            plan.unchanged += 1
            continue
        kind = "rename" if old.name != u.name else "reclass"
        plan.changes.append(
            Change(
                kind,
                u.code,
                u.level,
                old_name=old.name,
                new_name=u.name,
                old_kind=old.kind,
                new_kind=u.kind,
                old_class=old_class,
                new_class=new_class,
            )
        )
    listed = {u.code for u in wanted}
    for old in existing:
        if old.code in listed or (old.level == "grid" and not with_grids):
            continue
        plan.changes.append(Change("absent", old.code, old.level, old_name=old.name))
    return plan
