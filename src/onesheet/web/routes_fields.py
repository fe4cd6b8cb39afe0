"""数据元目录 (the field catalogue) and the data steward's review of a form's new columns.

``/fields`` lists every field, built-in and the county's, with owner, type, unit, code
table, sensitivity, the approved templates that use it and its fill rate per town; a GET
``q=`` narrows it. ``/fields/review/{template_id}`` shows each new column of a form with the
type its own sample values suggest, and lets a data steward (数据管理员; a reviewer or the
administrator too) confirm or change the type, unit, options, sensitivity and owner before
the Gate approves the form. Thin shells over ``services.county_fields_catalogue`` and
``services.county_fields``: the POST checks CSRF first, a refusal re-renders the page with
the service's message beside that column, success redirects (post/redirect/get).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain.access import PERMISSIONS
from onesheet.domain.dictionary import ENTITY_TYPES
from onesheet.domain.findings import InvalidInput
from onesheet.services import county_fields, county_fields_catalogue
from onesheet.services.base import CHINA_OFFSET
from onesheet.services.forms import NEW_FIELD_TYPES, TYPE_LABELS_ZH
from onesheet.web.api_fields import check_samples_readable
from onesheet.web.auth import Caller, check_csrf
from onesheet.web.deps import MAX_QUERY
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, lang_of, render, store_of

router = APIRouter()
SENSITIVITIES = ("general", "personal", "sensitive")

register(
    {
        "nav_fields": ("数据元目录", "Field catalogue"),
        "fields_title": ("数据元目录", "Field catalogue"),
        "fields_search_hint": (
            "名称、同义词、代码表或部门",
            "Name, wording, code table or department",
        ),
        "fields_all_entities": ("全部对象", "All entities"),
        "fields_count": ("共 {n}/{total} 个字段", "{n} of {total} fields"),
        "fields_counted_at": ("填充率统计于 {at}（北京时间）", "fill rates counted {at} (UTC+8)"),
        "fields_none": ("没有符合条件的字段", "No field matches"),
        "fields_type": ("类型", "Type"),
        "fields_unit": ("单位", "Unit"),
        "fields_code_table": ("代码表", "Code table"),
        "fields_sensitivity": ("敏感级别", "Sensitivity"),
        "fields_owner": ("归属部门", "Owner"),
        "fields_templates": ("使用的已准入报表", "Approved forms using it"),
        "fields_templates_none": ("暂无", "None yet"),
        "fields_fill": ("填充率", "Filled"),
        "fields_fill_towns": ("各乡镇（街道）填充率", "Filled, per town"),
        "fields_derived": ("计算得出", "Computed"),
        "fields_held": ("已有值", "with a value:"),
        "fields_entity_person": ("人口", "People"),
        "fields_entity_household": ("户", "Households"),
        "fields_entity_enterprise": ("企业", "Enterprises"),
        "fields_entity_house": ("房屋", "Houses"),
        "fields_entity_place": ("场所设施", "Places"),
        "fields_status_builtin": ("内置", "Built-in"),
        "fields_status_confirmed": ("已确认，待准入", "Confirmed, awaiting the Gate"),
        "fields_status_active": ("县级字段", "County field"),
        "fields_status_deprecated": ("已停用", "Deprecated"),
        "fields_status_approved": ("县级字段", "County field"),
        "sens_general": ("一般", "General"),
        "sens_personal": ("个人信息", "Personal"),
        "sens_sensitive": ("敏感个人信息", "Sensitive"),
        "fields_awaiting": ("待确认的新字段", "New fields to confirm"),
        "fields_awaiting_count": ("{done}/{n} 已确认", "{done}/{n} confirmed"),
        "fields_review_title": ("新字段确认", "New fields"),
        "fields_review_hint": (
            "系统按表头和表格自带的样例值提出类型；请确认或修改，报表准入后这些字段进入本县数据字典。",
            "Types are proposed from each heading and the form's own sample values; confirm "
            "or change them. They join the county's dictionary when the form is approved.",
        ),
        "fields_review_none": ("这张报表没有新字段", "This form has no new columns"),
        "fields_samples": ("表格样例值", "Sample values"),
        "fields_proposed": ("系统建议", "Proposed"),
        "fields_confirmed_as": ("已确认为", "Confirmed as"),
        "fields_label": ("字段名称", "Name"),
        "fields_codes": ("选项（逗号分隔）", "Options (comma separated)"),
        "fields_reason": ("说明（可选）", "Note (optional)"),
        "fields_confirm": ("确认字段", "Confirm field"),
        "fields_saved": ("已确认：{label}", "Confirmed: {label}"),
        "fields_fixed": (
            "已启用：类型和代码表不再改变",
            "Active: its type and code table are fixed",
        ),
        "fields_review_link": ("确认新字段类型", "Confirm new field types"),
    }
)


def _types(lang: str) -> list[tuple[str, str]]:
    return [(t, t if lang == "en" else TYPE_LABELS_ZH[t]) for t in NEW_FIELD_TYPES]


# ------------------------------------------------------------------------------- catalogue
@router.get("/fields", response_class=HTMLResponse)
def fields_page(
    request: Request,
    caller: CallerDep,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    entity: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The catalogue, narrowed by ``q`` and ``entity``; stewards also see their work list."""
    store = store_of(request)
    wanted = entity if entity in ENTITY_TYPES else None
    found = county_fields_catalogue.catalogue_page(store, caller.actor, query=q, entity=wanted)
    manages = caller.actor.role in PERMISSIONS["fields.manage"]
    awaiting = county_fields_catalogue.awaiting_confirmation(store, caller.actor) if manages else []
    ctx = {
        "cat": found,
        "q": q,
        "entity": wanted or "",
        "entities": ENTITY_TYPES,
        "awaiting": awaiting,
        "types": dict(_types(lang_of(request))),
        "counted_at": (found.counted_at + CHINA_OFFSET).strftime("%Y-%m-%d %H:%M")
        if found.counted_at
        else "",
    }
    return render(request, "fields_catalogue.html", ctx)


# --------------------------------------------------------------------- a form's new columns
def _review_page(
    request: Request,
    caller: Caller,
    template_id: str,
    *,
    error: str = "",
    error_key: str = "",
    status: int = 200,
) -> Response:
    store = store_of(request)
    view = check_samples_readable(store, caller.actor, template_id)
    columns = county_fields.proposals(store, caller.actor, template_id)
    lang = lang_of(request)
    saved = request.query_params.get("saved", "")
    named = {c.key: c.definition.label_zh for c in columns if c.definition}
    ctx = {
        "row": view.template,
        "columns": columns,
        "can_confirm": caller.actor.role in PERMISSIONS["fields.manage"],
        "types": _types(lang),
        "type_names": dict(_types(lang)),
        "sensitivities": SENSITIVITIES,
        "departments": store.dictionary.departments.values(),
        "code_tables": store.dictionary.code_tables,
        "saved": saved,
        "saved_label": named.get(saved, saved),
        "error": error,
        "error_key": error_key,
    }
    return render(request, "fields_review.html", ctx, status)


@router.get("/fields/review/{template_id}", response_class=HTMLResponse)
def review_page(request: Request, caller: CallerDep, template_id: str) -> Response:
    return _review_page(request, caller, template_id)


@router.post("/fields/review/{template_id}/{key}")
def review_confirm(
    request: Request,
    caller: CallerDep,
    template_id: str,
    key: str,
    csrf_token: Annotated[str, Form()] = "",
    value_type: Annotated[str, Form(max_length=12)] = "",
    label_zh: Annotated[str, Form(max_length=40)] = "",
    unit: Annotated[str, Form(max_length=20)] = "",
    codes: Annotated[str, Form(max_length=1000)] = "",
    sensitivity: Annotated[str, Form(max_length=12)] = "",
    owner: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Confirm (or amend) one new column's field; a refusal (the form's own sample values
    contradict the type, options missing …) comes back beside that column, nothing saved."""
    check_csrf(caller, csrf_token)
    store = store_of(request)
    check_samples_readable(store, caller.actor, template_id)
    options = [w.strip() for w in codes.replace("，", ",").replace("、", ",").split(",")]
    try:
        d = county_fields.confirm(
            store, caller.actor, key, template_id=template_id, label_zh=label_zh or None,
            value_type=value_type or None, unit=unit.strip(), codes=[w for w in options if w]
            or None, sensitivity=sensitivity or None, owner=owner or None, reason=reason,
        )  # fmt: skip
    except InvalidInput as exc:
        message = exc.message(lang_of(request))
        return _review_page(request, caller, template_id, error=message, error_key=key, status=400)
    return RedirectResponse(f"/fields/review/{template_id}?saved={d.key}#field-{d.key}", 303)
