"""Every public service function declares its permission and audit event (CKAN-style)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import onesheet.services as services_pkg
from onesheet.domain.access import PERMISSIONS
from onesheet.services.base import declared

# Helpers that are deliberately not services (no actor, no personal data).
NOT_SERVICES = {
    "utcnow",
    "declared",
    "service",
    "parse_changes",
    "count_entities",
    "verify_password",
    # Opening the database (and its county fields) comes before there is an actor.
    "open_store",
    # Authentication runs before there is an actor (services/auth.py says why).
    "login",
    "logout",
    "session_actor",
    "token_actor",
}


def test_every_public_service_function_is_declared():
    missing = []
    for mod_info in pkgutil.iter_modules(services_pkg.__path__):
        if mod_info.name == "base":
            continue
        module = importlib.import_module(f"onesheet.services.{mod_info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__ or name in NOT_SERVICES:
                continue
            spec = declared(fn)
            if spec is None:
                missing.append(f"{module.__name__}.{name}")
            else:
                assert spec.permission in PERMISSIONS, spec
    assert not missing, f"undeclared services: {missing}"


def test_services_reading_personal_data_declare_an_audit_event():
    from onesheet.services import sheet_admin, sheet_read

    for fn in (
        sheet_read.read_entity,
        sheet_read.search_people,
        sheet_read.list_conflicts,
        sheet_admin.export_csv,
    ):
        assert declared(fn).audit, fn.__name__
