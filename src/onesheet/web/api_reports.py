"""``GET /api/reports/{template_id}``: the one-click report over HTTP, same service as the CLI.

The form is rendered into a temporary file (XLSX can only be complete when closed) and
streamed back from disk, so memory stays flat whatever the report's size; the file is
deleted once sent. Scope, grants, masking, audit and the ``report_run`` record are the
service's job, not this router's.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from onesheet.domain.access import Actor
from onesheet.services.base import Store
from onesheet.services.reports import run_report
from onesheet.web.auth import check_same_origin
from onesheet.web.deps import current_actor, get_store

router = APIRouter(prefix="/api/reports", tags=["reports"])

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


@router.get("/{template_id}")
def get_report(
    request: Request,
    template_id: str,
    org: Annotated[str, Query(description="填报单位代码 (org unit code)")],
    actor: Annotated[Actor, Depends(current_actor)],
    store: Annotated[Store, Depends(get_store)],
    date_: Annotated[date | None, Query(alias="date", description="填报日期 YYYY-MM-DD")] = None,
    format: Annotated[Literal["xlsx", "csv", "json"], Query()] = "xlsx",
    encoding: Annotated[Literal["utf-8-sig", "gb18030"], Query()] = "utf-8-sig",
    by: Annotated[Literal["town", "village", "grid"] | None, Query()] = None,
) -> FileResponse:
    """The filled form for ``org`` as of ``date`` (default today) in ``format``."""
    check_same_origin(request.state.caller, request.headers.get("sec-fetch-site"))
    fd, name = tempfile.mkstemp(prefix="onesheet-report-", suffix=f".{format}")
    os.close(fd)
    path = Path(name)
    try:
        result = run_report(
            store, actor, template_id, org, date_, format, path, encoding=encoding, rows_by=by
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    filename = f"{result.title}_{result.org_name}_{result.report_date.isoformat()}.{format}"
    media = MEDIA_TYPES[format]
    if format == "csv" and encoding == "gb18030":
        media = "text/csv; charset=gb18030"
    return FileResponse(
        path,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-OneSheet-Rows": str(result.rows),
            "X-OneSheet-Values-Missing": str(result.values_missing),
        },
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
