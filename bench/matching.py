"""Column-matching quality and import speed of the forms importer.

Run: ``.venv/bin/python bench/matching.py``. Imports every test form in
``tests/forms/files`` in order, feeding the drafts proposed by earlier forms to later
ones (as a county would), and compares with ``tests/forms/truth.json``:

* precision / recall over the non-layout columns of rosters — a column counts as
  predicted when its status is ``matched`` (its field) or ``new`` (its draft); an
  ``uncertain`` column is not predicted. A ``new:<concept>`` truth is right when the
  column's draft (proposed here or matched from an earlier form) is the one draft that
  concept maps to across all forms;
* pair accuracy — for every pair of columns from different forms: same truth concept ⇔
  same predicted field/draft (also reported: recall on the same-concept pairs alone,
  because most pairs are trivially different);
* aggregate columns: share whose kind and condition equal the truth;
* speed — analysing a generated 30-column × 5,000-row form against the bare calamine
  read of the same file (best of 3 each).

Writes ``bench/results/matching.json``.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import python_calamine as pc  # noqa: E402
import xlsxwriter  # noqa: E402

from onesheet.domain.dictionary import load_builtin  # noqa: E402
from onesheet.ingest.importer import FormAnalysis, analyse_form  # noqa: E402

FORMS = ROOT / "tests" / "forms"
RESULTS = ROOT / "bench" / "results" / "matching.json"


def import_all(dictionary=None) -> dict[str, FormAnalysis]:
    """Analyse every test form in truth order, passing drafts forward."""
    dictionary = dictionary or load_builtin()
    truth = json.loads((FORMS / "truth.json").read_text(encoding="utf-8"))
    drafts = []
    out = {}
    for name, t in truth.items():
        a = analyse_form(
            FORMS / "files" / name,
            department=t["department"],
            dictionary=dictionary,
            drafts=drafts,
        )
        drafts.extend(a.drafts)
        out[name] = a
    return out


def _predicted(a: FormAnalysis) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for m in a.columns:
        if m.status == "matched":
            out[m.letter] = m.field
        elif m.status == "new" and m.draft is not None:
            out[m.letter] = m.draft.key
        else:
            out[m.letter] = None
    return out


def score(analyses: dict[str, FormAnalysis]) -> dict[str, object]:
    truth = json.loads((FORMS / "truth.json").read_text(encoding="utf-8"))
    concept_to_draft: dict[str, set[str]] = defaultdict(set)
    rows = []  # (form, letter, truth concept, predicted key)
    agg_ok = agg_total = 0
    errors = []
    for name, a in analyses.items():
        t = truth[name]
        if t["kind"] == "aggregate":
            for col in a.spec.columns:
                expected = t["columns"].get(col.letter)
                if not isinstance(expected, dict):
                    continue
                agg_total += 1
                got = {"kind": col.kind}
                got["field" if expected["kind"] == "field" else "condition"] = (
                    col.field
                    if expected["kind"] == "field"
                    else (col.condition.model_dump(by_alias=True) if col.condition else None)
                )
                if got == expected:
                    agg_ok += 1
                else:
                    errors.append(
                        {"form": name, "letter": col.letter, "want": expected, "got": got}
                    )
            continue
        pred = _predicted(a)
        for letter, want in t["columns"].items():
            got = pred.get(letter)
            rows.append((name, letter, want, got))
            if isinstance(want, str) and want.startswith("new:") and got:
                concept_to_draft[want].add(got)
    # a new concept is right only when it maps to exactly one draft, used by no other concept
    draft_owner: dict[str, set[str]] = defaultdict(set)
    for concept, keys in concept_to_draft.items():
        for k in keys:
            draft_owner[k].add(concept)

    def correct(want: str, got: str | None) -> bool:
        if got is None:
            return False
        if want.startswith("new:"):
            keys = concept_to_draft[want]
            return len(keys) == 1 and draft_owner[got] == {want}
        return want == got

    predicted = [r for r in rows if r[3] is not None]
    relevant = [r for r in rows if r[2] != "layout"]
    tp = sum(1 for r in predicted if r[2] != "layout" and correct(r[2], r[3]))
    for r in rows:
        if r[2] != "layout" and not correct(r[2], r[3]):
            errors.append({"form": r[0], "letter": r[1], "want": r[2], "got": r[3]})
        elif r[2] == "layout" and r[3] is not None:
            errors.append({"form": r[0], "letter": r[1], "want": "layout", "got": r[3]})
    same_ok = same_total = pairs_ok = pairs = 0
    for x, y in itertools.combinations(relevant, 2):
        if x[0] == y[0]:
            continue
        pairs += 1
        same_truth = x[2] == y[2]
        same_pred = x[3] is not None and x[3] == y[3]
        pairs_ok += same_truth == same_pred
        if same_truth:
            same_total += 1
            same_ok += same_pred
    return {
        "columns": len(relevant),
        "predicted": len(predicted),
        "precision": round(tp / len(predicted), 4) if predicted else 0.0,
        "recall": round(tp / len(relevant), 4) if relevant else 0.0,
        "pairs": pairs,
        "pair_accuracy": round(pairs_ok / pairs, 4) if pairs else 0.0,
        "same_concept_pairs": same_total,
        "same_concept_pair_recall": round(same_ok / same_total, 4) if same_total else 0.0,
        "aggregate_columns": agg_total,
        "aggregate_accuracy": round(agg_ok / agg_total, 4) if agg_total else 0.0,
        "errors": errors,
    }


def _big_form(path: Path, rows: int = 5000, cols: int = 30) -> None:
    headings = ["序号", "姓名", "性别", "身份证号码", "出生日期", "联系电话", "现住址", "民族",
                "政治面貌", "文化程度", "婚姻状况", "与户主关系", "户籍地址", "工作单位",
                "职业", "健康状况", "是否残疾", "是否低保", "医保类型", "养老保险", "银行账号",
                "开户银行", "村民小组", "户号", "家庭人口数", "兵役状况", "宗教信仰", "籍贯",
                "婚否", "备注"][:cols]  # fmt: skip
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet1")
    ws.merge_range(0, 0, 0, cols - 1, "全县人口基础信息花名册")
    ws.write_row(1, 0, ["填报单位（盖章）：", None, None, None, None, "填报日期："])
    ws.write_row(2, 0, headings)
    for r in range(rows):
        ws.write_row(
            3 + r, 0,
            [r + 1, f"张{r % 97}", "男" if r % 2 else "女", f"33052319{r % 90 + 10:02d}0101123X",
             "1980-01-01", f"138{r:08d}", f"安吉县天荒坪镇余村{r % 12}组", "汉族", "群众", "初中",
             "已婚", "配偶", "安吉县天荒坪镇余村", "某某厂", "工人", "健康", "否", "否",
             "城乡居民医保", "城乡居民养老保险", f"6228{r:015d}", "农商银行", f"{r % 12}组",
             f"H{r:06d}", 3, "未服兵役", "无", "浙江安吉", "已婚", ""][:cols],
        )  # fmt: skip
    ws.write_row(3 + rows + 1, 0, ["填表人：", None, "审核人：", None, "联系电话："])
    wb.close()


def timing() -> dict[str, float]:
    dictionary = load_builtin()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        _big_form(path)
        size = path.stat().st_size

        def bare() -> None:
            book = pc.CalamineWorkbook.from_path(str(path))
            book.get_sheet_by_index(0).to_python()
            book.close()

        def full() -> None:
            analyse_form(path, department="statistics", dictionary=dictionary)

        def best(fn) -> float:
            times = []
            for _ in range(3):
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
            return min(times)

        full()  # warm the field index and pinyin tables
        t_bare, t_full = best(bare), best(full)
    return {
        "rows": 5000,
        "columns": 30,
        "file_bytes": size,
        "bare_read_s": round(t_bare, 4),
        "import_s": round(t_full, 4),
        "ratio": round(t_full / t_bare, 2),
    }


def main() -> None:
    t = time.perf_counter()
    analyses = import_all()
    elapsed = time.perf_counter() - t
    result = score(analyses)
    result["forms"] = len(analyses)
    result["all_forms_s"] = round(elapsed, 3)
    result["speed"] = timing()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for key in ("forms", "columns", "predicted", "precision", "recall", "pair_accuracy",
                "same_concept_pair_recall", "aggregate_accuracy"):  # fmt: skip
        print(f"{key:26} {result[key]}")
    s = result["speed"]
    print(f"{'import 30x5000':26} {s['import_s']}s vs bare read {s['bare_read_s']}s "
          f"(×{s['ratio']})")  # fmt: skip
    for e in result["errors"]:
        print("  miss:", json.dumps(e, ensure_ascii=False))


if __name__ == "__main__":
    main()
