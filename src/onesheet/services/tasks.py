"""Collection tasks (采集任务): a village sees and fills only the values the sheet lacks.

Tasks are created by the Gate's approval (``store.tasks.create_for_template``, in the same
transaction). Here: the list of tasks in the actor's subtree, one page of a task (people
with only their open values, with enough context — name, masked ID number, household — to
know who is meant; audited as a personal-data read), and a fill: every value parsed by the
dictionary's readers, all problems reported together and nothing written if any, otherwise
one batch of observations with the cadre as actor, the items marked filled (in every task
that asked for them) and the task's progress updated under its version. A fill is refused
whole, nothing written, when the task or any entity it would write about lies outside the
actor's subtree (an item can outlive a person's move to another village).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from onesheet.domain import write_scope
from onesheet.domain.access import Actor, field_visibility, require_org
from onesheet.domain.dictionary import Field
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.masking import mask_value
from onesheet.domain.tasks import choices, input_kind, period_label
from onesheet.domain.values.parse import display_value, parse_for_field
from onesheet.domain.values.problems import ValueProblem
from onesheet.services.base import Store, service, utcnow
from onesheet.services.sheet_write import UnknownEntity
from onesheet.store import audit, county_fields, ids
from onesheet.store import tasks as task_store
from onesheet.store.db import Connection
from onesheet.store.entities import placements
from onesheet.store.observation_log import LogRow
from onesheet.store.recorder import EntityWrite, record, start_batch
from onesheet.store.sheet_view import from_column
from onesheet.store.tasks import StaleTask, TaskRow

PER_PAGE = 20
CONTEXT_FIELDS = {
    "person": ("person.name", "person.id_number"),
    "household": ("household.household_no", "household.head_name"),
    "enterprise": ("enterprise.name", "enterprise.uscc"),
    "house": ("house.address", "house.owner_name"),
    "place": ("place.name", "place.address"),
}
__all__ = ["StaleTask", "TaskFillInvalid", "TaskNotFound"]


class TaskFillInvalid(InvalidInput):
    """Refused values, each also keyed by its (entity, field) so a page can show it in place."""

    def __init__(self, by_item: dict[tuple[int, str], Finding]) -> None:
        self.by_item = by_item
        super().__init__(list(by_item.values()))


class TaskNotFound(UnknownEntity):
    """No task with that id (a 404, like an unknown entity)."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"没有编号为 {task_id} 的采集任务 (no task {task_id})")


@dataclass(frozen=True)
class TaskSummary:
    """One task as lists show it: whose, for which form and period, how far along."""

    id: int
    template_id: str
    title: str
    org_code: str
    org_name: str
    period: str
    period_label: str
    status: str
    items_total: int
    items_filled: int
    version: int

    @property
    def percent(self) -> int:
        return round(100 * self.items_filled / self.items_total) if self.items_total else 100


@dataclass(frozen=True)
class TaskInput:
    """One open value: the field, the input a phone shows, and why it is asked."""

    field_key: str
    label_zh: str
    label_en: str
    kind: str
    choices: list[tuple[str, str]]
    reason: str
    current: str = ""  # shown for stale values: what the sheet holds now
    unit: str = ""  # shown beside a number's input (a county field's 元, 次 …)


@dataclass
class TaskEntity:
    """One person (or household …) with context and only their open values."""

    entity_id: int
    title: str
    id_masked: str
    household: str
    inputs: list[TaskInput] = field(default_factory=list)


@dataclass(frozen=True)
class TaskPage:
    task: TaskSummary
    entities: list[TaskEntity]
    page: int
    pages: int
    entity_type: str


def _summary(t: TaskRow) -> TaskSummary:
    return TaskSummary(
        t.id,
        t.template_id,
        t.title,
        t.org_code,
        t.org_name or t.org_code,
        t.period,
        period_label(t.period),
        t.status,
        t.items_total,
        t.items_filled,
        t.version,
    )


def _task_in_scope(conn: Connection, actor: Actor, task_id: int) -> TaskRow:
    task = task_store.get_task(conn, task_id)
    if task is None:
        raise TaskNotFound(task_id)
    require_org(actor, task.org_code)
    return task


@service("tasks_list", permission="tasks.read", audit=None)
def list_tasks(store: Store, actor: Actor) -> list[TaskSummary]:
    """Tasks in the actor's subtree (a village sees its own), open first (counts only)."""
    with store.audited_read() as conn:
        found = task_store.list_tasks(conn, actor.org_code)
    return [_summary(t) for t in found]


@service("tasks_page", permission="tasks.read", audit="tasks.read")
def task_page(
    store: Store, actor: Actor, task_id: int, page: int = 1, *, per_page: int = PER_PAGE
) -> TaskPage:
    """One page of a task: entities with only their open values, with context.

    Four statements however the page falls: the task (with its template's title and the
    village's name), the page of open items (with their count and entity type), the page's
    sheet rows (with household numbers) and the audit event (written after the read on
    SQLite, never waiting for an import: ``Store.audited_read``)."""
    with store.audited_read() as conn:
        task = _task_in_scope(conn, actor, task_id)
        page = max(page, 1)
        found = task_store.open_page(conn, task_id, offset=(page - 1) * per_page, limit=per_page)
        if not found.entity_ids and page > 1:  # past the last page: show the last one
            last = max(1, -(-task_store.count_open_entities(conn, task_id) // per_page))
            page = min(page, last)
            found = task_store.open_page(
                conn, task_id, offset=(page - 1) * per_page, limit=per_page
            )
        pages = max(1, -(-found.total // per_page))
        eids, items = found.entity_ids, found.items
        if any(i.field_key not in store.dictionary.fields for i in items):
            county_fields.refresh(store, conn)  # a field another worker activated since
        entity_type = found.entity_type or "person"
        entities = _entities(store, actor, conn, entity_type, eids, items)
        fields = sorted({i.field_key for i in items} | set(CONTEXT_FIELDS.get(entity_type, ())))
        audit.write_event(
            conn,
            actor,
            "tasks.read",
            now=utcnow(),
            entity_type=entity_type,
            entity_ids=eids,
            fields=fields,
            county_code=task.county_code,
            detail=f"task={task_id} page={page}",
        )
    return TaskPage(_summary(task), entities, page, pages, entity_type)


def _entities(
    store: Store,
    actor: Actor,
    conn: Connection,
    entity_type: str,
    eids: list[int],
    items: list[task_store.ItemRow],
) -> list[TaskEntity]:
    d = store.dictionary
    title_key, id_key = CONTEXT_FIELDS.get(entity_type, ("", ""))
    shown = [
        d.fields[k] for k in (title_key, id_key, *(i.field_key for i in items)) if k in d.fields
    ]
    rows = task_store.sheet_rows(conn, entity_type, eids, {f.name for f in shown})
    out = {}
    for eid in eids:
        row = rows.get(eid, {})
        out[eid] = TaskEntity(
            eid,
            _shown(store, actor, d.fields.get(title_key), row) or f"#{eid}",
            _shown(store, actor, d.fields.get(id_key), row),
            _household_number(row),
        )
    for item in items:
        f = d.fields[item.field_key]
        current = _shown(store, actor, f, rows.get(item.entity_id, {}))
        out[item.entity_id].inputs.append(
            TaskInput(
                f.key,
                f.label_zh,
                f.label_en,
                input_kind(f),
                choices(f, d.code_tables),
                item.reason,
                current,
                f.unit or "",
            )
        )
    return [out[e] for e in eids]


def _household_number(row: Mapping[str, object]) -> str:
    """The household number a person's task card shows ("#id" when it has none yet)."""
    found = row.get("_household_id")
    return "" if found is None else str(row.get("_household_no") or f"#{found}")


def _shown(store: Store, actor: Actor, f: Field | None, row: Mapping[str, object]) -> str:
    """A context value as the actor may see it (masked, or empty when hidden)."""
    if f is None or field_visibility(actor, f, store.grants) == "hidden":
        return ""
    value = from_column(f.type, row.get(f.name))
    if value is None:
        return ""
    if f.mask and field_visibility(actor, f, store.grants) == "masked":
        return mask_value(f.mask, value) or ""
    return display_value(f, value, store.dictionary.code_tables)


# ----------------------------------------------------------------------------------- fill
@dataclass(frozen=True)
class FillResult:
    task: TaskSummary
    filled: int
    batch_id: int | None


@service("tasks_fill", permission="tasks.fill", audit="tasks.fill")
def fill_task(
    store: Store,
    actor: Actor,
    task_id: int,
    values: Mapping[tuple[int, str], object],
    expected_version: int,
) -> FillResult:
    """Save some of a task's values (a half-filled task is saved and resumed).

    Empty inputs are skipped (not yet known). Every other value must be one the task asks
    for and must parse; otherwise InvalidInput lists every problem and nothing is written.
    StaleTask when someone saved the task since ``expected_version`` was read.
    """
    given = {k: v for k, v in values.items() if not _blank(v)}
    now = utcnow()
    with store.transaction() as conn:
        county_fields.refresh(store, conn)  # the values' types, as another worker may know them
        task = _task_in_scope(conn, actor, task_id)
        asked = {(i.entity_id, i.field_key) for i in _all_items(conn, task_id)}
        parsed = _parse_all(store, given, asked, lambda ids: _titles(store, actor, conn, ids))
        eids = sorted({eid for eid, _ in parsed})
        meta = _entity_meta(conn, set(eids))
        write_scope.require_all(actor, [write_scope.entity(e, _org(meta, e)) for e in eids])
        task_store.claim(conn, task_id, expected_version)
        batch_id = _write(store, actor, conn, task, parsed, meta, now) if parsed else None
        if parsed:
            touched = task_store.mark_filled(
                conn, list(parsed), batch_id=batch_id or 0, by=actor.username, now=now
            )
            task_store.refresh_counters(conn, touched | {task_id}, now=now)
            audit.write_event(
                conn,
                actor,
                "tasks.fill",
                now=now,
                entity_type=meta[next(iter(parsed))[0]][0],
                entity_ids=sorted({e for e, _ in parsed}),
                fields=[k for _, k in parsed],
                county_code=task.county_code,
                detail=f"task={task_id} values={len(parsed)}",
            )
        fresh = task_store.get_task(conn, task_id)
    return FillResult(_summary(fresh or task), len(parsed), batch_id)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _all_items(conn: Connection, task_id: int) -> list[task_store.ItemRow]:
    return task_store.items_of(conn, task_id, status="open") + task_store.items_of(
        conn, task_id, status="filled"
    )


def _titles(store: Store, actor: Actor, conn: Connection, eids: list[int]) -> dict[int, str]:
    """Who each entity is, as the task page names them (name, or household number …)."""
    out: dict[int, str] = {}
    for entity_type in {t for t, _ in _entity_meta(conn, set(eids)).values()}:
        f = store.dictionary.fields.get(CONTEXT_FIELDS.get(entity_type, ("",))[0])
        for eid, row in task_store.sheet_rows(conn, entity_type, eids).items():
            out[eid] = _shown(store, actor, f, row)
    return out


def _parse_all(
    store: Store,
    given: Mapping[tuple[int, str], object],
    asked: set[tuple[int, str]],
    titles: Callable[[list[int]], dict[int, str]],
) -> dict[tuple[int, str], str]:
    """Every value parsed, or InvalidInput naming each refused person (name and number),
    the field (its label starts the parser's message) and why."""
    d = store.dictionary
    refused: dict[tuple[int, str], tuple[str, str, str]] = {}
    out: dict[tuple[int, str], str] = {}
    for (eid, key), raw in given.items():
        f = d.fields.get(key)
        if (eid, key) not in asked or f is None:
            refused[(eid, key)] = (
                "task.not_asked",
                f"{key}：此项不在本任务的待填列表中",
                f"{key}: this value is not one the task asks for",
            )
            continue
        try:
            value = parse_for_field(f, raw, d.code_tables)
        except ValueProblem as problem:
            refused[(eid, key)] = (problem.code, problem.message_zh, problem.message_en)
            continue
        if value is not None:
            out[(eid, key)] = value
    if refused:
        who = titles(sorted({eid for eid, _ in refused}))
        raise TaskFillInvalid(
            {
                (eid, key): Finding(
                    code,
                    f"{who.get(eid) or ''}（编号 {eid}）：{zh}",
                    f"{who.get(eid) or ''} (entity {eid}): {en}",
                    field=key,
                )
                for (eid, key), (code, zh, en) in refused.items()
            }
        )
    return out


def _org(meta: Mapping[int, tuple[str, str]], eid: int) -> str | None:
    return meta[eid][1] if eid in meta else None


def _entity_meta(conn: Connection, eids: set[int]) -> dict[int, tuple[str, str]]:
    """entity id → (type, org code) as the entity table holds them now."""
    if not eids:
        return {}
    return {eid: (p.entity_type, p.org_code) for eid, p in placements(conn, eids).items()}


def _write(
    store: Store,
    actor: Actor,
    conn: Connection,
    task: TaskRow,
    parsed: Mapping[tuple[int, str], str],
    meta: Mapping[int, tuple[str, str]],
    now,  # type: ignore[no-untyped-def]
) -> int:
    """One batch of observations, the cadre as actor, through the single write path."""
    source = write_scope.own_source(actor, None)
    per_entity: dict[int, list[LogRow]] = defaultdict(list)
    for (eid, key), value in parsed.items():
        per_entity[eid].append(LogRow(eid, meta[eid][0], key, value, "value", now, source))
    # values of people the sheet holds: the values lane, never the row an import holds
    batch_id = ids.allocate(conn, "batch", 1, task.county_code, lane=ids.VALUES_LANE)[0]
    start_batch(
        conn,
        batch_id,
        kind="task",
        county_code=task.county_code,
        source=source,
        actor=actor.username,
        now=now,
        description=f"task {task.id} ({task.template_id} {task.period})",
    )
    writes = [
        EntityWrite(eid, meta[eid][0], meta[eid][1], rows) for eid, rows in per_entity.items()
    ]
    record(
        conn,
        store.dictionary,
        writes,
        county_code=task.county_code,
        batch_id=batch_id,
        actor=actor.username,
        now=now,
    )
    return batch_id
