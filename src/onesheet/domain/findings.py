"""Findings: catalogued problems with where they were found (file, row, column, field).

Every rejected input is reported the same way — a stable code, the place, and a message in
Chinese and English — so the CLI, the web pages and import reports print the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from onesheet.domain.values.problems import ValueProblem


@dataclass(frozen=True)
class Finding:
    """One problem and where it is."""

    code: str
    message_zh: str
    message_en: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def where(self, lang: str = "zh") -> str:
        """'文件 x.csv 第 3 行 C 列' / 'file x.csv row 3 column C' (only the parts known)."""
        parts = []
        if lang == "zh":
            if self.file:
                parts.append(f"文件 {self.file}")
            if self.row is not None:
                parts.append(f"第 {self.row} 行")
            if self.column:
                parts.append(f"{self.column} 列")
            if self.field:
                parts.append(f"字段 {self.field}")
            return " ".join(parts)
        if self.file:
            parts.append(f"file {self.file}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.field:
            parts.append(f"field {self.field}")
        return " ".join(parts)

    def message(self, lang: str = "zh") -> str:
        where = self.where(lang)
        text = self.message_zh if lang == "zh" else self.message_en
        return (
            f"{where}：{text}" if where and lang == "zh" else f"{where}: {text}" if where else text
        )

    @classmethod
    def from_problem(cls, problem: ValueProblem, **where: object) -> Finding:
        return cls(problem.code, problem.message_zh, problem.message_en, **where)  # type: ignore[arg-type]


class InvalidInput(Exception):
    """Input refused before anything was written; carries every finding, not just the first."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("; ".join(f.message("en") for f in findings[:5]))

    def message(self, lang: str = "zh") -> str:
        lines = [f.message(lang) for f in self.findings[:20]]
        more = len(self.findings) - 20
        if more > 0:
            lines.append(f"……另有 {more} 处" if lang == "zh" else f"… and {more} more")
        return "\n".join(lines)
