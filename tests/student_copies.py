"""What nbgrader lacks to make the student copies (used by tests/assignments.py's `StubSolutions`).

nbgrader's `generate_assignment` replaces each solution region with one fixed stub. The course's student copies
need more, and this module provides it:

- the lines between `### BEGIN SOLUTION` and `### END SOLUTION` (markers included) become one stub line per
  name the solution assigns at its top level, `name = ____  # your code here` (a function or class the
  solution defines keeps its signature, with `pass  # your code here` as body; a region that assigns
  nothing becomes `pass  # your code here`);
- after a stub, top-level statements that read a stubbed name cannot run on a blank: an `assert` (and any
  `assert` about `.evaluate(...)`, the lesson's own check that its solutions pass) is removed, and an
  expression statement keeps only its `exN.check()` calls (or goes);
- nbdev's `#| export`-like directives and `#| default_exp` are removed, so nothing exports from a student
  copy; `# NBVAL_...` markers go too.

`make student` (tests/assignments.py) writes `_student/`; commit it.
"""
import ast
import copy
import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS, STUDENT = ROOT / "nbs", ROOT / "_student"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MARKER = re.compile(r"^(\s*)### (BEGIN|END) SOLUTION\s*$")
STUB_COMMENT = "# your code here"
EXPORT_DIRECTIVES = {"export", "exporti", "exports", "default_exp", "export_to"}
NBVAL_MARKER = re.compile(r"^\s*# NBVAL_\w+\s*$")
BLANK_IMPORT = "from course_utils.exercises import ____  # the blank `____` you replace with your answers"


def lessons() -> list[Path]:
    "The lesson notebooks, `nbs/NN_*.ipynb`, in order."
    return sorted(NBS.glob("[0-9][0-9]_*.ipynb"))


def student_path(lesson: Path, folder: Path = STUDENT) -> Path:
    return folder / lesson.name


# ---------------------------------------------------------------- solution regions -> stubs

def solution_regions(lines: list[str]) -> list[tuple[int, int]]:
    "(begin, end) line indices of each `### BEGIN/END SOLUTION` pair; a clear error when they do not pair up."
    regions, begin = [], None
    for number, line in enumerate(lines):
        match = MARKER.match(line)
        if not match: continue
        if match.group(2) == "BEGIN":
            if begin is not None: raise ValueError(f"line {number + 1}: `{BEGIN}` inside another solution")
            begin = number
        else:
            if begin is None: raise ValueError(f"line {number + 1}: `{END}` without `{BEGIN}`")
            regions.append((begin, number)); begin = None
    if begin is not None: raise ValueError(f"line {begin + 1}: `{BEGIN}` without `{END}`")
    return regions


def _target_names(target: ast.expr) -> list[str]:
    "Plain names bound by an assignment target (`a`, `a, b`, `(a, *b)`); attributes and subscripts bind none."
    if isinstance(target, ast.Name): return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)): return [n for t in target.elts for n in _target_names(t)]
    if isinstance(target, ast.Starred): return _target_names(target.value)
    return []


def _stub_definition(node: ast.AST) -> str:
    "A function or class solution keeps its decorators, signature and docstring; its body becomes `pass`."
    stub = copy.deepcopy(node)
    docstring = ast.get_docstring(node, clean=False)
    stub.body = ([ast.Expr(ast.Constant(docstring))] if docstring else []) + [ast.Pass()]
    return ast.unparse(ast.fix_missing_locations(stub)) + f"  {STUB_COMMENT}"


def stub_lines(solution: list[str]) -> tuple[list[str], list[str]]:
    "The stub for a solution's lines (markers excluded), and the names it stubs."
    indent = re.match(r"\s*", next((l for l in solution if l.strip()), "")).group(0)
    source = textwrap.dedent("\n".join(solution))
    names, stubs = [], []
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics or shell lines: fall back on `name = ...` lines
        tree = None
        for line in source.splitlines():
            match = re.match(r"^([A-Za-z_]\w*)\s*(?:\+|-|\*|/|//|%|\*\*|\||&|\^|@|<<|>>)?=(?!=)", line)
            if match and match.group(1) not in names: names.append(match.group(1))
    for node in (tree.body if tree else []):
        if isinstance(node, ast.Assign): targets = [n for t in node.targets for n in _target_names(t)]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)): targets = _target_names(node.target)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name not in names:
                names.append(node.name)
                stubs.append(("def", node.name, _stub_definition(node)))
            continue
        else: continue
        for name in targets:
            if name not in names: names.append(name); stubs.append(("name", name, None))
    if tree is None: stubs = [("name", n, None) for n in names]
    out = []
    for kind, name, text in stubs:
        if kind == "name": out.append(f"{indent}{name} = ____  {STUB_COMMENT}")
        else: out += [indent + line if line else line for line in text.splitlines()]
    return (out or [f"{indent}pass  {STUB_COMMENT}"]), names


def stub_cell_source(source: str, stubbed_before: set[str] = frozenset()) -> tuple[str, list[str]]:
    "The cell's source with each solution region replaced by its stub, and the names stubbed."
    lines = source.splitlines()
    regions = solution_regions(lines)
    out, names, previous = [], [], 0
    for begin, end in regions:
        out += lines[previous:begin]
        stub, stubbed = stub_lines(lines[begin + 1:end])
        out += stub; names += [n for n in stubbed if n not in names]
        previous = end + 1
    tail = drop_uses_of_stubs("\n".join(lines[previous:]), set(stubbed_before) | set(names))  # e.g. `f(answer), ex1.check()`
    return "\n".join(out + ([tail] if tail else [])), names


# ---------------------------------------------------------------- the rest of the copy

def _directive_name(line: str) -> str | None:
    "The name of an nbdev `#| name ...` directive line, or None."
    match = re.match(r"^#\|\s*([\w-]+)", line)
    return match.group(1) if match else None


def drop_export_directives(source: str) -> str:
    "Remove nbdev's export directives (`#| export`, `#| default_exp ...`, ...) and nbval markers."
    kept = [l for l in source.splitlines() if _directive_name(l) not in EXPORT_DIRECTIVES and not NBVAL_MARKER.match(l)]
    return "\n".join(kept).strip("\n") if kept != source.splitlines() else source


def _loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _calls(node: ast.AST, method: str) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == method]


def drop_uses_of_stubs(source: str, stubbed: set[str]) -> str:
    "Remove, from a cell after the stubs, the top-level statements that cannot run on blank answers (see the module doc)."
    try: tree = ast.parse(source)
    except SyntaxError: return source
    lines = source.splitlines()
    edits = []  # (first line, last line, replacement lines)
    for node in tree.body:
        uses_stub = bool(_loaded_names(node) & stubbed)
        if isinstance(node, ast.Assert) and (uses_stub or _calls(node, "evaluate")):
            edits.append((node.lineno - 1, node.end_lineno - 1, []))
        elif isinstance(node, ast.Expr) and uses_stub:
            checks = [ast.get_source_segment(source, c) for c in _calls(node, "check")
                      if not (_loaded_names(c) & stubbed)]
            indent = " " * node.col_offset
            edits.append((node.lineno - 1, node.end_lineno - 1, [indent + ", ".join(checks)] if checks else []))
    for first, last, replacement in reversed(edits):
        lines[first:last + 1] = replacement
    return "\n".join(lines)

