"""The Gate's review (报表准入审核): plain arithmetic over a template and what the sheet holds.

Given a template, the fields the sheet can answer, how many rows each village would list
(and how many of those values the sheet already has), the approved templates and the
responsibility-list verdict, ``review`` works out what a reviewer needs to decide: which
columns the sheet answers, what villages would still have to type, the time that costs per
period beside the fully manual cost, which approved forms already ask the same, and a
suggested decision with its reasons. No database here — the service gathers the counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.responsibility import MatterVerdict
from onesheet.domain.template_spec import AllOf, AnyOf, Column, Condition, TemplateSpec

MINUTES_PER_VALUE = 0.5  # a cadre finding and typing one value by hand: about 30 seconds
NEAR_TOTAL_OVERLAP = 0.8  # this share of a form's fields already on an approved form → reuse
_LAYOUT_KINDS = frozenset({"row_no", "remark"})


@dataclass(frozen=True)
class VillageRows:
    """One village's rows for this template, and how many of each field's values are known."""

    rows: int
    filled: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ApprovedForm:
    """An approved template, as the overlap check sees it."""

    id: str
    title: str
    department: str
    fields: frozenset[str]


@dataclass(frozen=True)
class ColumnVerdict:
    letter: str
    heading: str
    fields: list[str]
    answered: bool


@dataclass(frozen=True)
class Overlap:
    template_id: str
    title: str
    department: str
    shared: list[str]
    share: float


@dataclass
class Review:
    """Everything the reviewer sees; ``to_json`` is what ``forms review --json`` prints."""

    template_id: str
    title: str
    kind: str
    frequency: str
    columns: list[ColumnVerdict]
    villages: int
    rows: int
    values_to_type: int
    manual_values: int
    minutes_per_value: float
    max_village_values: int
    overlaps: list[Overlap]
    matter: MatterVerdict
    suggestion: str  # approve | reject | needs_reason
    reasons_zh: list[str]
    reasons_en: list[str]

    @property
    def answered(self) -> list[ColumnVerdict]:
        return [c for c in self.columns if c.answered]

    @property
    def to_collect(self) -> list[ColumnVerdict]:
        return [c for c in self.columns if not c.answered]

    @property
    def answered_share(self) -> float:
        return len(self.answered) / len(self.columns) if self.columns else 0.0

    def minutes(self, values: int) -> float:
        return round(values * self.minutes_per_value, 1)

    def to_json(self) -> dict[str, object]:
        per_village = self.values_to_type / self.villages if self.villages else 0.0
        manual_village = self.manual_values / self.villages if self.villages else 0.0
        return {
            "template_id": self.template_id,
            "title": self.title,
            "kind": self.kind,
            "frequency": self.frequency,
            "columns_total": len(self.columns),
            "columns_answered": len(self.answered),
            "answered_share": round(self.answered_share, 3),
            "columns_to_collect": [asdict(c) for c in self.to_collect],
            "columns_answered_detail": [asdict(c) for c in self.answered],
            "burden": {
                "minutes_per_value": self.minutes_per_value,
                "villages": self.villages,
                "rows": self.rows,
                "values_to_type": self.values_to_type,
                "minutes": self.minutes(self.values_to_type),
                "per_village_values": round(per_village, 1),
                "per_village_minutes": round(per_village * self.minutes_per_value, 1),
                "max_village_values": self.max_village_values,
                "manual_values": self.manual_values,
                "manual_minutes": self.minutes(self.manual_values),
                "manual_per_village_minutes": round(manual_village * self.minutes_per_value, 1),
            },
            "overlaps": [asdict(o) for o in self.overlaps],
            "matter": self.matter.to_json(),
            "suggestion": self.suggestion,
            "reasons_zh": self.reasons_zh,
            "reasons_en": self.reasons_en,
        }


def filter_fields(flt: Condition | AllOf | AnyOf | None) -> list[str]:
    """Every field a filter or condition reads, left to right."""
    if flt is None:
        return []
    if isinstance(flt, Condition):
        return [flt.field]
    parts = flt.all if isinstance(flt, AllOf) else flt.any
    return [f for p in parts for f in filter_fields(p)]


def column_fields(col: Column) -> list[str]:
    """The fields a column needs: the one it shows plus those its condition reads."""
    out = [col.field] if col.field else []
    return list(dict.fromkeys(out + filter_fields(col.condition)))


def data_columns(spec: TemplateSpec) -> list[Column]:
    """Columns that hold values (序号 and 备注 hold none)."""
    return [c for c in spec.columns if c.kind not in _LAYOUT_KINDS]


def template_fields(spec: TemplateSpec) -> frozenset[str]:
    """The entity fields a template shows (org names are not collected from anyone)."""
    return frozenset(
        f for c in data_columns(spec) for f in column_fields(c) if not f.startswith("org.")
    )


def classify_columns(spec: TemplateSpec, answerable: Iterable[str]) -> list[ColumnVerdict]:
    """A column is answered when every field it needs is one the sheet holds."""
    known = set(answerable)
    out = []
    for c in data_columns(spec):
        needed = column_fields(c)
        ok = c.kind != "blank" and all(f in known or f.startswith("org.") for f in needed)
        ok = ok and (bool(needed) or c.kind == "count")
        out.append(ColumnVerdict(c.letter, c.heading, needed, ok))
    return out


def village_values(
    spec: TemplateSpec, columns: list[ColumnVerdict], village: VillageRows
) -> tuple[int, int]:
    """(values the village must type, values of the whole form) for one village."""
    n_collect = sum(1 for c in columns if not c.answered)
    if spec.kind == "aggregate":
        return n_collect, len(columns)
    missing = 0
    for c in columns:
        if c.answered and c.fields and not c.fields[0].startswith("org."):
            missing += max(0, village.rows - village.filled.get(c.fields[0], village.rows))
    return village.rows * n_collect + missing, village.rows * len(columns)


def overlaps(
    spec: TemplateSpec, approved: Iterable[ApprovedForm], mine: frozenset[str] | None = None
) -> list[Overlap]:
    """Approved templates sharing fields with this one, most overlapping first.

    ``mine`` defaults to the spec's fields; pass it to count proposed draft fields too.
    """
    mine = template_fields(spec) if mine is None else mine
    out = []
    for other in approved:
        if other.id == spec.id or not mine:
            continue
        shared = sorted(mine & other.fields)
        if shared:
            out.append(
                Overlap(
                    other.id,
                    other.title,
                    other.department,
                    shared,
                    round(len(shared) / len(mine), 3),
                )
            )
    return sorted(out, key=lambda o: (-o.share, o.template_id))


def review(
    spec: TemplateSpec,
    *,
    answerable: Iterable[str],
    villages: Mapping[str, VillageRows],
    approved: Iterable[ApprovedForm],
    matter: MatterVerdict,
    minutes_per_value: float = MINUTES_PER_VALUE,
    fields: frozenset[str] | None = None,
) -> Review:
    """The review figures and the suggested decision for one template."""
    columns = classify_columns(spec, answerable)
    per_village = [village_values(spec, columns, v) for v in villages.values()]
    found = overlaps(spec, approved, fields)
    result = Review(
        template_id=spec.id,
        title=spec.title,
        kind=spec.kind,
        frequency=spec.frequency,
        columns=columns,
        villages=len(villages),
        rows=sum(v.rows for v in villages.values()) if spec.kind == "roster" else len(villages),
        values_to_type=sum(t for t, _ in per_village),
        manual_values=sum(m for _, m in per_village),
        minutes_per_value=minutes_per_value,
        max_village_values=max((t for t, _ in per_village), default=0),
        overlaps=found,
        matter=matter,
        suggestion="approve",
        reasons_zh=[],
        reasons_en=[],
    )
    _suggest(result)
    return result


def _suggest(r: Review) -> None:
    """Refuse negative-list matters and near-duplicates; otherwise say what the sheet saves."""
    zh, en = r.reasons_zh, r.reasons_en
    if r.matter.code == "refused":
        r.suggestion = "reject"
        zh.append(r.matter.message_zh)
        en.append(r.matter.message_en)
    near = [o for o in r.overlaps if o.share >= NEAR_TOTAL_OVERLAP]
    if near:
        o = near[0]
        r.suggestion = "reject"
        zh.append(
            f"{o.share:.0%} 的字段已在已准入模板 {o.template_id}（{o.title}）中，请直接使用该模板"
        )
        en.append(f"{o.share:.0%} of its fields are on approved template {o.template_id}: use it")
    if r.matter.code == "needs_reason" and r.suggestion == "approve":
        r.suggestion = "needs_reason"
        zh.append(r.matter.message_zh)
        en.append(r.matter.message_en)
    zh.append(
        f"表格 {len(r.columns)} 列中，一表通已能回答 {len(r.answered)} 列"
        f"（{r.answered_share:.0%}），需采集 {len(r.to_collect)} 列"
    )
    en.append(
        f"the sheet answers {len(r.answered)} of {len(r.columns)} columns "
        f"({r.answered_share:.0%}); {len(r.to_collect)} need collecting"
    )
    zh.append(
        f"每期村级需填 {r.values_to_type} 个值（约 {r.minutes(r.values_to_type)} 分钟），"
        f"全手工填报需 {r.manual_values} 个值（约 {r.minutes(r.manual_values)} 分钟）"
    )
    en.append(
        f"villages type {r.values_to_type} values per period (~{r.minutes(r.values_to_type)} min) "
        f"instead of {r.manual_values} by hand (~{r.minutes(r.manual_values)} min)"
    )
    if r.matter.code == "ok" and r.suggestion == "approve":
        zh.append(r.matter.message_zh)
        en.append(r.matter.message_en)


def check_decision(decision: str, matter: MatterVerdict, reason: str) -> None:
    """Refuse a decision the rules forbid: approving a negative-list matter, no reason."""
    problems: list[Finding] = []
    if not reason.strip():
        problems.append(finding("gate.reason_missing"))
    if decision == "approved" and matter.code == "refused":
        problems.append(Finding("gate.negative_list", matter.message_zh, matter.message_en))
    if problems:
        raise InvalidInput(problems)
