"""Every finding code the source can produce, found by reading it (AST), not by running it.

A *maker* is anything that turns a code into a refusal: ``Finding``, ``ValueProblem``,
``finding``/``refuse`` (the catalogue's), and every function in ``src/`` with a ``code``
parameter that hands it on to a maker — as it is, or inside an f-string such as
``f"forms.{code}"`` (the old one-line helpers ``_bad``, ``_problem`` … prefix their module's
name). A call's code is read from the literal at the code's position (both branches of a
conditional; the maker's default when left out). A code forwarded from a problem already
caught (``problem.code``, ``f.code``) was counted where it was made; anything else is
*unresolved* and must be named in ``tests/contract/test_findings_catalogue.py``. A code kept
for later in a ``(code, zh, en)`` tuple (``refused[key] = ("task.not_asked", "…", "…")``) is
found as well.

``test_findings_catalogue.py`` checks that every code found is in the catalogue
(``data/findings.yaml``); ``docs.py`` checks that every catalogued code is documented.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "onesheet"
BASE_MAKERS = {"Finding": 0, "ValueProblem": 0, "finding": 0, "refuse": 0}


@dataclass(frozen=True)
class Maker:
    """A function that makes a refusal from a code: where the code goes, what it becomes."""

    position: int  # index of the code among the positional parameters
    prefix: str = ""
    suffix: str = ""
    default: str | None = None


@dataclass
class Scan:
    """Codes found (code → ["path:line", …]) and the call sites whose code is not literal."""

    uses: dict[str, list[str]] = field(default_factory=dict)
    unresolved: list[tuple[str, int, str]] = field(default_factory=list)
    refuse_calls: list[tuple[str, int, str, set[str], bool]] = field(default_factory=list)


def _name(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    return f.attr if isinstance(f, ast.Attribute) else None


def _code_arg(call: ast.Call, maker: Maker) -> ast.expr | None:
    if len(call.args) > maker.position:  # (``finding``/``refuse`` take ``code=`` as a fact)
        return call.args[maker.position]
    return next((kw.value for kw in call.keywords if kw.arg == "code"), None)


def _forwarding(fn: ast.FunctionDef, makers: dict[str, Maker]) -> Maker | None:
    """``fn`` as a maker, when it hands its ``code`` parameter to another maker."""
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if "code" not in params and "code" not in [a.arg for a in fn.args.kwonlyargs]:
        return None
    position = params.index("code") if "code" in params else 10**6
    defaults = dict(zip(reversed(params), reversed(fn.args.defaults), strict=False))
    default = defaults.get("code")
    default_code = default.value if isinstance(default, ast.Constant) else None
    for call in ast.walk(fn):
        if not isinstance(call, ast.Call) or _name(call) not in makers or _name(call) == fn.name:
            continue
        arg = _code_arg(call, makers[_name(call)])  # type: ignore[index]
        if isinstance(arg, ast.Name) and arg.id == "code":
            return Maker(position, default=default_code)
        if isinstance(arg, ast.JoinedStr):
            parts = arg.values
            names = [p for p in parts if isinstance(p, ast.FormattedValue)]
            if (
                len(names) == 1
                and isinstance(names[0].value, ast.Name)
                and names[0].value.id == "code"
            ):
                i = parts.index(names[0])
                text = [p.value if isinstance(p, ast.Constant) else "" for p in parts]
                return Maker(position, "".join(text[:i]), "".join(text[i + 1 :]))
    return None


@cache
def _trees() -> dict[str, ast.Module]:
    return {
        str(p.relative_to(SRC)): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(SRC.rglob("*.py"))
    }


def _makers() -> dict[str, dict[str, Maker]]:
    """Per module: the makers its calls may name (its own private ones, everyone's public)."""
    public = {k: Maker(v) for k, v in BASE_MAKERS.items()}
    private: dict[str, dict[str, Maker]] = {path: {} for path in _trees()}
    candidates = {  # functions with a ``code`` parameter, the only ones that can forward it
        path: [
            fn
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef)
            and fn.name not in BASE_MAKERS
            and "code" in [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
        ]
        for path, tree in _trees().items()
    }
    changed = True
    while changed:
        changed = False
        for path, functions in candidates.items():
            visible = {**public, **private[path]}
            for fn in functions:
                maker = _forwarding(fn, visible)
                if maker is None:
                    continue
                into = private[path] if fn.name.startswith("_") else public
                if into.get(fn.name) != maker:
                    into[fn.name] = maker
                    changed = True
    return {path: {**public, **private[path]} for path in _trees()}


def _forwarded(arg: ast.expr) -> bool:
    """A code handed on from a problem already made (``problem.code``, ``f.code``)."""
    return isinstance(arg, ast.Attribute) and arg.attr == "code"


CODE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def _message(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _code_triple(node: ast.AST) -> str | None:
    """The code of a ``(code, zh, en)`` tuple, kept to make a finding from later."""
    if not isinstance(node, ast.Tuple) or len(node.elts) != 3:
        return None
    first = node.elts[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    if CODE.match(first.value) and all(_message(e) for e in node.elts[1:]):
        return first.value
    return None


def _literals(arg: ast.expr) -> list[str] | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        a, b = _literals(arg.body), _literals(arg.orelse)
        return a + b if a is not None and b is not None else None
    return None


@cache
def scan() -> Scan:
    """Read every module of ``src/onesheet`` once."""
    out = Scan()
    makers = _makers()
    for path, tree in _trees().items():
        inside_makers = {
            (n.lineno, n.end_lineno)
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef) and n.name in makers[path]
        }
        for node in ast.walk(tree):
            triple = _code_triple(node)
            if triple:
                out.uses.setdefault(triple, []).append(f"{path}:{node.lineno}")
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or _name(call) not in makers[path]:
                continue
            maker = makers[path][_name(call)]  # type: ignore[index]
            arg = _code_arg(call, maker)
            default = [maker.default] if maker.default else None
            codes = default if arg is None else _literals(arg)
            if codes is None:
                in_maker = (isinstance(arg, ast.Name) and arg.id == "code") or any(
                    a <= call.lineno <= (b or a) for a, b in inside_makers
                )
                if not (in_maker or (arg is not None and _forwarded(arg))):
                    out.unresolved.append((path, call.lineno, ast.unparse(arg or call)))
                continue
            for code in codes:
                full = maker.prefix + code + maker.suffix
                out.uses.setdefault(full, []).append(f"{path}:{call.lineno}")
                if _name(call) in ("refuse", "finding"):
                    given = {kw.arg for kw in call.keywords if kw.arg}
                    spread = any(kw.arg is None for kw in call.keywords)
                    out.refuse_calls.append((path, call.lineno, full, given, spread))
    return out
