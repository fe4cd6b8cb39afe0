"""What every service shares: the ``Store`` it works on and the ``service`` declaration.

Each use case is a function ``(store, actor, …) → result`` that runs in one transaction it
opens itself, checks one declared permission first, and declares the audit event it writes
(or ``None`` when it reads no personal data). A contract test fails any public service
function that is not declared this way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine

from onesheet.domain.access import Actor, require
from onesheet.domain.dictionary import Dictionary, load_builtin
from onesheet.domain.grants import DepartmentGrant, load_grants
from onesheet.store.engine import make_engine

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
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self.engine.begin() as conn:
            yield conn


@dataclass(frozen=True)
class ServiceSpec:
    """The declared contract of one service."""

    name: str
    permission: str
    audit: str | None


SERVICES: dict[str, ServiceSpec] = {}


def service(
    name: str, *, permission: str, audit: str | None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a service: check ``permission`` for the actor argument before running it."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        SERVICES[name] = ServiceSpec(name, permission, audit)

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs.get("actor", args[1] if len(args) > 1 else None)
            if not isinstance(actor, Actor):
                raise TypeError(f"service {name} needs an Actor as its second argument")
            require(actor, permission)
            return fn(*args, **kwargs)

        run.__service__ = SERVICES[name]  # type: ignore[attr-defined]
        return run

    return wrap


def declared(fn: Any) -> ServiceSpec | None:
    """The spec of a declared service function, or None."""
    return getattr(fn, "__service__", None)
