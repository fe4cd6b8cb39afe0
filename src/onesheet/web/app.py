"""The web application: ``create_app(store)`` builds it; nothing happens at import time.

Until the web issue lands this serves an overview page of the sheet and a small JSON API;
it must start and answer so ``make demo`` shows something real.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from onesheet import __version__
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.dictionary import ENTITY_TYPES
from onesheet.services.base import Store
from onesheet.services.reference import list_orgs
from onesheet.store.schema import sheet_table

ENTITY_LABELS_ZH = {"person": "人口", "household": "户", "enterprise": "企业", "house": "房屋"}


def create_app(store: Store) -> FastAPI:
    """The FastAPI app over ``store``."""
    app = FastAPI(title="OneSheet 一表通", version=__version__)
    templates = Jinja2Templates(directory=str(files("onesheet.web") / "templates"))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/summary")
    def summary() -> dict[str, object]:
        return _summary(store)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "home.html", {"s": _summary(store)})

    return app


def _summary(store: Store) -> dict[str, object]:
    """Counts only (no personal data), so the overview needs no login yet."""
    with store.engine.connect() as conn:
        counts = {
            e: conn.execute(select(func.count()).select_from(sheet_table(e))).scalar_one()
            for e in ENTITY_TYPES
        }
    units = list_orgs(store, CLI_ADMIN)
    county = next((u for u in units if u.level == "county"), None)
    return {
        "county": county.name if county else None,
        "counts": counts,
        "labels": ENTITY_LABELS_ZH,
        "towns": sum(1 for u in units if u.level == "town"),
        "villages": sum(1 for u in units if u.level == "village"),
        "grids": sum(1 for u in units if u.level == "grid"),
        "fields": len(store.dictionary.fields),
    }
