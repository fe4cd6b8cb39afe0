"""``POST /api/import`` and ``GET /api/import/{job}``: department systems push an export.

The upload is answered at once with a job id (202); the import itself — the same
``services.data_import.import_file`` the CLI calls, one batch, all or nothing — runs in a
background thread of this process, and ``GET /api/import/{job}`` reports its stage, rows
done and, at the end, the summary or the findings that stopped it.

Jobs live in an in-process registry (a dict behind a lock): they are lost when the server
restarts and are not shared between worker processes. That is acceptable because the
import itself is idempotent by content hash — a client that lost its job simply posts the
file again and gets ``already_imported``. Finished jobs are kept for ``KEEP_SECONDS``.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from onesheet.domain.access import AccessDenied, Actor, require
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.linkage.columns import parse_overrides
from onesheet.services.base import Store
from onesheet.services.data_import import ImportSummary, import_file
from onesheet.web.auth import check_csrf, csrf_submitted
from onesheet.web.deps import current_actor, get_store

router = APIRouter(prefix="/api/import", tags=["import"])

KEEP_SECONDS = 24 * 3600
MAX_BYTES = 200 * 1024 * 1024


@dataclass
class Job:
    """One import started over the API."""

    id: str
    owner: str
    file: str
    department: str
    status: str = "queued"  # queued | running | done | failed
    stage: str = "read"
    done: int = 0
    total: int = 0
    summary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def view(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("owner", "created", "finished")}
        out["job"] = out.pop("id")
        return out


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def _forget_old(now: float) -> None:
    for key in [k for k, j in _jobs.items() if j.finished and now - j.finished > KEEP_SECONDS]:
        del _jobs[key]


def _summary_json(s: ImportSummary) -> dict[str, Any]:
    data = asdict(s)
    data["findings"] = [_finding(f) for f in s.findings]
    return data


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "row": f.row,
        "column": f.column,
        "field": f.field,
        "message": f.message_zh,
        "message_en": f.message_en,
    }


def _run(job: Job, store: Store, actor: Actor, data: bytes, options: dict[str, Any]) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    job.status = "running"
    try:
        summary = import_file(store, actor, data, progress=progress, **options)
        job.summary, job.status = _summary_json(summary), "done"
    except InvalidInput as exc:  # the file or its mapping needs a person: say what
        job.error = {"detail": exc.message("zh"), "findings": [_finding(f) for f in exc.findings]}
        job.status = "failed"
    except AccessDenied as exc:
        job.error, job.status = {"detail": exc.message_zh, "detail_en": exc.message_en}, "failed"
    except Exception as exc:  # the job reports it; the transaction left nothing behind
        job.error, job.status = {"detail": f"{type(exc).__name__}: {exc}"}, "failed"
    finally:
        job.finished = time.time()


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
    """Accept the file and start the import; answer with the job to poll.

    A signed-in browser session must send its CSRF token (header ``X-CSRF-Token`` or form
    field ``csrf_token``); a department system calling with a Bearer token needs none.
    """
    check_csrf(request.state.caller, csrf_submitted(request, csrf_token))
    require(actor, "data.import")  # refuse now, not later inside the job
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput([Finding("import.size", "文件超过 200 MB", "file larger than 200 MB")])
    items = [m for m in mapping.replace("，", ",").split(",") if m.strip()]
    options = {
        "department": department,
        "filename": file.filename or "upload",
        "entity": entity,
        "mapping": parse_overrides(items),
        "county_code": county or None,
        "dry_run": dry_run,
    }
    job = Job(secrets.token_urlsafe(12), actor.username, options["filename"], department)
    with _lock:
        _forget_old(time.time())
        _jobs[job.id] = job
    threading.Thread(
        target=_run, args=(job, store, actor, data, options), name=f"import-{job.id}", daemon=True
    ).start()
    return JSONResponse(
        {"job": job.id, "status": job.status, "url": f"/api/import/{job.id}"}, status_code=202
    )


@router.get("/{job_id}")
def job_status(job_id: str, actor: Annotated[Actor, Depends(current_actor)]) -> JSONResponse:
    """Stage and rows done; the summary (or what stopped it) once finished.

    Only the caller who started the job (or an administrator) may see it; anyone else is
    told it does not exist, so job ids reveal nothing.
    """
    with _lock:
        job = _jobs.get(job_id)
    if job is None or (job.owner != actor.username and actor.role != "admin"):
        return JSONResponse({"detail": f"没有导入任务 {job_id}", "detail_en": "no such job"}, 404)
    return JSONResponse(job.view())
