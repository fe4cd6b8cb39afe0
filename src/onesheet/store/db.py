"""What the layers above the store may name of the database, without importing SQLAlchemy.

Services receive a ``Connection`` from ``Store.transaction()`` and hand it to store
functions; the CLI and web translate the database's own failures into messages. Both take
those names from here, so ``tests/contract/test_layers.py`` can keep SQLAlchemy inside
``store/`` (and ``services/base.py``, which holds the engine).
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

DatabaseError = SQLAlchemyError
# The database is missing its tables or cannot be reached: "did you run onesheet init?"
NOT_READY = (OperationalError, ProgrammingError)

__all__ = [
    "NOT_READY",
    "Connection",
    "DataError",
    "DatabaseError",
    "IntegrityError",
    "OperationalError",
    "PoolTimeout",
    "ProgrammingError",
]
