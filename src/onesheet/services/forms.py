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
from pathlib import Path

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.dictionary import Dictionary
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.template_spec import TemplateSpec
from onesheet.ingest.importer import analyse_form
from onesheet.ingest.normalise import fold_text
from onesheet.ingest.workbook import DEFAULT_MAX_BYTES, DEFAULT_MAX_COLUMNS, load_bytes
from onesheet.services.base import Store, service, utcnow
from onesheet.store import templates, wordings
from onesheet.store.templates import STATUS_LABELS_ZH, Decision, TemplateRow

CONTRACT_KEYS = ("template_id", "title", "department", "entity", "header_rows", "filter", "columns")


class TemplateNotFound(ValueError):
    """No template has this id."""

    def __init__(self, template_id: str) -> None:
        self.template_id = template_id
        super().__init__(f"模板 {template_id} 不存在 (no template with id {template_id})")


class TemplateNotApproved(ValueError):
    """The template exists but has not passed the Gate, so it may not be run."""

    def __init__(self, template_id: str, status: str) -> None:
        self.template_id = template_id
        self.status = status
        zh = STATUS_LABELS_ZH.get(status, status)
        super().__init__(
            f"模板 {template_id} 尚未准入（当前状态：{zh}），不能生成报表或任务 "
            f"(template {template_id} is {status}, not approved: it cannot be run)"
        )


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
    """A department key from its key, Chinese name or an alias (县民政局 → civil_affairs)."""
    wanted = name.strip()
    for d in dictionary.departments.values():
        if wanted in (d.key, d.name_zh, d.name_en, *d.aliases):
            return d.key
    known = "、".join(f"{d.name_zh}({d.key})" for d in dictionary.departments.values())
    raise InvalidInput(
        [
            Finding(
                "forms.unknown_department",
                f"不认识的部门“{name}”；可用：{known}",
                f"unknown department {name!r}; use a key or name from departments.yaml",
            )
        ]
    )


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
        found = templates.find_by_hash(conn, content_hash, dept)
        if found is not None:
            return ImportResult(found, _contract_of(found), existing=True)
        drafts = wordings.load_drafts(conn)
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
    spec = analysis.spec.model_copy(update={"id": template_id, "matter": matter or None})
    contract = analysis.to_json() | {"template_id": template_id}
    stored = dict(contract) | {
        "sheet": analysis.sheet,
        "paths": {m.letter: m.path for m in analysis.columns},
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
        return TemplateView(
            _get(conn, template_id, actor), templates.list_decisions(conn, template_id)
        )


def _editable(row: TemplateRow) -> None:
    if row.status not in ("draft", "rejected"):
        zh = STATUS_LABELS_ZH.get(row.status, row.status)
        raise InvalidInput(
            [
                Finding(
                    "forms.not_editable",
                    f"模板 {row.id} 当前为“{zh}”，只有草稿或已退回的模板可以修改",
                    f"template {row.id} is {row.status}: only draft or rejected ones can change",
                )
            ]
        )


def _field_known(store: Store, conn: object, key: str) -> None:
    if key in store.dictionary.fields:
        return
    if any(d.key == key for d in wordings.load_drafts(conn)):  # type: ignore[arg-type]
        return
    raise InvalidInput(
        [
            Finding(
                "forms.unknown_field",
                f"字典中没有字段 {key}（可用 onesheet fields list 查看）",
                f"no field {key} in the dictionary or the draft fields",
                field=key,
            )
        ]
    )


@service("forms_map", permission="forms.map", audit=None)
def map_column(
    store: Store, actor: Actor, template_id: str, *, column: str, field_key: str
) -> TemplateRow:
    """A person's correction: column ``column`` shows ``field_key``; the wording is learnt."""
    letter = column.strip().upper()
    now = utcnow()
    with store.transaction() as conn:
        row = _get(conn, template_id, actor)
        _editable(row)
        _field_known(store, conn, field_key)
        analysis = dict(row.analysis or {})
        cols = list(analysis.get("columns") or [])  # type: ignore[arg-type]
        index = next((i for i, c in enumerate(cols) if c["letter"] == letter), None)
        if index is None or index >= len(row.spec.columns):
            letters = "、".join(c["letter"] for c in cols)
            raise InvalidInput(
                [
                    Finding(
                        "forms.unknown_column",
                        f"模板 {template_id} 没有 {letter} 列；可用：{letters}",
                        f"template {template_id} has no column {letter}",
                        column=letter,
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
        templates.update_template(conn, row, at=now, spec=spec)
        templates.update_analysis(conn, template_id, analysis)
        path = (analysis.get("paths") or {}).get(letter) or [cols[index]["heading"]]  # type: ignore[union-attr]
        wording = fold_text(path[-1])[:200]
        templates_entity = row.spec.entity
        wordings.remember_wording(
            conn, wording, templates_entity, field_key, actor=actor.username, at=now
        )
        return _get(conn, template_id)


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
    """Send a draft (or a reworked rejected template) to the Gate for review."""
    now = utcnow()
    with store.transaction() as conn:
        row = _get(conn, template_id, actor)
        _editable(row)
        fresh = templates.update_template(conn, row, at=now, status="submitted")
        templates.insert_decision(conn, template_id, "submitted", actor=actor.username, at=now)
        return fresh


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
