"""Train and apply the probabilistic model (Fellegi–Sunter via Splink on DuckDB).

Training uses every row of the import against the sheet: u from random pairs; m from the
pairs the import's valid ID numbers already confirm (or, when an import has too few, by
expectation maximisation blocked on birth date, then on name pinyin); the prior from the
share of keyed rows the sheet holds. Scoring then runs only on the rows the exact key could
not place. The same code runs on Spark by swapping ``DuckDBAPI`` for ``SparkAPI``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Mapping, Sequence
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
    min_labels: int = 200  # key-confirmed pairs needed to take m from them instead of EM
    max_labels: int = 20_000
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


PREDICT_BLOCKS = (
    ("name_py",),  # homophones and exact names
    ("birth",),
    ("phone",),
    ("surname_py", "birth_year", "sex"),
    ("surname_py", "addr"),  # keyless rows with a mistyped given name and no birth or phone
)
"""Blocking rules for scoring: a pair is compared when any one holds. Every keyless row
that has a name reaches its person by at least one of them unless both the given name and
the surname's reading, or every other value, changed."""
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
) -> tuple[Linker, DuckDBAPI]:
    """Two sides (import rows, sheet) to link, or one table (``right`` None) to dedupe."""
    logging.getLogger("splink").setLevel(logging.ERROR)  # its untrained-level notes are noise
    con = duckdb.connect()
    db = DuckDBAPI(connection=con)
    if right is None:
        return Linker(db.register(left, table_name="sheet"), settings, log_level=None), db
    tables = [db.register(left, table_name="import_rows"), db.register(right, table_name="sheet")]
    return Linker(tables, settings, log_level=None), db


def train(
    left: pa.Table,
    right: pa.Table | None,
    cfg: ModelConfig,
    *,
    labels: Sequence[tuple[int, int]] = (),
    prior: float | None = None,
) -> dict[str, Any]:
    """A trained model (Splink settings dict with m and u) from the two sides.

    u comes from random pairs. m comes from ``labels`` — (import row, sheet person) pairs
    the import's own valid ID numbers already tie together — when there are at least
    ``cfg.min_labels`` of them (Splink's ``estimate_m_from_pairwise_labels``); otherwise
    from expectation maximisation in two sessions (blocked on birth date, then on name
    pinyin). Labelled m is preferred because EM on person data can settle on "same birth
    date" as its match class (seen on one of three 100k-row exports) and the key-confirmed
    pairs are real matches drawn from the same export. ``prior`` replaces the starting
    probability that two random records match. With ``right`` None the model is trained to
    find duplicates inside ``left`` alone (EM only).
    """
    link_type = "link_only" if right is not None else "dedupe_only"
    linker, db = _linker(left, right, _settings(cfg, link_type))
    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.u_max_pairs, seed=cfg.seed)
    if right is not None and len(labels) >= cfg.min_labels:
        sample = random.Random(cfg.seed).sample(list(labels), min(len(labels), cfg.max_labels))
        table = pa.table(
            {
                "source_dataset_l": ["import_rows"] * len(sample),
                "uid_l": [a for a, _ in sample],
                "source_dataset_r": ["sheet"] * len(sample),
                "uid_r": [b for _, b in sample],
            }
        )
        linker.training.estimate_m_from_pairwise_labels(db.register(table, table_name="labels"))
    else:
        _em(linker, cfg)
    model = linker.misc.save_model_to_json()
    _unseen_u(model, cfg.u_max_pairs)
    if prior is not None:
        model["probability_two_random_records_match"] = prior
    return model


def _em(linker: Linker, cfg: ModelConfig) -> None:
    sessions = (("birth",), ("name",)) if cfg.raw else (("birth",), ("name_py",))
    for cols in sessions:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), record_sample_proportion=cfg.em_sample
            )
        except Exception as exc:  # too few pairs to learn from: keep the starting m values
            log.warning("EM on %s skipped: %s", cols, exc)


def _unseen_u(model: dict[str, Any], pairs: float) -> None:
    """A level no random pair reached (say, the same phone) has u below ~1/pairs, not 'unknown'."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and level.get("u_probability") is None:
                level["u_probability"] = 1.0 / pairs


def score(
    left: pa.Table, right: pa.Table, model: dict[str, Any], *, floor: float = 0.05
) -> list[Pair]:
    """Every blocked pair with match probability ≥ ``floor``."""
    if left.num_rows == 0 or right.num_rows == 0:
        return []
    linker, _ = _linker(left, right, model)
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
    linker, _ = _linker(table, None, {**model, "link_type": "dedupe_only"})
    result = linker.inference.predict(threshold_match_probability=floor)
    rows = result.as_duckdbpyrelation().select("uid_l, uid_r, match_probability").fetchall()
    return [Pair(min(a, b), max(a, b), float(p)) for a, b, p in rows]


def drop_different_ids(
    pairs: Iterable[Pair], left: Mapping[int, str | None], right: Mapping[int, str | None]
) -> tuple[list[Pair], int]:
    """The pairs kept, and how many were dropped because both sides hold valid, different
    ID numbers (``left``/``right``: uid → valid number or None): two such records are two
    people whatever else they share, inside a county or across two."""
    kept, different = [], 0
    for pair in pairs:
        a, b = left.get(pair.left), right.get(pair.right)
        if a and b and a != b:
            different += 1
        else:
            kept.append(pair)
    return kept, different
