"""The failures a service call can end in that the CLI and web translate for people.

They are raised below the services (by the store or the database driver); callers name
them from here, so ``cli/`` and ``web/`` never import ``onesheet.store``
(``tests/contract/test_layers.py``).
"""

from __future__ import annotations

from onesheet.store.backup import BackupError
from onesheet.store.db import NOT_READY, DataError, OperationalError, PoolTimeout
from onesheet.store.sheet_view import ConcurrentEdit
from onesheet.store.tasks import StaleTask
from onesheet.store.templates import StaleTemplate

# The database has no tables yet or cannot be reached ("did you run onesheet init?").
DATABASE_NOT_READY = NOT_READY

__all__ = [
    "DATABASE_NOT_READY",
    "BackupError",
    "ConcurrentEdit",
    "DataError",
    "OperationalError",
    "PoolTimeout",
    "StaleTask",
    "StaleTemplate",
]
