"""系统管理: the administrator's API-token page (list, issue once, revoke).

A thin shell over ``services.auth``: the services refuse anyone but an administrator (the
refusal is a 403 and is audited as ``denied``), every POST checks the session's CSRF token,
and a new token is shown in the answer to its POST only — never stored, never shown again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain.findings import InvalidInput
from onesheet.services.auth import (
    MAX_TOKEN_DAYS,
    TOKEN_DAYS,
    issue_api_token,
    list_api_tokens,
    revoke_api_token,
)
from onesheet.services.users import list_users
from onesheet.web.auth import Caller, check_csrf
from onesheet.web.deps import is_number
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, lang_of, render, store_of

router = APIRouter()
TokenId = Annotated[int, Path(ge=1, le=2**63 - 1, description="令牌编号 (token id)")]

register(
    {
        "admin_tokens_title": ("API 令牌", "API tokens"),
        "admin_tokens_hint": (
            "部门系统以令牌所属用户的角色和范围访问接口；令牌到期、被吊销或用户停用后即失效。",
            "A department system calls the API with its user's role and scope; a token stops "
            "working when it expires, is revoked, or its user is disabled.",
        ),
        "admin_token_new": ("签发令牌", "Issue a token"),
        "admin_token_user": ("用户", "User"),
        "admin_token_label": ("说明", "Label"),
        "admin_token_label_hint": ("如：民政救助系统", "e.g. civil affairs relief system"),
        "admin_token_days": ("有效天数", "Valid for (days)"),
        "admin_token_issue": ("签发", "Issue"),
        "admin_token_issued": (
            "令牌已签发，只显示这一次，请立即复制保存：",
            "Token issued. It is shown only this once; copy it now:",
        ),
        "admin_token_created": ("签发时间", "Issued"),
        "admin_token_expires": ("到期", "Expires"),
        "admin_token_last_used": ("最近使用", "Last used"),
        "admin_token_revoked_at": ("吊销时间", "Revoked"),
        "admin_token_status": ("状态", "Status"),
        "admin_token_revoke": ("吊销", "Revoke"),
        "admin_token_revoked": ("令牌已吊销", "Token revoked"),
        "admin_tokens_none": ("暂无令牌", "No tokens yet"),
        "admin_token_active": ("有效", "Active"),
        "admin_token_expired": ("已过期", "Expired"),
        "admin_token_is_revoked": ("已吊销", "Revoked"),
        "admin_token_never": ("从未", "Never"),
    }
)


def _page(
    request: Request,
    caller: Caller,
    *,
    issued: str | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    store = store_of(request)
    tokens = list_api_tokens(store, caller.actor)  # refuses (403) anyone but an admin
    accounts = [u for u in list_users(store, caller.actor) if not u.disabled]
    response = render(
        request,
        "admin_tokens.html",
        {
            "tokens": tokens,
            "accounts": accounts,
            "issued": issued,
            "error": error,
            "revoked": request.query_params.get("revoked", ""),
            "default_days": TOKEN_DAYS,
            "max_days": MAX_TOKEN_DAYS,
        },
        status,
    )
    response.headers["Cache-Control"] = "no-store"  # the page may hold a new token
    return response


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, caller: CallerDep) -> HTMLResponse:
    return _page(request, caller)


@router.post("/admin/tokens", response_class=HTMLResponse)
def tokens_issue(
    request: Request,
    caller: CallerDep,
    username: Annotated[str, Form(max_length=80)],
    label: Annotated[str, Form(max_length=400)] = "",
    days: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Issue a token and show it in this answer only (a reload asks before re-posting)."""
    check_csrf(caller, csrf_token)
    lang = lang_of(request)
    wanted = days.strip() or str(TOKEN_DAYS)
    if not is_number(wanted):
        msg = "有效天数须为整数" if lang != "en" else "days must be a whole number"
        return _page(request, caller, error=msg, status=400)
    try:
        token = issue_api_token(
            store_of(request), caller.actor, username.strip(), label, days=int(wanted)
        )
    except InvalidInput as exc:
        return _page(request, caller, error=exc.message(lang), status=400)
    return _page(request, caller, issued=token)


@router.post("/admin/tokens/{token_id}/revoke")
def tokens_revoke(
    request: Request,
    caller: CallerDep,
    token_id: TokenId,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(caller, csrf_token)
    try:
        revoke_api_token(store_of(request), caller.actor, token_id)
    except InvalidInput as exc:
        return _page(request, caller, error=exc.message(lang_of(request)), status=400)
    return RedirectResponse(f"/admin/tokens?revoked={token_id}", status_code=303)
