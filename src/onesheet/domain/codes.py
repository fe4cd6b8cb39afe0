"""Code tables (代码表): values are stored as codes and shown as names.

Forms write the same code many ways: ``1``, ``男``, ``男性``, ``男 性``. A table knows its
codes, their standard names, the short names forms print and the common wordings seen in
the wild, so a lookup accepts any of them and always returns the code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from onesheet.domain.values.problems import ValueProblem


def fold(text: str) -> str:
    """Normalise a wording for lookup: NFKC (full-width → half-width), no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@dataclass(frozen=True)
class CodeEntry:
    """One code of a table: its standard name, the name forms show, other wordings."""

    code: str
    name: str
    short_name: str | None = None
    aliases: tuple[str, ...] = ()
    parent: str | None = None

    @property
    def display(self) -> str:
        """The name a printed form uses (short name where the standard has a long one)."""
        return self.short_name or self.name


@dataclass
class CodeTable:
    """A named set of codes with a forgiving lookup from any wording to the code."""

    key: str
    label_zh: str
    entries: list[CodeEntry]
    source: str = ""
    _index: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _by_code: dict[str, CodeEntry] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._by_code[entry.code] = entry
        # Names and aliases first, codes last: a code never shadows a name.
        for entry in self.entries:
            for wording in (entry.name, entry.short_name, *entry.aliases):
                if wording:
                    self._index.setdefault(fold(wording), entry.code)
        for entry in self.entries:
            self._index.setdefault(fold(entry.code), entry.code)

    def codes(self) -> list[str]:
        """All codes, in table order."""
        return [e.code for e in self.entries]

    def entry(self, code: str) -> CodeEntry:
        """The entry for a stored code (KeyError when unknown)."""
        return self._by_code[code]

    def name_of(self, code: str) -> str:
        """The display name of a stored code; an unknown code is shown as itself."""
        entry = self._by_code.get(code)
        return entry.display if entry else code

    def lookup(self, raw: object) -> str:
        """The code for ``raw`` given as code, name, short name or alias.

        A single-digit code also matches its zero-padded form (``1`` → ``01``), because Excel
        strips leading zeros from codes typed as numbers.
        """
        text = _as_text(raw)
        key = fold(text)
        found = self._index.get(key)
        if found is None and key.isdigit():
            found = self._index.get(key.zfill(2)) or self._index.get(key.lstrip("0") or "0")
        if found is None:
            examples = "、".join(e.display for e in self.entries[:8])
            raise ValueProblem(
                "code.unknown",
                f"“{text}”不是{self.label_zh}中的代码或名称（可选：{examples}…）",
                f"'{text}' is not a code or name in {self.key} (e.g. {examples}…)",
                {"value": text, "table": self.key},
            )
        return found

    def extend(self, aliases: Iterable[tuple[str, str]]) -> None:
        """Add (wording, code) aliases learned at run time (for example from imports)."""
        for wording, code in aliases:
            if code in self._by_code:
                self._index.setdefault(fold(wording), code)


def _as_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()
