"""ipywidgets playgrounds: headless they still show something, and they use only what ipywidgets 7.7 (Colab)
and 8 (JupyterLab) both have (see tests/widget_api.py for how the two versions are compared).

A playground cell is a cell (not a definition) that calls `interact`/`interactive`, builds widgets, or calls a
function of the lesson that builds them. Run without a browser (nbval in `make test`, `make outputs`, the site),
a widget shows nothing: so the cell also calls its display function once with the defaults, and that output,
an image, HTML or text, is what the site and the stored notebook show. This is checked on the outputs stored
in the lesson (its full-mode run, executed headless by `make outputs`); the nbval run of `make test` executes
the same cells headless, with ipywidgets 8, and fails on any error."""
import ast
import json
import re
from pathlib import Path

import pytest

from tests import widget_api
from tests.student_copies import lessons

LESSONS = lessons()
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
INTERACT = {"interact", "interactive", "interact_manual"}


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _parses(source: str) -> bool:
    try: ast.parse(source); return True
    except SyntaxError: return False


def _code(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and _parses(_source(c))]


def _widget_imports(nb: dict) -> str:
    "The lesson's top-level imports of ipywidgets, to read any of its code with."
    imports = [ast.unparse(node) for cell in _code(nb) for node in ast.parse(_source(cell)).body
               if isinstance(node, (ast.Import, ast.ImportFrom)) and "ipywidgets" in ast.unparse(node)]
    return "\n".join(imports) + "\n"


def _builders(nb: dict) -> set[str]:
    "Functions the lesson defines whose body builds widgets (imports or uses ipywidgets)."
    names, imports = set(), _widget_imports(nb)
    for cell in _code(nb):
        for node in ast.parse(_source(cell)).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and widget_api.uses(imports + ast.unparse(node), include_imports=False):
                names.add(node.name)
    return names


def _called(node: ast.AST) -> list[str]:
    return [n.func.id if isinstance(n.func, ast.Name) else n.func.attr for n in ast.walk(node)
            if isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute))]


def _shows_something(output: dict) -> bool:
    "An output a page without widgets shows: a stream, an image, HTML, or text that is not just a widget's repr."
    if output.get("output_type") == "stream": return True
    if output.get("output_type") not in ("display_data", "execute_result"): return False
    data = output.get("data", {})
    if set(data) - {"text/plain", WIDGET_VIEW}: return True
    text = "".join(data.get("text/plain", "")).strip()
    if WIDGET_VIEW not in data: return bool(text)
    return bool(text) and not re.match(r"^(\w+)\(", text)  # `VBox(children=...)`: only the widget's repr


def playground_problems(nb: dict) -> list[str]:
    "What is wrong with the lesson's playground cells (empty when nothing is)."
    builders, problems, previous, imports = _builders(nb), [], None, _widget_imports(nb)
    for cell in _code(nb):
        tree = ast.parse(_source(cell))
        statements = [s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))]
        calls = [name for statement in statements for name in _called(statement)]
        builds = any(widget_api.uses(imports + ast.unparse(s), include_imports=False) for s in statements)
        if not (builds or set(calls) & (builders | INTERACT)):
            previous = cell; continue
        shown = [o for c in (previous, cell) if c for o in c.get("outputs", []) if _shows_something(o)]
        first_line = _source(cell).strip().splitlines()[0]
        if not cell.get("outputs"):
            problems.append(f"`{first_line}`: no stored outputs; run `make outputs NB=<the lesson>`")
        elif not shown:
            problems.append(f"`{first_line}`: headless, it shows no output besides the widget (stored outputs; run "
                            "`make outputs` after calling the display function once with its defaults)")
        for statement in statements:
            for call in (n for n in ast.walk(statement) if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", "")) in INTERACT):
                target = call.args[0] if call.args else None
                name = target.id if isinstance(target, ast.Name) else None
                direct = [n for c in (previous, cell) if c for n in _called(ast.parse(_source(c)))]
                if name and direct.count(name) < 1:
                    problems.append(f"`{first_line}`: call `{name}()` once with its defaults, so the page shows its output")
        previous = cell
    return problems


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_playgrounds_show_an_output_headless(lesson):
    problems = playground_problems(json.loads(lesson.read_text(encoding="utf-8")))
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def apis():
    installed = widget_api.installed_api()
    assert installed["version"].startswith("8."), f"JupyterLab's ipywidgets should be 8, not {installed['version']}"
    colab = widget_api.colab_api()
    assert colab["version"] == widget_api.COLAB_VERSION
    return {f"ipywidgets {colab['version']} (Colab)": colab, f"ipywidgets {installed['version']} (make lab)": installed}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_widget_code_runs_on_ipywidgets_7_7_and_8(lesson, apis):
    code = "\n\n".join(_source(c) for c in _code(json.loads(lesson.read_text(encoding="utf-8"))))
    found = widget_api.uses(code)
    gaps = {version: widget_api.missing(found, api) for version, api in apis.items()}
    assert not any(gaps.values()), f"{lesson.name} uses ipywidgets API missing from: {gaps}"


def test_the_checks_catch_what_they_should(apis):
    code = ("import ipywidgets as w\nfrom ipywidgets import interact\n"
            "tags = w.TagsInput(value=['a'])\nslider = w.IntSlider(value=1, description_allow_html=True)\nslider.observe(print)")
    gaps = {version: widget_api.missing(widget_api.uses(code), api) for version, api in apis.items()}
    colab, lab = gaps.values()
    assert colab == ["IntSlider.description_allow_html", "TagsInput"] and lab == [], gaps
    cell = lambda source, outputs=(): {"cell_type": "code", "source": source, "outputs": list(outputs), "metadata": {}}
    figure = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}
    widget = {"output_type": "display_data", "data": {WIDGET_VIEW: {}, "text/plain": "interactive(...)"}}
    silent = {"cells": [cell("from ipywidgets import interact\ndef show(n=3):\n    print(n)"),
                        cell("interact(show, n=(1, 5))", [widget])]}
    assert len(playground_problems(silent)) == 2
    shown = {"cells": [silent["cells"][0], cell("show()\ninteract(show, n=(1, 5))", [figure, widget])]}
    assert playground_problems(shown) == []
    described = {"output_type": "execute_result", "data": {WIDGET_VIEW: {}, "text/plain": "Prompt: hello\nAnswer: hi"}}
    builder = {"cells": [cell("import ipywidgets as widgets\ndef panel():\n    return widgets.VBox([])"),
                         cell("panel()", [described])]}
    assert playground_problems(builder) == [], "a widget whose text says what it shows is fine"
    builder["cells"][1]["outputs"] = [widget]
    assert len(playground_problems(builder)) == 1
