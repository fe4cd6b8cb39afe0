"""County fields (县级数据元): a department's own columns, confirmed and kept as data.

A form's column that no built-in field fits becomes a draft field at import. A data steward
(数据管理员), a reviewer or the administrator confirms its definition — label, type, unit,
code table, sensitivity, mask and owner department (the form's department by default:
一数一源) — and when the Gate approves the template the confirmed drafts become *active*
fields of the county's dictionary: read by every layer exactly like built-in fields, but
stored as rows, so the dictionary grows without a migration.

Pure: definitions, their checks, and the ``Field`` every other layer reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import get_args

from onesheet.domain.codes import CodeEntry, CodeTable
from onesheet.domain.dictionary import Dictionary, Field, FieldType, Sensitivity
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.values.parse import is_empty, parse_for_field
from onesheet.domain.values.problems import ValueProblem

FIELD_TYPES = tuple(t for t in get_args(FieldType) if t != "ref")
SENSITIVITIES = tuple(get_args(Sensitivity))
MASK_TYPES = {"id_number": "id_number", "phone": "phone", "account": "text"}
STATUSES = ("confirmed", "active", "deprecated")


@dataclass(frozen=True)
class FieldDefinition:
    """One county field as a steward confirmed it (a row of ``county_field``)."""

    county_code: str
    key: str
    entity: str
    label_zh: str
    type: str
    owner: str  # department key: the authoritative source
    sensitivity: str = "personal"
    label_en: str = ""
    unit: str | None = None
    code_table: str | None = None
    mask: str | None = None
    readers: tuple[str, ...] = ()  # other departments granted to read it
    synonyms: tuple[str, ...] = ()
    status: str = "confirmed"
    template_id: str | None = None
    version: int = 1

    def to_field(self) -> Field:
        """The dictionary entry every layer reads (status ``approved`` once active)."""
        return Field(
            key=self.key,
            entity=self.entity,
            label_zh=self.label_zh,
            label_en=self.label_en or self.label_zh,
            type=self.type,  # type: ignore[arg-type]
            sensitivity=self.sensitivity,  # type: ignore[arg-type]
            authority=self.owner,
            synonyms=tuple(dict.fromkeys(w for w in self.synonyms if w != self.label_zh)),
            code_table=self.code_table,
            mask=self.mask,  # type: ignore[arg-type]
            description=f"县级数据元（{self.county_code}），由模板 {self.template_id or '—'} 引入",
            status="deprecated" if self.status == "deprecated" else "approved",
            county_code=self.county_code,
            unit=self.unit,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "entity": self.entity,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "type": self.type,
            "unit": self.unit,
            "code_table": self.code_table,
            "sensitivity": self.sensitivity,
            "mask": self.mask,
            "owner": self.owner,
            "readers": list(self.readers),
            "synonyms": list(self.synonyms),
            "status": self.status,
            "template_id": self.template_id,
            "version": self.version,
        }

    def but(self, **changes: object) -> FieldDefinition:
        return replace(self, **changes)  # type: ignore[arg-type]


def county_table_key(field_key: str) -> str:
    """The key of the code table proposed for a county field: ``x.person.x_gyfs``."""
    return f"x.{field_key}"


def code_table_of(key: str, label_zh: str, names: Sequence[str]) -> CodeTable:
    """A county code table of the values a form showed, coded 01, 02, … in order seen."""
    entries = [CodeEntry(f"{i:02d}", name) for i, name in enumerate(names, start=1)]
    return CodeTable(key=key, label_zh=label_zh, entries=entries, source="county")


def _finding(code: str, zh: str, en: str, key: str) -> Finding:
    return Finding(f"fields.{code}", zh, en, field=key)


def check_definition(
    d: FieldDefinition,
    dictionary: Dictionary,
    *,
    extra_tables: Mapping[str, CodeTable] | None = None,
    samples: Iterable[object] = (),
) -> None:
    """Refuse a definition that is malformed or that the form's own sample values contradict.

    InvalidInput lists every problem; for contradicting samples it names the offending values.
    """
    tables = {**dictionary.code_tables, **(extra_tables or {})}
    out: list[Finding] = []
    label = d.label_zh.strip()
    if not label or len(label) > 40:
        out.append(_finding("label", "字段名称须为 1–40 个字", "the label needs 1–40 chars", d.key))
    if d.type not in FIELD_TYPES:
        out.append(
            _finding(
                "type",
                f"不认识的数据类型“{d.type}”；可选：{'、'.join(FIELD_TYPES)}",
                f"unknown type {d.type!r}",
                d.key,
            )
        )
    if d.sensitivity not in SENSITIVITIES:
        out.append(
            _finding(
                "sensitivity",
                f"敏感级别须为 {'/'.join(SENSITIVITIES)}",
                f"unknown sensitivity {d.sensitivity!r}",
                d.key,
            )
        )
    if (d.type == "code") != bool(d.code_table):
        out.append(
            _finding(
                "code_table",
                "代码类型须选择代码表，其他类型不能选择代码表",
                "a code table is required for type code and only for it",
                d.key,
            )
        )
    elif d.code_table and d.code_table not in tables:
        out.append(
            _finding(
                "code_table",
                f"代码表 {d.code_table} 不存在",
                f"no code table {d.code_table}",
                d.key,
            )
        )
    if d.mask is not None and MASK_TYPES.get(d.mask) != d.type:
        out.append(
            _finding(
                "mask",
                f"遮蔽方式 {d.mask} 不适用于 {d.type} 类型",
                f"mask {d.mask} does not fit type {d.type}",
                d.key,
            )
        )
    if d.owner not in dictionary.departments:
        out.append(
            _finding("owner", f"不认识的归属部门 {d.owner}", f"unknown owner {d.owner!r}", d.key)
        )
    if unknown := [r for r in d.readers if r not in dictionary.departments]:
        out.append(
            _finding("readers", f"不认识的部门 {unknown}", f"unknown departments {unknown}", d.key)
        )
    if not out:
        bad = contradicting(d.to_field(), samples, tables)
        if bad:
            shown = "、".join(bad[:8])
            out.append(
                Finding(
                    "fields.contradicted",
                    f"{d.label_zh}：表格自带的样例值不符合“{d.type}”类型：{shown}",
                    f"{d.key}: the form's own sample values do not fit type {d.type}: {shown}",
                    field=d.key,
                )
            )
    if out:
        raise InvalidInput(out)


def contradicting(
    f: Field, samples: Iterable[object], tables: Mapping[str, CodeTable]
) -> list[str]:
    """The sample values that do not parse as ``f`` (each once, in order)."""
    bad: dict[str, None] = {}
    for raw in samples:
        if is_empty(raw):
            continue
        if f.type == "date" and isinstance(raw, int | float) and not isinstance(raw, bool):
            # A form's date cells arrive as dates; a plain number there is an amount or a
            # count, even though Excel could read it as a day serial.
            bad.setdefault(_plain(raw), None)
            continue
        try:
            parse_for_field(f, raw, tables)
        except (ValueProblem, KeyError, ValueError):
            bad.setdefault(_plain(raw), None)
    return list(bad)


def _plain(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


@dataclass
class CountyLayer:
    """What a county adds to the dictionary: its fields and code tables."""

    definitions: list[FieldDefinition] = field(default_factory=list)
    code_tables: dict[str, CodeTable] = field(default_factory=dict)


def with_county_fields(base: Dictionary, layer: CountyLayer) -> Dictionary:
    """Built-in plus the county's active (and deprecated: their templates still run) fields.

    A key defined by several counties of one installation keeps the first definition: keys
    come from the installation-wide draft list, so one key means one concept.
    """
    fields = dict(base.fields)
    for d in layer.definitions:
        if d.status in ("active", "deprecated") and d.key not in fields:
            fields[d.key] = d.to_field()
    return Dictionary(
        fields=fields,
        code_tables={**base.code_tables, **layer.code_tables},
        departments=base.departments,
    )


# ------------------------------------------------------------------------- one concept, one field
MERGE_SCORE = 80.0


def _label_core(label: str) -> str:
    import re

    from onesheet.domain.codes import fold

    text = re.sub(r"[（(][^）)]*[）)]", "", label)
    for word in ("评估", "情况", "信息", "账号", "号码", "编号"):
        text = text.replace(word, "")
    return fold(text)


def merge_candidates(fields: Sequence[Field]) -> list[tuple[str, str, float]]:
    """Pairs of fields of one entity that probably mean the same thing (生活自理能力 /
    生活自理能力评估; 社保卡（一卡通）账号 / 补贴发放账号（一卡通）): similar labels or one
    wording inside the other, and compatible types. (key, other key, score), best first."""
    from rapidfuzz import fuzz

    out: list[tuple[str, str, float]] = []
    for i, a in enumerate(fields):
        for b in fields[i + 1 :]:
            if a.entity != b.entity or a.type != b.type:
                continue
            ca, cb = _label_core(a.label_zh), _label_core(b.label_zh)
            if not ca or not cb:
                continue
            hints = {h for f in (a, b) for h in _brackets(f.label_zh)}
            score = max(
                fuzz.ratio(ca, cb),
                95.0 if (ca in cb or cb in ca) and min(len(ca), len(cb)) >= 3 else 0.0,
                85.0 if hints and set(_brackets(a.label_zh)) & set(_brackets(b.label_zh)) else 0.0,
            )
            if score >= MERGE_SCORE:
                out.append((a.key, b.key, round(score, 1)))
    return sorted(out, key=lambda t: -t[2])


def _brackets(label: str) -> list[str]:
    import re

    return [h for h in re.findall(r"[（(]([^）)]*)[）)]", label) if h]


def translate_value(
    value: str, source: Field, target: Field, tables: Mapping[str, CodeTable]
) -> str:
    """A canonical value of ``source`` as a canonical value of ``target`` (codes by name);
    ValueProblem when it does not fit."""
    raw: object = value
    if source.type == "code" and source.code_table in tables:
        raw = tables[source.code_table].name_of(value)
    result = parse_for_field(target, raw, tables)
    if result is None:
        raise ValueProblem("merge.empty", "空值", "empty value")
    return result
