"""What every service shares: the ``Store`` it works on and the ``service`` declaration.

Each use case is a function ``(store, actor, …) → result`` that runs in one transaction it
opens itself, checks one declared permission first, and declares the audit event it writes
(or ``None`` when it reads no personal data). A contract test fails any public service
function that is not declared this way.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from onesheet.domain.access import AccessDenied, Actor, require
from onesheet.domain.dictionary import Dictionary, load_builtin
from onesheet.domain.grants import DepartmentGrant, load_grants
from onesheet.store import audit as audit_store
from onesheet.store import audit_spool, county_fields
from onesheet.store.engine import is_postgres, make_engine

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def utcnow() -> datetime:
    """Naive UTC now: both backends store it the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


CHINA_OFFSET = timedelta(hours=8)


def local_today(now_utc: datetime | None = None) -> date:
    """The date in China (UTC+8, no daylight saving): periods and report dates follow it."""
    return ((now_utc or utcnow()) + CHINA_OFFSET).date()


@dataclass
class Store:
    """The database plus the reference data services need (dictionary, field grants)."""

    engine: Engine
    dictionary: Dictionary = field(default_factory=load_builtin)
    grants: dict[str, DepartmentGrant] = field(default_factory=load_grants)

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    @contextmanager
    def transaction(self, *, wait_ms: int | None = None) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error. With
        ``wait_ms``, on SQLite, ``audit_spool.LockBusy`` when the write lock does not come
        within that many milliseconds (for a write that may be left for later).

        It first brings the dictionary up to county fields another worker activated (one
        indexed read at most once a second per store: ``county_fields.refresh_due``). On
        SQLite, audit events that reads spooled while the write lock was taken are first
        moved into the audit tables (one ``stat`` when there are none: ``audit_spool``), so
        they come before anything this transaction writes and its audit queries see them."""
        audit_spool.drain_pending(self.engine, wait_ms=wait_ms)
        if wait_ms is None or self.engine.dialect.name != "sqlite":
            with self.engine.begin() as conn:
                county_fields.refresh_due(self, conn)
                yield conn
            return
        with audit_spool.writing(self.engine, wait_ms=wait_ms) as conn:
            county_fields.refresh_due(self, conn)
            yield conn

    @contextmanager
    def audited_read(self) -> Iterator[Connection]:
        """For a read service and its audit events (``audit.write_event`` in the block).

        PostgreSQL: ``transaction()`` (an INSERT there never waits for an import). SQLite:
        a read-only snapshot that never takes the write lock - which an import holds for
        its whole write stage - and the events are only kept; when the block ends without
        error they are written, or spooled durably if the lock does not come at once
        (``audit_spool.flush``), before the caller gets the data. Nothing else may be
        written in the block: the snapshot connection is ``query_only``."""
        path = audit_spool.spool_path(self.engine)
        if path is None:
            with self.transaction() as conn:
                yield conn
            return
        events: list[audit_spool.Pending] = []
        with self.reading() as conn:
            conn.info[audit_spool.DEFERRED] = events
            try:
                county_fields.refresh_due(self, conn)
                yield conn
            finally:
                conn.info.pop(audit_spool.DEFERRED, None)
        audit_spool.flush(self.engine, events)

    @contextmanager
    def looking_up(self) -> Iterator[Connection]:
        """For one read statement (who is signed in, on every request). On PostgreSQL it
        runs outside a transaction (autocommit: the statement is its own snapshot), which
        spares the BEGIN and ROLLBACK round trips; on SQLite it is ``reading``."""
        if is_postgres(self.engine):
            with self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
            return
        with self.reading() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only snapshot that never takes SQLite's write lock, for reads that write
        nothing (who is signed in): they must not queue behind a long import's write."""
        from onesheet.store.link_store import snapshot

        with snapshot(self.engine) as conn:
            yield conn


@dataclass(frozen=True)
class ServiceSpec:
    """The declared contract of one service."""

    name: str
    permission: str
    audit: str | None


SERVICES: dict[str, ServiceSpec] = {}


# How deep the current thread is in service calls: a denial is audited once, by the
# outermost service (an inner refusal its caller catches and handles is not a refusal).
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("service_depth", default=0)
DENIED = "denied"


def service(
    name: str, *, permission: str, audit: str | None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a service: check ``permission`` for the actor argument before running it.

    Any ``AccessDenied`` the call ends with — the permission check or the body's own scope
    checks — is audited as a ``denied`` event (actor, service, reason and, for a service
    taking an ``entity_id``, that entity) in its own transaction, after the body's
    transaction has rolled back, so the refused call writes nothing else.
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        SERVICES[name] = ServiceSpec(name, permission, audit)
        signature = inspect.signature(fn)
        takes_entity = "entity_id" in signature.parameters

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs.get("actor", args[1] if len(args) > 1 else None)
            if not isinstance(actor, Actor):
                raise TypeError(f"service {name} needs an Actor as its second argument")
            depth = _depth.set(_depth.get() + 1)
            try:
                require(actor, permission)
                return fn(*args, **kwargs)
            except AccessDenied as denied:
                if _depth.get() == 1:
                    entity = _entity_argument(signature, args, kwargs) if takes_entity else None
                    store = kwargs.get("store", args[0] if args else None)
                    where = f"service={name} permission={permission}"
                    _audit_denial(store, actor, where, denied, entity)
                raise
            finally:
                _depth.reset(depth)

        run.__service__ = SERVICES[name]  # type: ignore[attr-defined]
        return run

    return wrap


def _entity_argument(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> int | None:
    try:
        value = signature.bind_partial(*args, **kwargs).arguments.get("entity_id")
    except TypeError:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _audit_denial(
    store: object,
    actor: Actor,
    where: str,
    denied: AccessDenied,
    entity_id: int | None,
) -> None:
    """Write the ``denied`` event in a transaction of its own and mark ``denied`` as
    audited; a failure to write it is logged and never hides the refusal itself."""
    if not isinstance(store, Store):
        return
    setattr(denied, _AUDITED, True)
    detail = f"{where} reason={denied.message_zh} ({denied.message_en})"
    try:
        with store.audited_read() as conn:  # a refusal writes nothing but its event
            audit_store.write_event(
                conn,
                actor,
                DENIED,
                now=utcnow(),
                entity_ids=[entity_id] if entity_id is not None else [],
                detail=detail,
            )
    except (SQLAlchemyError, OSError):  # OSError: the spool could not be written
        log.exception("could not audit a refusal (%s) of %s", where, actor.username)


_AUDITED = "_onesheet_audited"  # set on an AccessDenied once its denied event is written


def audit_refusal(
    store: Store, actor: Actor, denied: AccessDenied, *, where: str, entity_id: int | None = None
) -> None:
    """Audit a refusal made outside any service - a web route's own role or ownership check
    - as a ``denied`` event, like the services' refusals; one a service has audited already
    is not written twice. ``where`` says what was refused (``route=GET /forms``)."""
    if not getattr(denied, _AUDITED, False):
        _audit_denial(store, actor, where, denied, entity_id)


def declared(fn: Any) -> ServiceSpec | None:
    """The spec of a declared service function, or None."""
    return getattr(fn, "__service__", None)
