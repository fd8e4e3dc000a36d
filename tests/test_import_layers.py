"""Imports flow one way: base modules -> ingest -> align/tokens -> diverge -> graph -> analysis
(one group through the stages) -> stats -> plot/report -> pipeline/api -> cli, with no cycle
between packages."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src" / "trajdiv"
LAYER = {
    "_errors": 0,
    "_io": 0,
    "_text": 0,
    "_digest": 0,
    "_codec": 0,
    "_lazy": 0,
    "model": 0,
    "tables": 0,
    "ingest": 1,
    "align": 2,
    "tokens": 2,
    "diverge": 3,
    "graph": 4,
    "analysis": 5,
    "stats": 6,
    "plot": 7,
    "report": 7,
    "schemas": 7,
    "pipeline": 8,
    "_api": 8,
    "_api_pairs": 8,
    "cli": 9,
}
TOP = {"__init__", "__main__"}  # the package's lazy front door and `python -m trajdiv`


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> list[tuple[str, str, str]]:
    """(importing unit, imported unit, importing file) for every trajdiv import, lazy ones too."""
    out = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")
        src = _unit(module) if module != "trajdiv" else "__init__"
        if path.name == "__main__.py" and path.parent == SRC:
            src = "__main__"
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "trajdiv":
                if node.module == "trajdiv":
                    targets = [f"trajdiv.{a.name}" for a in node.names]
                else:
                    targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "trajdiv"]
            out += [(src, _unit(t), str(path.relative_to(SRC))) for t in targets]
    return out


def test_every_unit_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in SRC.iterdir() if p.suffix == ".py" or p.is_dir()}
    units -= {"__pycache__"} | TOP
    assert units <= set(LAYER), units - set(LAYER)


def test_no_stage_imports_a_later_one():
    wrong = [
        (f, src, dst)
        for src, dst, f in _imports()
        if src not in TOP and src != dst and LAYER[dst] > LAYER[src]
    ]
    assert not wrong, wrong


def test_no_cycle_between_modules():
    g = nx.DiGraph()
    for path in SRC.rglob("*.py"):
        rel = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        body = ast.parse(path.read_text("utf-8")).body
        # module-level imports, and those under `if TYPE_CHECKING:` (a type-only cycle is a cycle)
        nodes = [n for b in body for n in ([b] if not isinstance(b, ast.If) else b.body)]
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("trajdiv."):
                g.add_edge(rel, node.module)
    cycles = [c for c in nx.simple_cycles(g) if not any(n.endswith("__init__") for n in c)]
    assert not cycles, cycles


def test_modules_and_functions_stay_readable():
    """No module over 400 lines; no function over 80 lines of code (its docstring not counted)
    unless its docstring says why ("Long because ...")."""
    long_modules, long_functions = [], []
    for path in SRC.rglob("*.py"):
        text = path.read_text("utf-8")
        if len(text.splitlines()) > 400:
            long_modules.append(str(path.relative_to(SRC)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    length -= (first.end_lineno or first.lineno) - first.lineno + 1
                if length > 80 and "Long because" not in (ast.get_docstring(node) or ""):
                    long_functions.append(f"{path.relative_to(SRC)}:{node.name} ({length} lines)")
    assert not long_modules
    assert not long_functions


def test_public_functions_document_their_parameters():
    import inspect

    import trajdiv

    undocumented = []
    for name in trajdiv.__all__:
        obj = getattr(trajdiv, name)
        if not inspect.isfunction(obj):
            continue
        doc = inspect.getdoc(obj) or ""
        params = [p for p in inspect.signature(obj).parameters if p not in ("self",)]
        if len(params) > 2:
            missing = [
                p for p in params if not any(p in line.split(", ") or line == p for line in _param_lines(doc))
            ]
            if missing:
                undocumented.append((name, missing))
    assert not undocumented


def _param_lines(doc: str) -> list[str]:
    """The parameter name lines of a numpydoc ``Parameters`` section."""
    if "Parameters\n----------" not in doc:
        return []
    section = doc.split("Parameters\n----------", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in section.splitlines() if line and not line.startswith(" ")]
