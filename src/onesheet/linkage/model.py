"""Train and apply the probabilistic model (Fellegi–Sunter via Splink on DuckDB).

Training uses every row of the import against the sheet: u from random pairs, m by
expectation maximisation in two sessions (blocked on birth date, then on name pinyin, so
each session learns the fields the other blocks on). Scoring then runs only on the rows
the exact key could not place. The same code runs on Spark by swapping the database API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from onesheet.linkage import comparisons

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelConfig:
    """Knobs for training; defaults suit a county (tens of thousands of rows a side)."""

    u_max_pairs: float = 3e5
    em_sample: float = 1.0  # share of records EM samples (Splink's record_sample_proportion)
    prior: float = 1e-4  # probability two random records match (re-estimated by EM)
    raw: bool = False  # the baseline: raw columns, no Chinese-aware comparisons
    seed: int = 1


@dataclass(frozen=True)
class Pair:
    """One scored pair: an import row and a sheet record."""

    left: int
    right: int
    probability: float


PREDICT_BLOCKS = (("name_py",), ("birth",), ("phone",), ("surname_py", "birth_year", "sex"))
RAW_BLOCKS = (("idn",), ("name",), ("birth",), ("phone",))


def _settings(cfg: ModelConfig, link_type: str = "link_only") -> SettingsCreator:
    blocks = RAW_BLOCKS if cfg.raw else PREDICT_BLOCKS
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="uid",
        comparisons=comparisons.raw_person() if cfg.raw else comparisons.chinese_person(),
        blocking_rules_to_generate_predictions=[block_on(*b) for b in blocks],
        probability_two_random_records_match=cfg.prior,
        retain_matching_columns=False,
    )


def _linker(
    left: pa.Table, right: pa.Table | None, settings: SettingsCreator | dict[str, Any]
) -> Linker:
    """Two sides (import rows, sheet) to link, or one table (``right`` None) to dedupe."""
    logging.getLogger("splink").setLevel(logging.ERROR)  # its untrained-level notes are noise
    con = duckdb.connect()
    db = DuckDBAPI(connection=con)
    if right is None:
        return Linker(db.register(left, table_name="sheet"), settings, log_level=None)
    tables = [db.register(left, table_name="import_rows"), db.register(right, table_name="sheet")]
    return Linker(tables, settings, log_level=None)


def train(left: pa.Table, right: pa.Table | None, cfg: ModelConfig) -> dict[str, Any]:
    """A trained model (Splink settings dict with m and u) from the two sides.

    With ``right`` None the model is trained to find duplicates inside ``left`` alone.
    """
    link_type = "link_only" if right is not None else "dedupe_only"
    linker = _linker(left, right, _settings(cfg, link_type))
    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.u_max_pairs, seed=cfg.seed)
    sessions = (("birth",), ("name",)) if cfg.raw else (("birth",), ("name_py",))
    for cols in sessions:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), record_sample_proportion=cfg.em_sample
            )
        except Exception as exc:  # too few pairs to learn from: keep the starting m values
            log.warning("EM on %s skipped: %s", cols, exc)
    return linker.misc.save_model_to_json()


def score(
    left: pa.Table, right: pa.Table, model: dict[str, Any], *, floor: float = 0.05
) -> list[Pair]:
    """Every blocked pair with match probability ≥ ``floor``."""
    if left.num_rows == 0 or right.num_rows == 0:
        return []
    linker = _linker(left, right, model)
    result = linker.inference.predict(threshold_match_probability=floor)
    cols = "source_dataset_l, uid_l, uid_r, match_probability"
    rows = result.as_duckdbpyrelation().select(cols).fetchall()
    out = []
    for src, a, b, p in rows:  # Splink orders the sides by name: put the import row left
        left_uid, right_uid = (a, b) if src == "import_rows" else (b, a)
        out.append(Pair(int(left_uid), int(right_uid), float(p)))
    return out


def score_dedupe(table: pa.Table, model: dict[str, Any], *, floor: float = 0.05) -> list[Pair]:
    """Pairs of records inside ``table`` with match probability ≥ ``floor`` (left < right)."""
    if table.num_rows < 2:
        return []
    linker = _linker(table, None, {**model, "link_type": "dedupe_only"})
    result = linker.inference.predict(threshold_match_probability=floor)
    rows = result.as_duckdbpyrelation().select("uid_l, uid_r, match_probability").fetchall()
    return [Pair(min(a, b), max(a, b), float(p)) for a, b, p in rows]
