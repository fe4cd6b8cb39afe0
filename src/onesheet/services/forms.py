"""Forms (报表模板): legacy forms imported as templates, corrected, and read back.

Every use case is one transaction over the template store; the Gate's review and decisions
live in ``services/gate.py``. The analysis itself (``ingest.importer.analyse_form``) is
pure and runs before the transaction opens, so a refused file writes nothing.
``approved_template`` is the one door other areas (reports, tasks) use to get a spec: only
a template that passed the Gate comes through it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import get_args

from pypinyin import lazy_pinyin

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.dictionary import ENTITY_TYPES, Dictionary, Field, FieldType
from onesheet.domain.findings import Finding, InvalidInput, finding, refuse
from onesheet.domain.report_columns import plan_roster
from onesheet.domain.report_filters import check_filter
from onesheet.domain.tasks import frequency_from_title
from onesheet.domain.template_spec import TemplateSpec
from onesheet.ingest.drafts import draft_key
from onesheet.ingest.importer import analyse_form
from onesheet.ingest.normalise import fold_text
from onesheet.ingest.workbook import DEFAULT_MAX_BYTES, DEFAULT_MAX_COLUMNS, load_bytes
from onesheet.services.base import Store, service, utcnow
from onesheet.store import county_fields, templates, wordings
from onesheet.store.templates import (
    STATUS_LABELS_ZH,
    Decision,
    TemplateNotApproved,
    TemplateNotFound,
    TemplateRow,
)

CONTRACT_KEYS = ("template_id", "title", "department", "entity", "header_rows", "filter", "columns")


@dataclass(frozen=True)
class ImportResult:
    """The stored template and the importer contract; ``existing`` when it was a re-import."""

    template: TemplateRow
    contract: dict[str, object]
    existing: bool
    new_drafts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateView:
    """A template with its Gate history, for ``forms show``."""

    template: TemplateRow
    decisions: list[Decision]

    @property
    def contract(self) -> dict[str, object]:
        return _contract_of(self.template)


def _contract_of(row: TemplateRow) -> dict[str, object]:
    """The importer contract of a stored template (as corrected since)."""
    analysis = row.analysis or {}
    return {k: analysis.get(k) for k in CONTRACT_KEYS}


def _resolve_department(dictionary: Dictionary, name: str) -> str:
    """A department key from any common wording (县民政局, 卫生健康, 公安（派出所）→ its key).

    A joint form (住建/应急) raises ``DepartmentAmbiguous`` offering both; an unknown wording
    ``DepartmentUnknown`` with the closest departments ("did you mean …").
    """
    return dictionary.require_department(name)


def _get(conn: object, template_id: str, actor: Actor | None = None) -> TemplateRow:
    """The template; a department's staff reach only their own department's (403 else)."""
    row = templates.get_template(conn, template_id)  # type: ignore[arg-type]
    if row is None:
        raise TemplateNotFound(template_id)
    if actor is not None:
        _require_department(actor, row.department)
    return row


def _require_department(actor: Actor, department: str) -> None:
    if actor.role == "department" and actor.department != department:
        raise AccessDenied(
            f"该报表属于其他部门（{department}），无权查看或修改",
            f"template belongs to department {department}, not {actor.department}",
        )


@service("forms_import", permission="forms.import", audit=None)
def import_form(
    store: Store,
    actor: Actor,
    source: str | Path | bytes,
    *,
    department: str,
    filename: str | None = None,
    sheet: str | None = None,
    matter: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> ImportResult:
    """Analyse a legacy form and keep it as a draft template (nothing is written on error).

    The same file imported again for the same department returns the existing template.
    Draft fields this form proposes are stored, so later imports match them.
    """
    dept = _resolve_department(store.dictionary, department)
    _require_department(actor, dept)
    if filename is None:
        filename = "form.xlsx" if isinstance(source, bytes | bytearray) else Path(source).name
    data = load_bytes(source, filename, max_bytes)
    content_hash = hashlib.sha256(data + b"\x00" + (sheet or "").encode("utf-8")).hexdigest()
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        found = templates.find_by_hash(conn, content_hash, dept)
        if found is not None:
            return ImportResult(found, _contract_of(found), existing=True)
        # A draft that became a county field is matched as a field of the dictionary now.
        drafts = [d for d in wordings.load_drafts(conn) if d.key not in store.dictionary.fields]
        learned = wordings.learned_wordings(conn)
    analysis = analyse_form(
        data,
        filename=filename,
        department=dept,
        dictionary=store.dictionary,
        sheet=sheet,
        drafts=drafts,
        learned=learned,
        max_bytes=max_bytes,
        max_columns=max_columns,
    )
    template_id = "tpl-" + hashlib.sha256(f"{content_hash}:{dept}".encode()).hexdigest()[:12]
    spec = analysis.spec.model_copy(
        update={
            "id": template_id,
            "matter": matter or None,
            "frequency": frequency_from_title(analysis.spec.title, analysis.spec.frequency),
        }
    )
    contract = analysis.to_json() | {"template_id": template_id}
    stored = dict(contract) | {
        "sheet": analysis.sheet,
        "paths": {m.letter: m.path for m in analysis.columns},
        "evidence": _evidence(analysis, store.dictionary),
        "notes": analysis.notes_json(),  # sheet picked, macros, stray cells …
        "reading": analysis.evidence,  # why the structure, entity, filter, frequency
    }
    known_drafts = {d.key for d in drafts}
    now = utcnow()
    with store.transaction() as conn:
        templates.insert_template(
            conn,
            spec,
            status="draft",
            actor=actor.username,
            at=now,
            analysis=stored,
            source_file=filename,
            content_hash=content_hash,
        )
        wordings.save_drafts(conn, analysis.drafts, template_id=template_id, at=now)
        for m in analysis.columns:
            if m.status == "matched" and m.field in known_drafts and m.path:
                wordings.add_draft_wording(conn, m.field, fold_text(m.path[-1]))
        row = _get(conn, template_id)
    return ImportResult(row, contract, existing=False, new_drafts=[d.key for d in analysis.drafts])


def _evidence(analysis: object, dictionary: Dictionary) -> dict[str, list[object]]:
    """letter → the form's own sample values, kept only for columns that may become new
    fields (new, uncertain, or matched to a draft or county field): the steward's type is
    checked against them. Columns of built-in fields keep none."""
    out: dict[str, list[object]] = {}
    for m in analysis.columns:  # type: ignore[attr-defined]
        f = dictionary.fields.get(m.field or "")
        keep = m.status in ("new", "uncertain") or (
            m.status == "matched" and (f is None or f.county_code is not None)
        )
        if keep:
            out[m.letter] = [v for v in analysis.samples.get(m.letter, []) if v is not None][:20]  # type: ignore[attr-defined]
    return out


@service("forms_list", permission="forms.read", audit=None)
def list_forms(store: Store, actor: Actor, *, status: str | None = None) -> list[TemplateRow]:
    """Templates, newest first; a department's staff see their own department's."""
    dept = actor.department if actor.role == "department" else None
    with store.transaction() as conn:
        return templates.list_templates(conn, status=status, department=dept)


@service("forms_show", permission="forms.read", audit=None)
def show_form(store: Store, actor: Actor, template_id: str) -> TemplateView:
    """One template with its Gate history."""
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        return TemplateView(
            _get(conn, template_id, actor), templates.list_decisions(conn, template_id)
        )


def _editable(row: TemplateRow) -> None:
    if row.status not in ("draft", "rejected"):
        zh = STATUS_LABELS_ZH.get(row.status, row.status)
        raise InvalidInput([finding("forms.not_editable", id=row.id, zh=zh, status=row.status)])


def _field_known(store: Store, conn: object, key: str) -> None:
    if key in store.dictionary.fields:
        return
    if any(d.key == key for d in wordings.load_drafts(conn)):  # type: ignore[arg-type]
        return
    raise InvalidInput([finding("forms.unknown_field", key=key, field=key)])


def _map_in(
    conn: object, actor: Actor, row: TemplateRow, letter: str, field_key: str, now: datetime
) -> None:
    """Point column ``letter`` of ``row`` at ``field_key`` and learn its wording (in ``conn``)."""
    analysis = dict(row.analysis or {})
    cols = list(analysis.get("columns") or [])  # type: ignore[arg-type]
    index = next((i for i, c in enumerate(cols) if c["letter"] == letter), None)
    if index is None or index >= len(row.spec.columns):
        letters = "、".join(c["letter"] for c in cols)
        raise InvalidInput(
            [
                finding(
                    "forms.unknown_column", id=row.id, letter=letter, letters=letters, column=letter
                )
            ]
        )
    cols[index] = cols[index] | {
        "field": field_key,
        "status": "matched",
        "confidence": 1.0,
        "candidates": [{"field": field_key, "score": 1.0}],
    }
    analysis["columns"] = cols
    spec_cols = list(row.spec.columns)
    old = spec_cols[index]
    kind = "field" if old.kind in ("blank", "row_no", "remark") else old.kind
    spec_cols[index] = old.model_copy(update={"field": field_key, "kind": kind})
    spec = row.spec.model_copy(update={"columns": spec_cols})
    templates.update_template(conn, row, at=now, spec=spec)  # type: ignore[arg-type]
    templates.update_analysis(conn, row.id, analysis)  # type: ignore[arg-type]
    wordings.remember_wording(
        conn,  # type: ignore[arg-type]
        _wording_of(analysis, cols[index]),
        row.spec.entity,
        field_key,
        actor=actor.username,
        at=now,
    )


def _wording_of(analysis: dict[str, object], col: dict[str, object]) -> str:
    """The column's own heading (the last part of its path), folded as the matcher sees it."""
    path = (analysis.get("paths") or {}).get(col["letter"]) or [col["heading"]]  # type: ignore[union-attr, call-overload]
    return fold_text(path[-1])[:200]


@service("forms_map", permission="forms.map", audit=None)
def map_column(
    store: Store, actor: Actor, template_id: str, *, column: str, field_key: str
) -> TemplateRow:
    """A person's correction: column ``column`` shows ``field_key``; the wording is learnt."""
    letter = column.strip().upper()
    with store.transaction() as conn:
        row = _get(conn, template_id, actor)
        _editable(row)
        _field_known(store, conn, field_key)
        _map_in(conn, actor, row, letter, field_key, utcnow())
        return _get(conn, template_id)


MAX_LABEL = 40
# Value types a person may give a new field (``ref`` needs a target entity: not offered).
NEW_FIELD_TYPES: tuple[str, ...] = tuple(t for t in get_args(FieldType) if t != "ref")
TYPE_LABELS_ZH: dict[str, str] = {
    "text": "文本",
    "integer": "整数",
    "decimal": "小数/金额",
    "date": "日期",
    "boolean": "是/否",
    "code": "代码（选项）",
    "id_number": "身份证号码",
    "phone": "电话号码",
    "uscc": "统一社会信用代码",
}


@dataclass(frozen=True)
class CreatedField:
    """The draft field a person created for a column, and the template now mapped to it."""

    field: Field
    template: TemplateRow


@service("forms_create_field", permission="forms.map", audit=None)
def create_field(
    store: Store,
    actor: Actor,
    template_id: str,
    *,
    column: str,
    label_zh: str,
    value_type: str,
    label_en: str = "",
    code_table: str | None = None,
) -> CreatedField:
    """A person creates a (draft) field for a column no field fits, and maps the column to it.

    The key is ``<entity>.x_<pinyin initials>`` (unique against built-in and draft keys); the
    column's heading is kept as the draft's synonym so later forms with that wording match it.
    One transaction: a refusal stores nothing.
    """
    letter = column.strip().upper()
    label = " ".join(label_zh.split())
    table_key = (code_table or "").strip() or None
    if not label:
        refuse("forms.label_empty", column=letter)
    if len(label) > MAX_LABEL:
        refuse("forms.label_long", max_label=MAX_LABEL, label=len(label), column=letter)
    if value_type not in NEW_FIELD_TYPES:
        names = "、".join(f"{TYPE_LABELS_ZH[t]}({t})" for t in NEW_FIELD_TYPES)
        refuse(
            "forms.bad_type",
            value_type=value_type,
            names=names,
            types=", ".join(NEW_FIELD_TYPES),
            column=letter,
        )
    if table_key is not None and table_key not in store.dictionary.code_tables:
        refuse("forms.unknown_code_table", table_key=table_key, column=letter)
    if value_type == "code" and table_key is None:
        refuse("forms.code_table_needed", column=letter)
    if value_type != "code" and table_key is not None:
        refuse("forms.code_table_unused", column=letter)
    now = utcnow()
    with store.transaction() as conn:
        row = _get(conn, template_id, actor)
        _editable(row)
        entity = row.spec.entity
        if entity not in ENTITY_TYPES:
            refuse("forms.aggregate_new_field", column=letter)
        cols = (row.analysis or {}).get("columns") or []
        col = next((c for c in cols if c["letter"] == letter), None)  # type: ignore[union-attr]
        wording = _wording_of(row.analysis or {}, col) if col else ""
        taken = set(store.dictionary.fields) | wordings.draft_keys(conn)
        mask = {"id_number": "id_number", "phone": "phone"}.get(value_type)
        draft = Field(
            key=draft_key(entity, label, taken),
            entity=entity,
            label_zh=label,
            label_en=" ".join(label_en.split()) or " ".join(lazy_pinyin(label)),
            type=value_type,  # type: ignore[arg-type]
            sensitivity="personal" if entity in ("person", "household") or mask else "general",
            authority=row.department,
            synonyms=tuple(dict.fromkeys(w for w in (fold_text(label), wording) if w)),
            code_table=table_key,
            mask=mask,  # type: ignore[arg-type]
            status="draft",
        )
        wordings.insert_draft(conn, draft, proposed_by=template_id, at=now)
        _map_in(conn, actor, row, letter, draft.key, now)
        return CreatedField(draft, _get(conn, template_id))


@service("forms_draft_fields", permission="forms.read", audit=None)
def draft_fields(store: Store, actor: Actor) -> list[Field]:
    """Every draft field (proposed by imports or created by people), oldest first."""
    with store.transaction() as conn:
        return wordings.load_drafts(conn)


@service("forms_set_matter", permission="forms.map", audit=None)
def set_matter(store: Store, actor: Actor, template_id: str, *, matter: str) -> TemplateRow:
    """Name the village matter (responsibility-list item code) the template serves."""
    with store.transaction() as conn:
        row = _get(conn, template_id, actor)
        _editable(row)
        spec = row.spec.model_copy(update={"matter": matter.strip() or None})
        return templates.update_template(conn, row, at=utcnow(), spec=spec)


@service("forms_submit", permission="forms.submit", audit=None)
def submit(store: Store, actor: Actor, template_id: str) -> TemplateRow:
    """Send a draft (or a reworked rejected template) to the Gate for review.

    The report plan is compiled first: a template whose report could not run (a column no
    relation reaches, a filter on an unknown field) is refused with the reason, not found
    out at report time. Draft columns are fine: they are left empty until confirmed.
    """
    now = utcnow()
    with store.transaction() as conn:
        county_fields.refresh(store, conn)
        row = _get(conn, template_id, actor)
        _editable(row)
        _check_runs(store, row.spec)
        fresh = templates.update_template(conn, row, at=now, status="submitted")
        templates.insert_decision(conn, template_id, "submitted", actor=actor.username, at=now)
        return fresh


def _check_runs(store: Store, spec: TemplateSpec) -> None:
    """InvalidInput naming each column or filter condition the report could not compile."""
    if spec.kind != "roster":
        return
    findings: list[Finding] = []
    try:
        plan_roster(spec, store.dictionary)
    except InvalidInput as refused:
        findings += refused.findings
    if spec.filter is not None:
        entities = frozenset(
            {spec.entity, "household"} if spec.entity == "person" else {spec.entity}
        )
        try:
            check_filter(spec.filter, store.dictionary, entities)
        except InvalidInput as refused:
            findings += refused.findings
    if findings:
        first = finding("forms.report_would_fail", id=spec.id)
        raise InvalidInput([first, *findings])


@service("forms_approved_template", permission="forms.read", audit=None)
def approved_template(store: Store, actor: Actor, template_id: str) -> TemplateSpec:
    """The spec of an approved template; raises ``TemplateNotFound``/``TemplateNotApproved``."""
    with store.transaction() as conn:
        row = templates.get_template(conn, template_id)
    if row is None:
        raise TemplateNotFound(template_id)
    if row.status != "approved":
        raise TemplateNotApproved(template_id, row.status)
    return row.spec
