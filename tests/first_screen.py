"""What a learner sees first when a lesson opens in JupyterLab or Colab: the title, what you will learn and the
**Time** line, with no nbdev directive and no install code in view (idempotent).

`python -m tests.first_screen` rewrites, in each lesson `nbs/NN_*.ipynb`:

- the Colab install cell (the code cell that reads `COLAB_RELEASE_TAG`), collapsed: its metadata gets
  `"jupyter": {"source_hidden": true}` (JupyterLab and Jupyter Notebook fold its code) and `"cellView": "form"`
  (Colab's form view: the code stays behind a *Show code* link). Its first line becomes a Colab form title,
  `# @title Colab only: ...` (the cell's first comment, moved up): a folded cell shows its first line in
  JupyterLab, and a form's title, on the cell's first line, is what Colab shows of it. The `#| hide` directive
  follows it, where the site build (tests/build_docs.py) reads it too;
- the `#| default_exp ...` cell, moved from the top to just before the first cell that exports (`#| export`,
  `#| exporti`, `#| exports`), below the setup section. nbdev reads it wherever it is: the module and
  `nbdev_export`'s output are the same.

Running it again changes nothing. `--check` lists the lessons it would change (tests/test_lab_first_screen.py
runs it). After it, run `nbdev_export`, `nbdev_clean` and `make student`. settings.ini's
`allowed_cell_metadata_keys` keeps `jupyter` and `cellView` through `nbdev_clean`.
"""
import json
import re
import sys
from pathlib import Path

from tests.colab_badges import _set_source, _source, render, rewrite_lessons

ROOT = Path(__file__).resolve().parent.parent
INSTALL_MARK = "COLAB_RELEASE_TAG"  # the install cell is the code cell that reads it
FORM_TITLE = re.compile(r"^#\s*@title\b")
DEFAULT_TITLE = "Colab only: install the course helpers and the packaged models and data"
EXPORTS = {"export", "exporti", "exports"}


def directive_names(source: str) -> list[str]:
    "The names of the `#| name ...` directive lines at the top of a cell (blank lines skipped, as nbdev does)."
    names = []
    for line in source.splitlines():
        if not line.strip(): continue
        match = re.match(r"^\s*#\s*\|\s*([\w-]+)", line)
        if not match: break
        names.append(match.group(1))
    return names


def install_cell(nb: dict) -> dict | None:
    "The lesson's Colab install cell (the first code cell that reads COLAB_RELEASE_TAG), or None."
    return next((c for c in nb["cells"] if c["cell_type"] == "code" and INSTALL_MARK in _source(c)), None)


def titled(source: str) -> str:
    """The install cell's source with a Colab form title as its first line: its first plain comment, moved up
    (or DEFAULT_TITLE), above its `#|` directives. Unchanged when its first line is already a title."""
    lines = source.split("\n")
    if FORM_TITLE.match(lines[0]): return source
    comment = next((i for i, l in enumerate(lines) if re.match(r"^#(?![|@])\s*\S", l)), None)
    title = DEFAULT_TITLE
    if comment is not None and not any(l.strip() and not l.startswith("#") for l in lines[:comment]):
        title = lines.pop(comment).lstrip("#").strip().rstrip(".")  # a comment above the code: the cell's heading
    return "\n".join([f"# @title {title}"] + lines)


def collapse_install_cell(nb: dict) -> dict:
    "The notebook with its install cell titled and folded in JupyterLab and Colab (in place)."
    cell = install_cell(nb)
    if cell is None: return nb
    _set_source(cell, titled(_source(cell)))
    metadata = cell.setdefault("metadata", {})
    metadata["jupyter"] = {**metadata.get("jupyter", {}), "source_hidden": True}
    metadata["cellView"] = "form"
    return nb


def _exports(cell: dict) -> bool:
    return cell["cell_type"] == "code" and bool(EXPORTS & set(directive_names(_source(cell))))


def move_default_exp(nb: dict, name: str = "notebook") -> dict:
    """The notebook with its `#| default_exp` cell just before its first exporting cell (in place). A cell that
    holds more than directives stays where it is (moving it would move code), and so does one in a lesson that
    exports nothing; both with a warning."""
    cells = nb["cells"]
    found = [c for c in cells if c["cell_type"] == "code" and "default_exp" in directive_names(_source(c))]
    if not found: return nb
    cell = found[0]
    if any(l.strip() and not re.match(r"^\s*#\s*\|", l) for l in _source(cell).splitlines()):
        print(f"{name}: its `#| default_exp` cell holds code too: left where it is", file=sys.stderr)
        return nb
    rest = [c for c in cells if c is not cell]
    target = next((i for i, c in enumerate(rest) if _exports(c)), None)
    if target is None:
        print(f"{name}: `#| default_exp` but no cell exports: left where it is (remove it?)", file=sys.stderr)
        return nb
    nb["cells"] = rest[:target] + [cell] + rest[target:]
    return nb


def expected(lesson: Path) -> str:
    "The lesson's text with its first screen laid out."
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    collapse_install_cell(nb)
    move_default_exp(nb, f"nbs/{lesson.name}")
    return render(nb)


def main(argv: list[str]) -> int:
    return rewrite_lessons(expected, argv, "first screen not laid out",
                           "run `python -m tests.first_screen`, then `nbdev_export`, `nbdev_clean` and `make student`",
                           "every lesson's first screen is already laid out")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
