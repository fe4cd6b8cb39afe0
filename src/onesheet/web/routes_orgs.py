"""区划装入: the administrator's org-tree page (upload the division codes, see the diff, apply).

A thin shell over ``services.org_tree``: the upload is checked and diffed with
``apply=False`` (nothing is written), and the answer shows every change — added, renamed,
re-classed, merged (the file's 并入 column), moved (the same name under another town's
code), absent — or, for a bad file, every problem with its row and column. Confirming posts
the same file back (carried in the page, base64, so nothing is kept on the server between
the two requests) and the service checks it again before applying it in one transaction.
The services refuse anyone but an administrator (403, audited as ``denied``); every POST
checks the session's CSRF token before it looks at the body.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain.findings import Finding, InvalidInput
from onesheet.services import org_tree
from onesheet.web.auth import Caller, check_csrf
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, CsrfDep, render, store_of

router = APIRouter()
MAX_UPLOAD = 5 << 20  # a county's codes are ~20 KB; its grid list a few hundred KB
Text = Annotated[str, Form(max_length=400)]
Payload = Annotated[str, Form(max_length=MAX_UPLOAD * 4 // 3 + 8)]
COUNTED = ("add", "rename", "reclass", "merge", "move", "absent", "unchanged")

register(
    {
        "admin_orgs_title": ("区划装入", "Org tree"),
        "nav_orgs": ("区划", "Org tree"),
        "admin_orgs_hint": (
            "上传本县统计用区划代码表（CSV 或 XLSX，UTF-8 或 GBK：统计用区划代码、名称、"
            "城乡分类代码；撤并的村或乡镇在“并入”列填写并入单位的代码，撤并乡镇的村按公布的"
            "新代码列在并入的乡镇下），可同时上传网格表。先显示差异，确认后才写入；撤并、迁移"
            "的村，其人员、户、网格、账号和未完成任务随迁，历史不变。",
            "Upload the county's statistical division codes (CSV or XLSX, UTF-8 or GBK: code, "
            "name, urban-rural class; a merged village or town names its survivor in the 并入 "
            "column, and a merged town's villages are listed under the survivor with their "
            "published codes), optionally with the grid list. The diff is shown first and "
            "nothing is written until you confirm; people, households, grids, accounts and "
            "open tasks follow a merged or moved village, and history stays as it was.",
        ),
        "admin_orgs_current": ("当前", "Now"),
        "admin_orgs_none": ("尚未装入区划", "No org tree loaded yet"),
        "admin_orgs_file": ("区划代码表", "Division codes"),
        "admin_orgs_grids": ("网格表（可选）", "Grid list (optional)"),
        "admin_orgs_effective": ("生效日期", "Effective"),
        "admin_orgs_preview": ("上传并查看差异", "Upload and show the diff"),
        "admin_orgs_diff": ("差异", "Diff"),
        "admin_orgs_no_change": ("与库中一致，无需变更", "Same as loaded: nothing to change"),
        "admin_orgs_apply": ("确认装入", "Apply"),
        "admin_orgs_problems": (
            "文件有问题，未写入任何内容；请修正后重新上传：",
            "The file has problems; nothing was written. Fix them and upload again:",
        ),
        "admin_orgs_applied": ("已装入", "Applied"),
        "admin_orgs_followed": ("随迁", "Moved with it"),
        "admin_orgs_events": ("最近的区划变更", "Latest changes"),
        "admin_orgs_row": ("行", "Row"),
        "admin_orgs_column": ("列", "Column"),
        "admin_orgs_reason": ("问题", "Problem"),
        "admin_orgs_kind": ("变更", "Change"),
        "admin_orgs_code": ("代码", "Code"),
        "admin_orgs_detail": ("说明", "Detail"),
        "admin_orgs_date": ("日期", "Date"),
        "orgs_add": ("新增", "added"),
        "orgs_rename": ("更名", "renamed"),
        "orgs_reclass": ("类别变更", "reclassed"),
        "orgs_merge": ("撤并", "merged"),
        "orgs_move": ("迁移", "moved"),
        "orgs_absent": ("文件中缺少", "not in the file"),
        "orgs_unchanged": ("未变", "unchanged"),
        "orgs_create": ("新设", "created"),
        "level_county": ("县", "county"),
        "level_town": ("乡镇（街道）", "towns"),
        "level_village": ("村（社区）", "villages"),
        "level_grid": ("网格", "grids"),
    }
)


def _page(
    request: Request,
    caller: Caller,
    *,
    preview: org_tree.LoadResult | None = None,
    payload: dict[str, str] | None = None,
    findings: list[Finding] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    overview = org_tree.org_tree_overview(store_of(request), caller.actor)  # admins only
    q = request.query_params
    applied = {k: q.get(k, "0") for k in COUNTED} if q.get("applied") else None
    response = render(
        request,
        "admin_orgs.html",
        {
            "overview": overview,
            "preview": preview,
            "counts": preview.counts() if preview else None,
            "payload": payload,
            "findings": findings or [],
            "error": error,
            "applied": applied,
            "followed": q.get("followed", ""),
            "counted": COUNTED,
            "today": date.today().isoformat(),
        },
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            [
                Finding(
                    "date.unparseable",
                    f"“{text}”不是可识别的日期（如 2024-01-01）",
                    f"'{text}' is not a recognised date (e.g. 2024-01-01)",
                    column="生效日期",
                )
            ]
        ) from None


def _read(upload: UploadFile | None) -> bytes | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput(
            [
                Finding(
                    "file.too_big",
                    f"文件过大（上限 {MAX_UPLOAD >> 20} MB）",
                    f"file over {MAX_UPLOAD >> 20} MB",
                    file=upload.filename,
                )
            ]
        )
    return data


@router.get("/admin/orgs", response_class=HTMLResponse)
def orgs_page(request: Request, caller: CallerDep) -> HTMLResponse:
    return _page(request, caller)


@router.post("/admin/orgs/preview", response_class=HTMLResponse, dependencies=[CsrfDep])
def orgs_preview(
    request: Request,
    caller: CallerDep,
    file: UploadFile | None = None,
    grids: UploadFile | None = None,
    effective: Text = "",
    csrf_token: Text = "",
) -> HTMLResponse:
    """Check and diff the upload; nothing is written."""
    check_csrf(caller, csrf_token)
    try:
        data = _read(file)
        if data is None:
            raise InvalidInput(
                [
                    Finding(
                        "file.missing", "找不到文件：请选择区划代码表", "no such file: choose one"
                    )
                ]
            )
        grid_data = _read(grids)
        day = _day(effective)
        result = org_tree.load_org_tree(
            store_of(request), caller.actor, data, file.filename if file else None,
            grids=grid_data, grids_filename=grids.filename if grid_data else None,
            effective=day, apply=False,
        )  # fmt: skip
    except InvalidInput as exc:
        return _page(request, caller, findings=exc.findings, status=400)
    payload = {
        "data": base64.b64encode(data).decode(),
        "filename": (file.filename if file else "") or "",
        "grids": base64.b64encode(grid_data).decode() if grid_data else "",
        "grids_filename": (grids.filename if grid_data and grids else "") or "",
        "effective": day.isoformat() if day else "",
    }
    return _page(request, caller, preview=result, payload=payload)


@router.post("/admin/orgs/apply", dependencies=[CsrfDep])
def orgs_apply(
    request: Request,
    caller: CallerDep,
    data: Payload = "",
    filename: Text = "",
    grids: Payload = "",
    grids_filename: Text = "",
    effective: Text = "",
    csrf_token: Text = "",
) -> Response:
    """Apply the previewed file (checked again: the database may have moved meanwhile)."""
    check_csrf(caller, csrf_token)
    try:
        try:
            raw = base64.b64decode(data, validate=True)
            grid_raw = base64.b64decode(grids, validate=True) if grids else None
        except (binascii.Error, ValueError):
            raw = b""
        if not raw:
            raise InvalidInput(
                [
                    Finding(
                        "file.missing",
                        "找不到文件：请先上传并查看差异",
                        "no such file: upload it and preview first",
                    )
                ]
            )
        result = org_tree.load_org_tree(
            store_of(request), caller.actor, raw, filename or None,
            grids=grid_raw, grids_filename=grids_filename or None,
            effective=_day(effective), apply=True,
        )  # fmt: skip
    except InvalidInput as exc:
        return _page(request, caller, findings=exc.findings, status=400)
    counts = result.counts()
    followed = "，".join(f"{k} {v}" for k, v in sorted(result.followed.items()))
    query = urlencode(
        {"applied": "1", **{k: counts.get(k, 0) for k in COUNTED}, "followed": followed}
    )
    return RedirectResponse(f"/admin/orgs?{query}", status_code=303)
