"""A catalogued reason why a raw value was refused.

Importers, the CLI and the web pages all need the same thing from a failed parse: a stable
``code`` they can count and filter on, and a sentence a cadre can act on. Raising one
exception type with both languages keeps every caller from inventing its own wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class ValueProblem(Exception):
    """A value that cannot be accepted, with the reason in Chinese and English.

    ``code`` is stable (``id_number.check_digit``, ``date.unparseable`` …); ``params`` holds
    the facts the messages were built from (for example ``{"expected": "X", "got": "1"}``).
    """

    code: str
    message_zh: str
    message_en: str
    params: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message_en)

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang`` ("zh" or "en")."""
        return self.message_zh if lang == "zh" else self.message_en

    def __str__(self) -> str:
        return f"{self.message_zh} ({self.message_en})"
