"""Render the course website into `_site/` (run by `make docs`).

The notebooks are the source. A staged copy in `_build/site/` makes them readable by any
Quarto-compatible renderer: nbdev's own directives (`#| export`, `#| hide`, ...) are removed,
hidden cells dropped, nbval markers stripped, and exercise solutions folded. The root
`_quarto.yml` is used as it is, with only its output folder pointed back at `_site/`; the files it names under
`format: html:` (`css`, `include-*`: the site's accessibility styles and script) are staged beside it.
smalldocs (pure Python) renders it here; where Quarto is installed, `quarto render
_build/site` renders the same staged copy.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
STAGE, SITE = ROOT / "_build" / "site", ROOT / "_site"
NBDEV_DIRECTIVES = ("export", "exporti", "exports", "hide", "default_exp", "eval", "exec_doc", "hide_line", "filter_stream")
NBVAL_MARKERS = re.compile(r"^# NBVAL_\w+\s*$\n?", re.M)


COLAB_FORM_TITLE = re.compile(r"^#\s*@title\b")  # a Colab form's title may come first (tests/first_screen.py)


def _form_title(source: str) -> list[str]:
    "The cell's first line when it is a Colab form title (`# @title ...`), as a list of one line; else []."
    first = source.split("\n", 1)[0]
    return [first] if COLAB_FORM_TITLE.match(first) else []


def directives(source: str) -> list[str]:
    "The `#|` option lines at the top of a cell, after its Colab form title if it has one."
    lines = []
    for line in source.splitlines()[len(_form_title(source)):]:
        if not line.startswith("#|"): break
        lines.append(line)
    return lines


def stage_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    "The cell as the site shows it, or None to drop it."
    if cell.cell_type != "code": return cell
    options = directives(cell.source)
    names = [re.split(r"[\s:]", line[2:].strip())[0] for line in options]
    if "hide" in names or "default_exp" in names: return None
    kept = [line for line, name in zip(options, names) if name not in NBDEV_DIRECTIVES]
    title = _form_title(cell.source)
    body = NBVAL_MARKERS.sub("", "\n".join(title + cell.source.splitlines()[len(title) + len(options):]))
    if "### BEGIN SOLUTION" in body:
        kept += ["#| code-fold: true", '#| code-summary: "Show a solution"']
        body = re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", "", body, flags=re.M)
    cell.source = "\n".join(kept + [body]).strip("\n")
    return cell if cell.source.strip() or cell.get("outputs") else None


def stage(source_root: Path = ROOT, stage_dir: Path = STAGE, site_dir: Path = SITE) -> list[Path]:
    "Copy `_quarto.yml` and the notebooks it renders into `stage_dir`; returns the staged notebooks."
    config = yaml.safe_load((source_root / "_quarto.yml").read_text())
    if stage_dir.exists(): shutil.rmtree(stage_dir)
    stage_dir.mkdir(parents=True)
    config["project"]["output-dir"] = str(site_dir)
    (stage_dir / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    staged = []
    for rel in config["project"]["render"]:
        if not rel.endswith(".ipynb"):  # a Markdown/Quarto page: copied as it is
            (stage_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source_root / rel, stage_dir / rel)
            staged.append(stage_dir / rel)
            continue
        nb = nbformat.read(source_root / rel, as_version=4)
        nb.cells = [c for c in (stage_cell(c) for c in nb.cells) if c is not None]
        target = stage_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        staged.append(target)
    index = "nbs/index.ipynb"
    if index in config["project"]["render"]:  # the site's front page sends readers to the course's index
        (stage_dir / "index.qmd").write_text(f'---\ntitle: "{config["website"]["title"]}"\n---\n\n'
                                             '<meta http-equiv="refresh" content="0; url=nbs/index.html">\n\n'
                                             "[Go to the course](nbs/index.ipynb)\n")
        config["project"]["render"].insert(0, "index.qmd")
        (stage_dir / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    html_options = (config.get("format") or {}).get("html") or {}
    for key in ("css", "include-in-header", "include-before-body", "include-after-body"):  # the site's own files
        for rel in [html_options[key]] if isinstance(html_options.get(key), str) else html_options.get(key) or []:
            rel = rel.get("file") if isinstance(rel, dict) else rel
            if isinstance(rel, str):
                (stage_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source_root / rel, stage_dir / rel)
    for item in (source_root / "nbs").iterdir():  # data and images the pages link to
        if item.is_dir() and item.name in ("data", "images"):
            shutil.copytree(item, stage_dir / "nbs" / item.name)
    return staged


def main() -> int:
    staged = stage()
    print(f"staged {len(staged)} pages in {STAGE.relative_to(ROOT)}")
    smalldocs = Path(sys.executable).parent / "smalldocs"
    result = subprocess.run([str(smalldocs), "render", str(STAGE)])
    if result.returncode == 0:
        pages = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html"))
        print(f"site written to {SITE.relative_to(ROOT)}/: {len(pages)} pages ({', '.join(pages)})")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
