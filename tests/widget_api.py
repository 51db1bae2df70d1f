"""Which ipywidgets names a lesson uses, and whether both ipywidgets 7.7 (Colab) and 8 (JupyterLab) have them.

Colab ships ipywidgets 7.7.1 (tests/colab/pip-freeze.txt); `make lab` installs 8 (requirements/dev.txt).
A widget lesson must work with both. The tests cannot import two ipywidgets in one Python, so the public
API of 7.7.1 is kept in `tests/ipywidgets-7.7.1-api.json` (made once by `python -m tests.widget_api
--refresh`, which needs PyPI: pip installs ipywidgets 7.7.1 into a temporary folder, and a Python with only
that folder added lists its names), while version 8 is read from the installed package.

What is checked, in each lesson's code (the function bodies included): every `widgets.X` (whatever alias
`import ipywidgets as ...` gives) and every `from ipywidgets import X` exists in both versions; every
keyword argument of a widget constructor (`widgets.IntSlider(value=..., continuous_update=...)`) is an
attribute of that class in both; and every attribute used on a variable assigned from a constructor
(`slider.observe`, `output.clear_output`) exists in both.
"""
import ast
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "ipywidgets-7.7.1-api.json"
COLAB_VERSION = "7.7.1"

_LIST_API = """
import inspect, json, ipywidgets
api = {"version": ipywidgets.__version__, "names": {}}
for name in sorted(n for n in dir(ipywidgets) if not n.startswith("_")):
    value = getattr(ipywidgets, name)
    api["names"][name] = sorted(a for a in dir(value) if not a.startswith("_")) if inspect.isclass(value) else None
print(json.dumps(api, indent=0, sort_keys=True))
"""


def installed_api() -> dict:
    "The public API of the ipywidgets installed here: {'version', 'names': {name: class attributes or None}}."
    result = subprocess.run([sys.executable, "-c", _LIST_API], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def colab_api() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def refresh() -> Path:
    "Write the 7.7.1 snapshot (needs PyPI)."
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", folder,
                        f"ipywidgets=={COLAB_VERSION}", "ipython_genutils"], check=True)
        result = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {folder!r})\n{_LIST_API}"],
                                capture_output=True, text=True, check=True)
    api = json.loads(result.stdout)
    assert api["version"] == COLAB_VERSION, api["version"]
    SNAPSHOT.write_text(json.dumps(api, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return SNAPSHOT


def uses(source: str, include_imports: bool = True) -> list[tuple[str, str | None]]:
    """The ipywidgets API a piece of code uses: (name, None) for a module-level name, (class name, attribute) for
    the rest; with `include_imports=False`, what the code does with ipywidgets beyond importing it."""
    try: tree = ast.parse(source)
    except SyntaxError: return []
    modules, direct, instances, found = set(), {}, {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name in ("ipywidgets", "ipywidgets.widgets")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ipywidgets":
            for alias in node.names:
                if alias.name == "*": continue
                if alias.name == "widgets": modules.add(alias.asname or alias.name)
                else:
                    direct[alias.asname or alias.name] = alias.name
                    if include_imports: found.append((alias.name, None))
    if not modules and not direct: return []

    def widget_class(node) -> str | None:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules: return node.attr
        if isinstance(node, ast.Name) and node.id in direct: return direct[node.id]
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and widget_class(node.value.func):
            for target in node.targets:
                if isinstance(target, ast.Name): instances[target.id] = widget_class(node.value.func)
    for node in ast.walk(tree):
        name = widget_class(node)
        if name and (isinstance(node, ast.Attribute) or isinstance(node.ctx, ast.Load)): found.append((name, None))
        if isinstance(node, ast.Call) and (cls := widget_class(node.func)) and cls not in ("interact", "interactive", "interact_manual"):
            found += [(cls, k.arg) for k in node.keywords if k.arg]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in instances:
            found.append((instances[node.value.id], node.attr))
    return sorted(set(found), key=lambda use: (use[0], use[1] or ""))


def missing(found: list[tuple[str, str | None]], api: dict) -> list[str]:
    "The uses that `api` lacks, as `X` or `X.attribute`."
    gaps = []
    for name, attribute in found:
        if name not in api["names"]: gaps.append(name)
        elif attribute and attribute not in (api["names"][name] or []): gaps.append(f"{name}.{attribute}")
    return sorted(set(gaps))


if __name__ == "__main__":
    if "--refresh" in sys.argv: print(f"wrote {refresh()}")
    else: print(json.dumps(installed_api()["version"]))
