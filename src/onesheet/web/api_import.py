"""``/api/import``: department systems push an export; the import runs as a job.

``POST /api/import`` answers at once (202) with a job id. The upload is kept as a job in the
database (``import_job``) and run by a process of its own — ``onesheet jobs run JOB``, the
same ``services.data_import.import_file`` the CLI calls, one batch, all or nothing — never
by a thread of this worker: the import is CPU-bound and a thread holding the GIL stalled
this worker's event loop for seconds. ``GET /api/import/{job}`` reports its stage and rows
done and, at the end, the summary or the findings that stopped it; ``GET /api/import`` lists
the caller's jobs. Because jobs live in the database, any worker answers for any job, and
a job outlives a restart of the server (its runner keeps going).

A job whose runner died (killed, machine restarted) is reported as failed with reason
``interrupted``; nothing was written, since the import is one transaction. The upload is
kept for such a job, and ``POST /api/import/{job}/rerun`` runs it again. When a server
starts it marks the jobs of dead runners interrupted at once. See ``services/import_jobs``.

Only the caller who started a job (or an administrator of its county) may see or rerun it;
anyone else is told it does not exist, so job ids reveal nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from onesheet.domain.access import AccessDenied, Actor, require
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.linkage.columns import parse_overrides
from onesheet.services import import_jobs
from onesheet.services.base import Store
from onesheet.services.errors import DATABASE_NOT_READY
from onesheet.services.import_jobs import JobNotRerunnable, JobView, UnknownJob
from onesheet.web.auth import check_csrf, csrf_submitted
from onesheet.web.deps import MAX_LIMIT, current_actor, get_store

log = logging.getLogger(__name__)

MAX_BYTES = 200 * 1024 * 1024


@asynccontextmanager
async def _recover(app: FastAPI) -> AsyncIterator[None]:
    """As the server starts: jobs whose runner died while it was down are interrupted."""
    store = getattr(app.state, "store", None)
    if store is not None:
        try:
            found = await run_in_threadpool(import_jobs.recover_interrupted, store)
            if found:
                log.warning("%d import job(s) found interrupted at start", found)
        except DATABASE_NOT_READY:  # not initialised yet: no jobs to look at
            log.warning("import jobs not checked at start: database not ready")
    yield


router = APIRouter(prefix="/api/import", tags=["import"], lifespan=_recover)


def _json(job: JobView) -> dict[str, Any]:
    """The job as the API has always shown it, plus when, which attempt and the links."""
    out: dict[str, Any] = {
        "job": job.id,
        "file": job.file,
        "department": job.department,
        "entity": job.entity,
        "status": job.status,
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "summary": job.summary,
        "error": job.error,
        "interrupted": job.interrupted,
        "attempt": job.attempt,
        "created": job.created_at.isoformat(),
        "started": job.started_at.isoformat() if job.started_at else None,
        "finished": job.finished_at.isoformat() if job.finished_at else None,
        "url": f"/api/import/{job.id}",
    }
    if job.rerunnable:
        out["rerun"] = f"/api/import/{job.id}/rerun"
    return out


def _no_job(job_id: str) -> JSONResponse:
    return JSONResponse({"detail": f"没有导入任务 {job_id}", "detail_en": "no such job"}, 404)


@router.post("", status_code=202)
async def start_import(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    store: Annotated[Store, Depends(get_store)],
    file: Annotated[UploadFile, File(description="部门导出文件（CSV / XLSX / XLS）")],
    department: Annotated[str, Form(description="来源部门（键或中文名）")],
    entity: Annotated[str, Form()] = "person",
    mapping: Annotated[str, Form(description="确认列映射，如 B=person.phone,C=skip")] = "",
    county: Annotated[str | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
    csrf_token: Annotated[
        str, Form(description="会话调用需带 CSRF 令牌（或 X-CSRF-Token 头）")
    ] = "",
) -> JSONResponse:
    """Accept the file, keep it as a job and start its runner; answer with the job to poll.

    A signed-in browser session must send its CSRF token (header ``X-CSRF-Token`` or form
    field ``csrf_token``); a department system calling with a Bearer token needs none.
    """
    check_csrf(request.state.caller, csrf_submitted(request, csrf_token))
    require(actor, "data.import")  # refuse now, not later inside the job
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput([Finding("import.size", "文件超过 200 MB", "file larger than 200 MB")])
    items = [m for m in mapping.replace("，", ",").split(",") if m.strip()]
    job = await run_in_threadpool(
        lambda: import_jobs.start(
            store,
            actor,
            data,
            department=department,
            filename=file.filename or "upload",
            entity=entity,
            mapping=parse_overrides(items),
            county_code=county or None,
            dry_run=dry_run,
        )
    )
    return JSONResponse(_json(job), status_code=202)


@router.get("")
def list_imports(
    actor: Annotated[Actor, Depends(current_actor)],
    store: Annotated[Store, Depends(get_store)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="最多几条")] = 50,
) -> JSONResponse:
    """The caller's import jobs, newest first (an administrator: those of its county)."""
    found = import_jobs.list_jobs(store, actor, limit=limit)
    return JSONResponse({"jobs": [_json(j) for j in found]})


@router.get("/{job_id}")
def job_status(
    job_id: str,
    actor: Annotated[Actor, Depends(current_actor)],
    store: Annotated[Store, Depends(get_store)],
) -> JSONResponse:
    """Stage and rows done; the summary (or what stopped it) once finished."""
    try:
        return JSONResponse(_json(import_jobs.show(store, actor, job_id)))
    except (UnknownJob, AccessDenied):  # a role that imports nothing owns no job
        return _no_job(job_id)


@router.post("/{job_id}/rerun", status_code=202)
def rerun_import(
    job_id: str,
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    store: Annotated[Store, Depends(get_store)],
    csrf_token: Annotated[str, Form(description="会话调用需带 CSRF 令牌")] = "",
) -> JSONResponse:
    """Run an interrupted job again from its kept upload (409 for any other job)."""
    check_csrf(request.state.caller, csrf_submitted(request, csrf_token))
    try:
        job = import_jobs.rerun(store, actor, job_id)
    except (UnknownJob, AccessDenied):
        return _no_job(job_id)
    except JobNotRerunnable as exc:
        zh, en = str(exc).split(" (", 1)
        return JSONResponse({"detail": zh, "detail_en": en.rstrip(")")}, 409)
    return JSONResponse(_json(job), status_code=202)
