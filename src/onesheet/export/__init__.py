"""Renderers: a template spec plus display rows → the department's form (XLSX or CSV).

Pure: no database. The report service builds :class:`RenderRow` values and picks a writer.
"""

from onesheet.export.csv_out import write_csv
from onesheet.export.model import RenderContext, RenderRow, RenderStats
from onesheet.export.xlsx import write_xlsx

__all__ = ["RenderContext", "RenderRow", "RenderStats", "write_csv", "write_xlsx"]
