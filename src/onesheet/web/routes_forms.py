"""Pages and API routes for forms; included by ``create_app``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
