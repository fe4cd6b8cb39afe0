"""Analyse a department's legacy form: its layout, its population, and a field per column.

``analyse_form`` is pure — no database, no writes. It reads the file (``workbook``), finds
the form's parts (``structure``), decides whether rows are people/households/… or villages
(``aggregate``), maps columns to fields (``matcher``), proposes the population filter
(``population``) and returns a ``FormAnalysis``: a ``TemplateSpec`` ready for review plus
the evidence for each decision, and ``to_json()`` in the importer's published contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from onesheet.domain.dictionary import Dictionary, Field
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.template_spec import Column, TemplateSpec, column_letter
from onesheet.ingest import aggregate, layout, matcher, period, population
from onesheet.ingest.evidence import ValueProfile
from onesheet.ingest.matcher import ColumnMatch, MatchInput
from onesheet.ingest.normalise import normalise_heading
from onesheet.ingest.structure import FormStructure, column_samples, find_structure
from onesheet.ingest.workbook import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_COLUMNS,
    SheetGrid,
    load_bytes,
    read_sheet,
)

_NOT_WORDS = re.compile(r"^[\d\s.,:/\-年月日]*$")
_LAYOUT_KIND = {"row_no": "row_no", "remark": "remark", "signature": "blank", "blank": "blank"}


@dataclass
class FormAnalysis:
    """What the importer found; ``spec`` is a proposal until a person approves it."""

    spec: TemplateSpec
    header_rows: list[int]  # 1-based sheet rows of the heading block
    columns: list[ColumnMatch]
    samples: dict[str, list[object]]  # letter → sample values (evidence, never stored)
    structure: FormStructure = field(repr=False)
    sheet: str = ""
    notes: list[Finding] = field(default_factory=list)  # warnings a person should read
    evidence: dict[str, object] = field(default_factory=dict)  # why each decision was made

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def entity(self) -> str:
        return "aggregate" if self.spec.kind == "aggregate" else self.spec.entity

    @property
    def drafts(self) -> list[Field]:
        """Draft fields proposed for this form's ``new`` columns."""
        return [m.draft for m in self.columns if m.draft is not None]

    def notes_json(self) -> list[dict[str, object]]:
        """The notes as plain data, for the stored analysis and the CLI."""
        return [{"code": n.code, "zh": n.message("zh"), "en": n.message("en")} for n in self.notes]

    def to_json(self) -> dict[str, object]:
        """The importer contract; a ``new`` column's field is its proposed draft key."""
        flt = self.spec.filter
        return {
            "template_id": self.spec.id,
            "title": self.spec.title,
            "department": self.spec.department,
            "entity": self.entity,
            "header_rows": list(self.header_rows),
            "filter": flt.model_dump(by_alias=True, mode="json") if flt is not None else None,
            "columns": [
                {
                    "letter": m.letter,
                    "heading": m.heading,
                    "field": m.field or (m.draft.key if m.draft else None),
                    "status": m.status,
                    "confidence": round(float(m.confidence), 3),
                    "candidates": [{"field": k, "score": round(s, 3)} for k, s in m.candidates],
                }
                for m in self.columns
            ],
        }


def analyse_form(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    department: str,
    dictionary: Dictionary,
    sheet: str | int | None = None,
    drafts: Sequence[Field] = (),
    learned: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> FormAnalysis:
    """Read a form and propose its template; raises ``InvalidInput`` for unusable files."""
    if filename is None:
        filename = "form.xlsx" if isinstance(source, bytes | bytearray) else Path(source).name
    data = load_bytes(source, filename, max_bytes)
    grid = read_sheet(
        data, filename=filename, sheet=sheet, max_bytes=max_bytes, max_columns=max_columns
    )
    s = find_structure(grid, heading_vocab(dictionary, drafts))
    _require_heading(s, grid.name, filename)
    title, title_source = _title(s, grid.name, filename)
    letters = {c.col: column_letter(c.col) for c in s.columns}
    samples = {c.col: column_samples(grid, s, c.col) for c in s.columns}
    inp = MatchInput(dictionary, tuple(drafts), dict(learned or {}), department, filename)
    layout_cols = {
        c.col
        for c in s.columns
        if matcher.layout_kind(normalise_heading(c.leaf)[0], ValueProfile(n=0)) is not None
    }
    if aggregate.is_aggregate(s.columns, samples, layout_cols):
        kind, entity, matches, spec_cols = _aggregate(s, samples, letters, inp, title)
        entity_evidence: dict[str, object] = {
            "entity": "aggregate",
            "confidence": 0.8,
            "evidence": ["首列为村/乡镇等单位，其余列为计数：汇总表"],
        }
    else:
        kind = "roster"
        said = title if title_source != "file_name" else ""  # the file name: a last resort
        entity, matches = matcher.match_columns(s.columns, samples, said, inp, letters)
        spec_cols = _roster_columns(matches, s)
        guess = inp.entity_guess
        entity_evidence = {
            "entity": entity,
            "confidence": guess.confidence if guess else 0.5,
            "evidence": list(guess.evidence) if guess else [],
        }
    for col, m in zip(spec_cols, matches, strict=True):
        col.width = grid.col_widths.get(m.col)
    words = title if title_source != "file_name" else ""
    proposal = population.propose(words, entity, dictionary, [c.leaf for c in s.columns])
    frequency = period.propose_frequency(words, s.unit_line)
    spec = TemplateSpec(
        id=_template_id(data, grid.name),
        title=title,
        department=department,
        entity=entity,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        columns=spec_cols,
        filter=proposal.filter,
        frequency=frequency.value,  # type: ignore[arg-type]
        layout=layout.build_layout(grid, s, title, data),
    )
    return FormAnalysis(
        spec=spec,
        header_rows=[r + 1 for r in s.header_rows],
        columns=matches,
        samples={letters[c]: [_plain(v) for v in vals] for c, vals in samples.items()},
        structure=s,
        sheet=grid.name,
        notes=list(grid.notes),
        evidence={
            "sheet": grid.name,
            "structure": list(s.evidence),
            "title_source": title_source,
            "entity": entity_evidence,
            "filter": {"evidence": proposal.evidence, "confidence": proposal.confidence},
            "frequency": {
                "value": frequency.value,
                "period": frequency.period,
                "evidence": frequency.evidence,
                "confidence": frequency.confidence,
            },
        },
    )


_GENERIC_SHEET = re.compile(r"^(sheet|工作表|export|data|数据|表)\s*\d*$", re.I)


def _title(s: FormStructure, sheet: str, filename: str) -> tuple[str, str]:
    """The form's title: its title row, else a sheet name that says something, else — the
    last resort — the file name; the second value says which."""
    if s.title:
        return s.title, "title_row"
    if sheet and not _GENERIC_SHEET.match(sheet.strip()):
        return sheet, "sheet_name"
    return Path(filename).stem or sheet, "file_name"


def heading_vocab(dictionary: Dictionary, drafts: Sequence[Field] = ()) -> frozenset[str]:
    """Normalised wordings of the dictionary's fields and the layout words (序号, 备注)."""
    index = matcher.field_index(dictionary, drafts)
    return frozenset(index.exact) | frozenset({"序号", "备注", "编号", "说明"})


def _require_heading(s: FormStructure, sheet: str, filename: str) -> None:
    """Refuse a sheet whose "heading" is not words: a bare data dump or a lone note."""
    leaves = [normalise_heading(c.leaf)[0] for c in s.columns]
    words = [t for t in leaves if t and not _NOT_WORDS.match(t)]
    if len(words) >= 2 and len(words) * 2 > len(leaves):
        return
    row = s.header_rows[0] + 1 if s.header_rows else None
    raise InvalidInput(
        [
            Finding(
                "sheet.no_heading",
                f"工作表“{sheet}”中找不到表头行（至少两列文字表头，如 姓名、身份证号码）",
                f"no heading row found in sheet '{sheet}' (need at least two text headings)",
                file=filename,
                row=row,
            )
        ]
    )


def _template_id(data: bytes, sheet: str) -> str:
    """Stable for the same file and sheet: re-importing a form finds its template again."""
    digest = hashlib.sha256(data + b"\x00" + sheet.encode("utf-8")).hexdigest()
    return f"tpl-{digest[:12]}"


def _roster_columns(matches: list[ColumnMatch], s: FormStructure) -> list[Column]:
    cols = []
    fc = s.first_col
    for m in matches:
        kind = _LAYOUT_KIND.get(m.layout or "", "field") if m.status == "layout" else "field"
        fld = m.field if m.status == "matched" else None
        if kind == "field" and fld is None:
            kind = "blank"
        cols.append(
            Column(
                letter=column_letter(m.col - fc),
                heading=m.heading,
                kind=kind,  # type: ignore[arg-type]
                field=fld,
                merge_by_household=fld is not None and m.col in s.household_cols,
            )
        )
    return cols


def _aggregate(
    s: FormStructure,
    samples: dict[int, list[object]],
    letters: dict[int, str],
    inp: MatchInput,
    title: str,
) -> tuple[str, str, list[ColumnMatch], list[Column]]:
    """Columns of an aggregate form: org name, then counts and sums with conditions."""
    index = matcher.field_index(inp.dictionary, inp.drafts)
    matches: list[ColumnMatch] = []
    cols: list[Column] = []
    first_seen = False
    fc = s.first_col
    for c in s.columns:
        core = normalise_heading(c.leaf)[0]
        kind_l = matcher.layout_kind(core, ValueProfile(n=0))
        m = ColumnMatch(c.col, letters[c.col], list(c.path), None, "layout", 1.0)
        m.samples, m.concept = samples.get(c.col, [])[:10], core
        letter = column_letter(c.col - fc)
        if kind_l is not None:
            m.layout = kind_l
            cols.append(Column(letter=letter, heading=m.heading, kind=_LAYOUT_KIND[kind_l]))  # type: ignore[arg-type]
            matches.append(m)
            continue
        agg = aggregate.read_column(c, not first_seen, inp.dictionary, index)
        first_seen = True
        cond_field = _first_field(agg)
        m.field = agg.field or cond_field
        m.status = "matched" if agg.recognised else "uncertain"
        m.confidence = 0.9 if agg.recognised else 0.3
        m.candidates = [(m.field, 0.9)] if m.field and agg.recognised else []
        cols.append(
            Column(
                letter=letter,
                heading=m.heading,
                kind=agg.kind,  # type: ignore[arg-type]
                field=agg.field,
                condition=agg.condition,
            )
        )
        matches.append(m)
    return "aggregate", "person", matches, cols


def _first_field(agg: aggregate.AggregateColumn) -> str | None:
    cond = agg.condition
    while cond is not None and not hasattr(cond, "field"):
        parts = getattr(cond, "all", None) or getattr(cond, "any", None) or []
        cond = parts[0] if parts else None
    return getattr(cond, "field", None)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


__all__ = ["FormAnalysis", "SheetGrid", "analyse_form"]
