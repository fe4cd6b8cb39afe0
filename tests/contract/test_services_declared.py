"""Every public service function declares its permission and audit event (CKAN-style)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

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
    # Runs inside the Gate's approval transaction (services/gate.py), whose service declares
    # the permission and the audit event.
    "activate_for_template",
    # An import job's runner acts as no one until it loads the job's owner; import_file,
    # which it runs as that owner, declares the permission and the audit event. Marking
    # jobs of dead runners as interrupted at server start has no caller and reads no
    # personal data (services/import_jobs.py).
    "run_job",
    "recover_interrupted",
    # A masked viewer's daily ration of full-number lookups, checked inside the transactions
    # of the services that declare permission and audit event (search, proofs): a shared
    # check, not a use case of its own.
    "ration_id_lookups",
}


# Events written on purpose without a declaring service in the same module.
UNDECLARED_WRITES = {
    "denied",  # written by the service wrapper itself for every refused call (services/base.py)
    "auth.login",  # signing in happens before there is an actor to declare it (services/auth.py)
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


def _service_audits(tree: ast.Module) -> dict[str, str | None]:
    """Service name → declared audit event, from every ``@service(name, audit=…)``."""
    found: dict[str, str | None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "service":
                audit = next((k.value for k in deco.keywords if k.arg == "audit"), None)
                value = audit.value if isinstance(audit, ast.Constant) else "<dynamic>"
                found[node.name] = value
    return found


def _written_actions(tree: ast.Module) -> set[str]:
    """Literal actions passed to ``write_event(conn, actor, "<action>", …)``, or as
    ``action="<action>"`` to any call (a helper that forwards it to ``write_event``)."""
    actions = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        is_write = getattr(node.func, "attr", None) == "write_event"
        if is_write and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
            actions.add(node.args[2].value)
        for k in node.keywords:
            # audit actions are dotted ("sheet.search"); other ``action=`` words are not events
            literal = isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
            if k.arg == "action" and literal and "." in k.value.value:
                actions.add(k.value.value)
    return actions


def _service_modules() -> list[tuple[str, ast.Module]]:
    root = Path(services_pkg.__file__).parent
    return [
        (p.name, ast.parse(p.read_text(encoding="utf-8")))
        for p in sorted(root.glob("*.py"))
        if p.name != "base.py"
    ]


def test_every_declared_audit_event_is_written_by_its_module():
    """Declared = done: a service declaring ``audit="x"`` has ``write_event(…, "x", …)`` in its
    module (the body or a helper beside it)."""
    broken = []
    for name, tree in _service_modules():
        written = _written_actions(tree)
        for fn, audit in _service_audits(tree).items():
            if audit and audit != "<dynamic>" and audit not in written:
                broken.append(f"{name}:{fn} declares {audit!r} but never writes it")
    assert not broken, "\n".join(broken)


def test_every_written_event_is_declared_by_a_service_of_its_module():
    """…and the other way round: an event a service module writes is one it declares."""
    broken = []
    for name, tree in _service_modules():
        declared_events = {a for a in _service_audits(tree).values() if a}
        for action in sorted(_written_actions(tree) - declared_events - UNDECLARED_WRITES):
            broken.append(f"{name} writes {action!r} but no service there declares it")
    assert not broken, "\n".join(broken)


def test_services_reading_personal_data_declare_an_audit_event():
    from onesheet.services import sheet_admin, sheet_read

    for fn in (
        sheet_read.read_entity,
        sheet_read.search_people,
        sheet_read.list_conflicts,
        sheet_admin.export_csv,
    ):
        assert declared(fn).audit, fn.__name__
