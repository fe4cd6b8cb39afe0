"""The link queue as a page (issue 13 item 3): rows an import could not place confidently
wait here; town and village staff decide them on the phone — link to a candidate, create a
new person (enterprise, place: the buttons name the row's kind), or reject — one tap each.

Every read and decision goes through ``services/linkage_queue`` (scope, permission, audit).
A candidate's values come from the person card (``read_entity``), masked as the caller must
see them; the queued row's own values are masked by the same rule (``field_visibility`` and
``mask_value``), so a masked viewer never sees a full ID number on either side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain.access import AccessDenied, Actor, field_visibility
from onesheet.domain.findings import InvalidInput
from onesheet.domain.masking import mask_value
from onesheet.domain.values.parse import display_value
from onesheet.services import linkage_queue
from onesheet.services.base import Store
from onesheet.services.sheet_read import read_entity
from onesheet.web.auth import check_csrf
from onesheet.web.deps import MAX_ID, EntityId, is_number
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, lang_of, render, store_of

router = APIRouter()

# How many entries the detail page reads to find one (the service lists, it does not fetch).
REASON_KEYS = ("no_key", "weak", "ambiguous", "key_name", "key_slip", "other_county")
EVIDENCE_KEYS = {  # evidence column → the field it speaks about
    "name": "person.name",
    "idn": "person.id_number",
    "birth": "person.birth_date",
    "sex": "person.gender",
    "phone": "person.phone",
    "addr": "person.current_address",
}


# The value that names a queued row, by entity: a place waits under its name (学校名称 …).
# Its keys are also the kinds the decision buttons are worded for (link_create_<kind> …).
_NAME = {"person": "person.name", "enterprise": "enterprise.name", "place": "place.name"}


def _row_name(store: Store, actor: Actor, entry: dict[str, Any]) -> str | None:
    """The name a queued row goes by, as the actor may see it."""
    key = _NAME.get(entry["entity_type"], "person.name")
    return _shown(store, actor, key, entry["record"].get(key))


@dataclass
class Line:
    """One field of the row beside the same field of each candidate."""

    key: str
    row: str
    others: list[tuple[str, bool]] = field(default_factory=list)  # (shown, differs)


@dataclass
class Candidate:
    entity_id: int
    probability: float
    evidence: dict[str, str]
    in_scope: bool


def _shown(store: Store, actor: Actor, key: str, value: Any) -> str | None:
    """``value`` of field ``key`` as the actor may see it (None: hidden)."""
    f = store.dictionary.fields.get(key)
    if f is None:
        return None
    vis = field_visibility(actor, f, store.grants)
    if vis == "hidden":
        return None
    text = "" if value is None else display_value(f, str(value), store.dictionary.code_tables)
    return (mask_value(f.mask, text) or "") if vis == "masked" and text else text


def _entry_page(
    request: Request,
    store: Store,
    actor: Actor,
    entry: dict[str, Any],
    csrf: str,
    status: int = 200,
    error: str = "",
) -> HTMLResponse:
    record = entry["record"]
    values = {k: v for k, v in record.items() if not k.startswith("_")}
    cands: list[Candidate] = []
    cards: list[dict[str, str | None] | None] = []
    for c in entry["candidates"]:
        ev = c[2] if len(c) > 2 and isinstance(c[2], dict) else {}
        try:
            card = read_entity(store, actor, int(c[0]))
        except AccessDenied:
            cands.append(Candidate(int(c[0]), float(c[1]), ev, False))
            cards.append(None)
            continue
        cands.append(Candidate(int(c[0]), float(c[1]), ev, True))
        cards.append({v.key: v.display if not v.masked else v.value for v in card.values})
    keys = list(values)
    for card in cards:
        for k in card or {}:
            if k in EVIDENCE_KEYS.values() and k not in keys:
                keys.append(k)
    lines: list[Line] = []
    for key in keys:
        row = _shown(store, actor, key, values.get(key))
        if row is None:
            continue
        line = Line(key, row)
        for cand, card in zip(cands, cards, strict=True):
            other = "" if card is None else (card.get(key) or "")
            level = next(
                (lv for col, lv in cand.evidence.items() if EVIDENCE_KEYS.get(col) == key), ""
            )
            if card is None:
                differs = False
            elif level:
                differs = level not in ("same", "missing")
            else:
                differs = bool(row and other and row != other)
            line.others.append((other, differs))
        lines.append(line)
    raw = record.get("_raw")
    ctx = {
        "entry": entry,
        "lines": lines,
        "cands": cands,
        "reason": record.get("_reason", ""),
        "raw_id": _shown(store, actor, "person.id_number", raw) if raw else "",
        "household": (record.get("_extra") or {}).get("household.household_no", ""),
        "csrf": csrf,
        "error": error,
        "is_open": entry["status"] == "open" and entry.get("kind") != "duplicate",
        "entity": entry["entity_type"] if entry["entity_type"] in _NAME else "person",
    }
    return render(request, "link_entry.html", ctx, status)


@router.get("/link", response_class=HTMLResponse)
def link_list(request: Request, caller: CallerDep, done: str = "") -> HTMLResponse:
    store = store_of(request)
    entries = linkage_queue.list_entries(store, caller.actor, status="open")
    shown = [
        {
            "id": e["id"],
            "name": _row_name(store, caller.actor, e),
            "reason": e["record"].get("_reason", ""),
            "source": e["source"],
            "where": e["file"] if e["row_no"] is None else f"{e['file']}:{e['row_no']}",
            "candidates": len(e["candidates"]),
            "kind": e.get("kind", ""),
        }
        for e in entries
    ]
    ctx = {"entries": shown, "done": done if is_number(done) else ""}
    return render(request, "link_list.html", ctx)


@router.get("/link/{entry_id}", response_class=HTMLResponse)
def link_entry(request: Request, caller: CallerDep, entry_id: EntityId) -> Response:
    store = store_of(request)
    entry = linkage_queue.get_entry(store, caller.actor, entry_id)  # 404 / 403 by the service
    return _entry_page(request, store, caller.actor, entry, caller.csrf or "")


@router.post("/link/{entry_id}")
def link_decide(
    request: Request,
    caller: CallerDep,
    entry_id: EntityId,
    csrf_token: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    entity_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Link to a candidate, create a new entity of the row's kind, or reject: one batch,
    audited by the service."""
    check_csrf(caller, csrf_token)  # first: before anything in the body is looked at
    store = store_of(request)
    actor = caller.actor
    lang = lang_of(request)
    target: int | None = None
    if action == "link":
        if not is_number(entity_id) or not 0 < int(entity_id) <= MAX_ID:
            action = ""
        else:
            target = int(entity_id)
    note = reason.strip()[:200]
    try:
        if action not in ("link", "create", "reject"):
            raise InvalidInput([])
        linkage_queue.decide(
            store,
            actor,
            entry_id,
            entity_id=target,
            create=action == "create",
            reject=action == "reject",
            reason=note,
        )
    except InvalidInput as refused:
        entry = linkage_queue.get_entry(store, actor, entry_id)
        words = [f.message_en if lang == "en" else f.message_zh for f in refused.findings]
        error = "；".join(words) or ("Choose an action" if lang == "en" else "请选择操作")
        return _entry_page(request, store, actor, entry, caller.csrf or "", 400, error)
    return RedirectResponse(f"/link?done={entry_id}", status_code=303)


register(
    {
        "nav_link": ("待确认匹配", "Matches to confirm"),
        "link_title": ("待确认匹配", "Matches to confirm"),
        "link_none": ("暂无待确认的记录", "Nothing waiting"),
        "link_done": ("已处理待办 {n}", "Entry {n} decided"),
        "link_entry": ("待确认记录 {n}", "Queue entry {n}"),
        "link_candidates": ("候选 {n} 人", "{n} candidates"),
        "link_row": ("导入的行", "Imported row"),
        "link_candidate": ("候选", "Candidate"),
        "link_probability": ("相似度", "Probability"),
        "link_out_of_scope": ("不在您的管辖范围", "Outside your area"),
        "link_to_person": ("关联到此人", "Link to this person"),
        "link_to_enterprise": ("关联到此企业", "Link to this enterprise"),
        "link_to_place": ("关联到此场所", "Link to this place"),
        "link_create_person": ("新建人员", "Create a new person"),
        "link_create_enterprise": ("新建企业", "Create a new enterprise"),
        "link_create_place": ("新建场所", "Create a new place"),
        "link_reject": ("驳回，不写入", "Reject, write nothing"),
        "link_reason": ("说明（可选）", "Note (optional)"),
        "link_differs": ("不一致", "differs"),
        "link_household": ("户号", "Household no."),
        "link_raw_id": ("原始证件号（无效）", "ID as typed (invalid)"),
        "link_status": ("状态", "Status"),
        "link_closed": ("此条已处理", "This entry is decided"),
        "link_reason_no_key": ("无号且无候选", "No ID, no candidate"),
        "link_reason_weak": ("无号，证据不足", "No ID, weak evidence"),
        "link_reason_ambiguous": ("多个相近候选", "Several close candidates"),
        "link_reason_key_name": ("号码属他人姓名", "ID belongs to another name"),
        "link_reason_key_slip": ("号码疑似录错", "ID looks mistyped"),
        "link_reason_other_county": ("另一县也有登记", "Also registered in another county"),
        "link_other_county": ("{c} 县登记的人员", "Registered in county {c}"),
        "link_same": ("确认是同一人", "Same person"),
    }
)
