"""County fields (县级数据元): a department's own columns confirmed as fields of the county.

``proposals`` shows, for each new column of a template, the draft field it proposed and what
the form's own evidence suggests (type, unit, code values). ``confirm`` is the data steward's
(数据管理员; a reviewer or the administrator may too) decision on the definition; the form's
own sample values must fit it. The Gate's approval of the template then makes the confirmed
drafts *active* (``activate_for_template``), and from that transaction on they are fields of
the county's dictionary: tasks ask for them, imports fill them, reports show them.

Every definition change is a ``county_field_version`` row (who, when, why, the whole
definition), so the dictionary's history is auditable and a key never changes meaning: an
active field's type and code table are fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from onesheet.domain.access import Actor, field_visibility
from onesheet.domain.county_fields import (
    FieldDefinition,
    check_definition,
    code_table_of,
    county_table_key,
    merge_candidates,
    translate_value,
)
from onesheet.domain.dictionary import Field
from onesheet.domain.field_evidence import Proposal, propose
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.values.problems import ValueProblem
from onesheet.services.base import Store, service, utcnow
from onesheet.services.forms import TemplateNotFound
from onesheet.store import county_fields as store_fields
from onesheet.store import entities, orgs, templates, wordings
from onesheet.store.db import Connection
from onesheet.store.templates import TemplateRow

MASK_BY_TYPE = {"id_number": "id_number", "phone": "phone"}


@dataclass(frozen=True)
class ColumnProposal:
    """A new column of a template: its draft field, the evidence and any confirmation."""

    letter: str
    heading: str
    key: str
    draft: Field | None
    proposal: Proposal
    samples: list[object]
    definition: FieldDefinition | None = None


@dataclass(frozen=True)
class CountyField:
    """A county field as the catalogue lists it."""

    definition: FieldDefinition
    templates: list[str] = field(default_factory=list)
    values: int = 0


def _county_of(conn: Connection, actor: Actor, county_code: str | None = None) -> str:
    """The county a decision applies to: given, the actor's, else the installation's first."""
    if county_code:
        return county_code
    if actor.county_code:
        return actor.county_code
    return orgs.first_county(conn) or "000000"


def _draft_columns(row: TemplateRow, known: set[str]) -> list[tuple[str, str, str, list[object]]]:
    """(letter, heading, draft key, samples) for the template's columns pointing at a draft
    field (status ``new``, or ``matched`` to an earlier form's draft) or a county field."""
    analysis = row.analysis or {}
    evidence = analysis.get("evidence") or {}
    out = []
    for c in analysis.get("columns") or []:  # type: ignore[union-attr]
        key = c.get("field")
        if not key or key not in known:
            continue
        if c.get("status") not in ("new", "matched"):
            continue
        out.append((c["letter"], c["heading"], key, list(evidence.get(c["letter"]) or [])))  # type: ignore[union-attr]
    return out


def _drafts(conn: Connection) -> dict[str, Field]:
    return {d.key: d for d in wordings.load_drafts(conn)}


def _template(conn: Connection, template_id: str) -> TemplateRow:
    row = templates.get_template(conn, template_id)
    if row is None:
        raise TemplateNotFound(template_id)
    return row


@service("fields_proposals", permission="forms.read", audit=None)
def proposals(
    store: Store, actor: Actor, template_id: str, *, county_code: str | None = None
) -> list[ColumnProposal]:
    """Each new column of a template with the type its evidence suggests (no personal data
    beyond the form's own sample cells, which its department and the Gate already hold)."""
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        row = _template(conn, template_id)
        county = _county_of(conn, actor, county_code)
        drafts = _drafts(conn)
        county_keys = {d.key: d for d in store_fields.definitions(conn, county_code=county)}
        out = []
        for letter, heading, key, samples in _draft_columns(row, set(drafts) | set(county_keys)):
            out.append(
                ColumnProposal(
                    letter,
                    heading,
                    key,
                    drafts.get(key),
                    propose(heading, samples),
                    samples,
                    county_keys.get(key),
                )
            )
        return out


_SENSITIVITY_RANK = {"general": 0, "personal": 1, "sensitive": 2}


def _protects_less(target: FieldDefinition, source: FieldDefinition) -> bool:
    """Whether ``target`` would show ``source``'s values to more people or less hidden:
    a lower sensitivity, or a masked source merged into a field not masked the same way."""
    rank = _SENSITIVITY_RANK.get
    lower = rank(target.sensitivity, 2) < rank(source.sensitivity, 2)
    return lower or (source.mask is not None and target.mask != source.mask)


def _bad(code: str, zh: str, en: str, key: str) -> InvalidInput:
    return InvalidInput([Finding(f"fields.{code}", zh, en, field=key)])


@service("fields_confirm", permission="fields.manage", audit=None)
def confirm(
    store: Store,
    actor: Actor,
    key: str,
    *,
    template_id: str | None = None,
    label_zh: str | None = None,
    label_en: str | None = None,
    value_type: str | None = None,
    unit: str | None = None,
    code_table: str | None = None,
    codes: Sequence[str] | None = None,
    sensitivity: str | None = None,
    mask: str | None = None,
    owner: str | None = None,
    readers: Sequence[str] = (),
    reason: str = "",
    county_code: str | None = None,
) -> FieldDefinition:
    """Confirm (or amend) the definition of a draft field for the county.

    Unset attributes come from the form's evidence (type, unit, code values) and the draft
    (label), the owner from the template's department. A type or code table the form's own
    sample values contradict is refused with the offending values. A field already active
    keeps its type and code table (a key never changes meaning); its label, unit,
    sensitivity, mask, owner and readers may change, each change a new version.
    """
    now = utcnow()
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        county = _county_of(conn, actor, county_code)
        drafts = _drafts(conn)
        old = store_fields.get(conn, county, key)
        draft = drafts.get(key)
        if draft is None and old is None:
            raise _bad(
                "unknown",
                f"没有草稿字段 {key}",
                f"no draft field {key}",
                key,
            )
        if key in store.dictionary.fields and store.dictionary.fields[key].county_code is None:
            raise _bad("builtin", f"{key} 是内置字段", f"{key} is a built-in field", key)
        template_id = (
            template_id or (old.template_id if old else None) or wordings.proposer(conn, key)
        )
        row = _template(conn, template_id) if template_id else None
        heading, samples = _evidence(row, key)
        evidence = propose(heading or (draft.label_zh if draft else key), samples)
        d = _definition(
            county, key, draft, old, row, evidence,
            label_zh=label_zh, label_en=label_en, value_type=value_type, unit=unit,
            code_table=code_table, sensitivity=sensitivity, mask=mask, owner=owner,
            readers=readers,
        )  # fmt: skip
        if old is not None and old.status != "confirmed":
            if (d.type, d.code_table) != (old.type, old.code_table):
                raise _bad(
                    "fixed_type",
                    f"{old.label_zh}（{key}）已启用，类型和代码表不能再改（字段含义不变）",
                    f"{key} is active: its type and code table are fixed",
                    key,
                )
            d = d.but(status=old.status)
        extra = {}
        if d.type == "code" and d.code_table == county_table_key(key):
            names = list(codes) if codes else list(evidence.codes)
            if not names:
                raise _bad(
                    "no_codes",
                    "代码类型须给出选项（如 集中,分散）或选择已有代码表",
                    "a code field needs its options or an existing code table",
                    key,
                )
            extra[d.code_table] = code_table_of(d.code_table, d.label_zh, names)
        check_definition(d, store.dictionary, extra_tables=extra, samples=samples)
        for ct in extra.values():
            store_fields.save_code_table(conn, county, ct, actor=actor.username, at=now)
        action = "confirm" if old is None else "change"
        return store_fields.save(
            conn, d, action=action, actor=actor.username, at=now, reason=reason
        )


def _evidence(row: TemplateRow | None, key: str) -> tuple[str, list[object]]:
    if row is None:
        return "", []
    for _, heading, k, samples in _draft_columns(row, {key}):
        if k == key:
            return heading, samples
    return "", []


def _definition(
    county: str,
    key: str,
    draft: Field | None,
    old: FieldDefinition | None,
    row: TemplateRow | None,
    evidence: Proposal,
    **given: object,
) -> FieldDefinition:
    entity = (old.entity if old else None) or (draft.entity if draft else key.split(".", 1)[0])
    value_type = str(given["value_type"] or (old.type if old else evidence.type))
    code_table = given["code_table"] or (old.code_table if old else None)
    if value_type == "code" and not code_table:
        code_table = county_table_key(key)
    if value_type != "code":
        code_table = None
    personal = entity in ("person", "household")
    mask = given["mask"] if given["mask"] is not None else (old.mask if old else None)
    if mask is None:
        mask = MASK_BY_TYPE.get(value_type)
    if mask == "":
        mask = None
    label = str(given["label_zh"] or (old.label_zh if old else draft.label_zh if draft else key))
    synonyms = tuple(draft.synonyms) if draft else (old.synonyms if old else ())
    return FieldDefinition(
        county_code=county,
        key=key,
        entity=entity,
        label_zh=" ".join(label.split()),
        label_en=str(
            given["label_en"] or (old.label_en if old else draft.label_en if draft else "")
        ),
        type=value_type,
        owner=str(given["owner"] or (old.owner if old else row.department if row else "")),
        sensitivity=str(
            given["sensitivity"]
            or (old.sensitivity if old else "personal" if personal else "general")
        ),
        unit=(given["unit"] or None)
        if given["unit"] is not None
        else (old.unit if old else evidence.unit),  # type: ignore[arg-type]
        code_table=code_table,  # type: ignore[arg-type]
        mask=mask,  # type: ignore[arg-type]
        readers=tuple(given["readers"] or (old.readers if old else ())),  # type: ignore[arg-type]
        synonyms=tuple(dict.fromkeys((label, *synonyms))),
        status="confirmed",
        template_id=(row.id if row else None) or (old.template_id if old else None),
    )


@service("fields_deprecate", permission="fields.manage", audit=None)
def deprecate(
    store: Store, actor: Actor, key: str, *, reason: str, county_code: str | None = None
) -> FieldDefinition:
    """Retire a county field: it keeps its history and the templates using it still run,
    but later forms no longer match it. A reason is required."""
    now = utcnow()
    if not reason.strip():
        raise _bad("reason", "停用字段须说明理由", "deprecating needs a reason", key)
    with store.transaction() as conn:
        county = _county_of(conn, actor, county_code)
        old = store_fields.get(conn, county, key)
        if old is None:
            raise _bad("unknown", f"没有县级字段 {key}", f"no county field {key}", key)
        fresh = store_fields.save(
            conn, old.but(status="deprecated"), action="deprecate", actor=actor.username,
            at=now, reason=reason.strip(),
        )  # fmt: skip
        store_fields.refresh(store, conn)
        return fresh


@service("fields_county_list", permission="fields.read", audit=None)
def list_county_fields(
    store: Store, actor: Actor, *, county_code: str | None = None
) -> list[CountyField]:
    """The county's fields (confirmed, active and deprecated) with the approved templates
    that use them and how many values the sheet holds (counts only)."""
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        county = _county_of(conn, actor, county_code)
        defs = store_fields.definitions(conn, county_code=county)
        used: dict[str, list[str]] = {}
        for t in templates.list_templates(conn, status="approved"):
            for c in t.spec.columns:
                if c.field:
                    used.setdefault(c.field, []).append(t.id)
        counts = store_fields.value_counts(conn, county)
    return [CountyField(d, sorted(set(used.get(d.key, []))), counts.get(d.key, 0)) for d in defs]


def activate_for_template(
    store: Store, conn: Connection, actor: Actor, row: TemplateRow, now: datetime
) -> TemplateRow:
    """In the Gate's approval transaction: the template's confirmed drafts become active
    fields of the county, and every template whose new column proposed one of them now
    shows it (its column was left blank while the field was a draft)."""
    county = _county_of(conn, actor)
    confirmed = {d.key: d for d in store_fields.definitions(conn, county_code=county)}
    keys = {k for _, _, k, _ in _draft_columns(row, set(confirmed))}
    for key in sorted(keys):
        d = confirmed[key]
        if d.status == "confirmed":
            store_fields.save(
                conn, d.but(status="active"), action="activate", actor=actor.username, at=now,
                reason=f"模板 {row.id} 准入",
            )  # fmt: skip
    store_fields.refresh(store, conn)
    active = {k for k, d in confirmed.items() if d.status == "active"} | keys
    fresh = row
    for other in templates.list_templates(conn):
        bound = _bind(other, active)
        if bound is not None:
            updated = templates.update_template(conn, other, at=now, spec=bound)
            if other.id == row.id:
                fresh = updated
    return fresh


def _bind(row: TemplateRow, active: set[str]):  # type: ignore[no-untyped-def]
    """The spec with blank columns whose analysis proposed an active field now showing it."""
    by_letter = {c["letter"]: c.get("field") for c in (row.analysis or {}).get("columns") or []}  # type: ignore[union-attr]
    cols, changed = [], False
    for c in row.spec.columns:
        key = by_letter.get(c.letter)
        if c.kind == "blank" and key in active and row.spec.kind == "roster":
            cols.append(c.model_copy(update={"kind": "field", "field": key}))
            changed = True
        else:
            cols.append(c)
    return row.spec.model_copy(update={"columns": cols}) if changed else None


# ------------------------------------------------------------------------- one concept, one field
@dataclass(frozen=True)
class MergeProposal:
    key: str
    other: str
    label: str
    other_label: str
    score: float


@service("fields_merge_proposals", permission="fields.read", audit=None)
def merge_proposals(
    store: Store, actor: Actor, *, county_code: str | None = None
) -> list[MergeProposal]:
    """County and draft fields that probably mean the same thing, for a steward to merge."""
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        county = _county_of(conn, actor, county_code)
        defs = store_fields.definitions(conn, county_code=county, statuses=("confirmed", "active"))
        drafts = [d for d in wordings.load_drafts(conn) if d.key not in store.dictionary.fields]
    fields = [d.to_field() for d in defs] + drafts
    labels = {f.key: f.label_zh for f in fields}
    return [MergeProposal(a, b, labels[a], labels[b], s) for a, b, s in merge_candidates(fields)]


@dataclass(frozen=True)
class MergeResult:
    into: FieldDefinition
    retired: FieldDefinition
    values_copied: int
    templates_rebound: list[str]


@service("fields_merge", permission="fields.manage", audit=None)
def merge(
    store: Store,
    actor: Actor,
    source_key: str,
    into_key: str,
    *,
    reason: str,
    county_code: str | None = None,
) -> MergeResult:
    """Merge county field ``source_key`` into ``into_key`` (one concept, one field).

    Each current value of the source that the target lacks is recorded as a new observation
    of the target (same source department and valid-from; codes translated by name), so both
    histories stay whole; templates showing the source show the target; the source is
    deprecated with the reason and its wordings join the target's. Refused, nothing written,
    when a value does not fit the target (listing them) or the fields differ in entity.
    """
    now = utcnow()
    if not reason.strip():
        raise _bad("reason", "合并字段须说明理由", "merging needs a reason", source_key)
    with store.transaction() as conn:
        store_fields.refresh(store, conn)
        county = _county_of(conn, actor, county_code)
        src, dst = (
            store_fields.get(conn, county, source_key),
            store_fields.get(conn, county, into_key),
        )
        if src is None or dst is None or source_key == into_key:
            raise _bad(
                "merge_unknown",
                "只能合并本县两个不同的县级字段",
                "both fields must be distinct county fields of this county",
                source_key,
            )
        if src.entity != dst.entity:
            raise _bad(
                "merge_entity", "两个字段属于不同对象", "fields of different entities", source_key
            )
        source_f, target_f = src.to_field(), dst.to_field()
        if _protects_less(dst, src):
            # the copies would be read by whoever may read the target: as sensitive as the
            # source and masked the same way, or the merge would hand the values round
            raise _bad(
                "merge_protection",
                f"{dst.label_zh} 的敏感级别或遮蔽方式低于 {src.label_zh}，不能并入",
                f"{into_key} protects its values less than {source_key} (sensitivity or mask)",
                source_key,
            )
        current = store_fields.values_of_field(conn, source_key)
        held = set(store_fields.values_of_field(conn, into_key))
        tables = store.dictionary.code_tables
        copies, bad = {}, {}
        for eid, (value, source, since) in current.items():
            if eid in held:
                continue
            try:
                copies[eid] = (translate_value(value, source_f, target_f, tables), source, since)
            except (ValueProblem, KeyError, ValueError):
                bad[value] = None
        if bad:
            # the values only to a steward who may read them (a steward sees general fields)
            readable = field_visibility(actor, source_f, store.grants) == "full"
            shown = "、".join(list(bad)[:8]) if readable else f"{len(bad)} 个值 ({len(bad)} values)"
            raise _bad(
                "merge_values",
                f"{src.label_zh} 的值不符合 {dst.label_zh} 的类型：{shown}",
                f"values of {source_key} do not fit {into_key}: {shown}",
                source_key,
            )
        if copies:
            _record_copies(conn, store, actor, county, dst.entity, into_key, copies, now)
        note = f"合并入 {into_key}：{reason.strip()}"
        retired = store_fields.save(
            conn, src.but(status="deprecated"), action="merge", actor=actor.username, at=now,
            reason=note,
        )  # fmt: skip
        words = tuple(dict.fromkeys((*dst.synonyms, src.label_zh, *src.synonyms)))
        into = store_fields.save(
            conn, dst.but(synonyms=words), action="change", actor=actor.username, at=now,
            reason=f"并入 {source_key}：{reason.strip()}",
        )  # fmt: skip
        rebound = []
        for row in templates.list_templates(conn):
            if any(c.field == source_key for c in row.spec.columns):
                cols = [
                    c.model_copy(update={"field": into_key}) if c.field == source_key else c
                    for c in row.spec.columns
                ]
                spec = row.spec.model_copy(update={"columns": cols})
                templates.update_template(conn, row, at=now, spec=spec)
                rebound.append(row.id)
        store_fields.refresh(store, conn)
        return MergeResult(into, retired, len(copies), rebound)


def _record_copies(conn, store, actor, county, entity, key, copies, now) -> None:  # type: ignore[no-untyped-def]
    from onesheet.store import ids
    from onesheet.store.observation_log import LogRow
    from onesheet.store.recorder import EntityWrite, record, start_batch

    org_of = {eid: p.org_code for eid, p in entities.placements(conn, copies).items()}
    batch_id = ids.allocate(conn, "batch", 1, county)[0]
    start_batch(
        conn, batch_id, kind="merge", county_code=county, source="steward",
        actor=actor.username, now=now, description=f"merge into {key}",
    )  # fmt: skip
    writes = [
        EntityWrite(
            eid, entity, org_of[eid], [LogRow(eid, entity, key, value, "value", since, src)]
        )
        for eid, (value, src, since) in copies.items()
    ]
    record(conn, store.dictionary, writes, county_code=county, batch_id=batch_id,
           actor=actor.username, now=now)  # fmt: skip
