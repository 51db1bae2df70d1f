"""Prepare the lessons for nbval: a copy of each notebook in `_build/nbtest/` with

- papermill's parameters injected (`fast=True`), after the cell tagged `parameters`;
- execution counts renumbered: `nbdev_clean` nulls them but keeps outputs, and nbval then
  rejects every cell with outputs as an "unrun reference cell";
- each lesson (`nbs/NN_*.ipynb`) alone in an empty folder of its own (`_build/nbtest/NN_name/NN_name.ipynb`):
  nbval starts its kernel there, so the lesson runs as on Colab, where the working directory (/content) holds
  nothing of the course; a lesson that reads `data/...` beside itself fails the tests;
- the reference and checks pages with the other files of `nbs/` linked beside them.

Run as `python -m tests.prepare_notebooks [NOTEBOOK ...]` (all lessons by default).
"""
import shutil
import sys
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent
NBS, OUT = ROOT / "nbs", ROOT / "_build" / "nbtest"
PARAMETERS = {"fast": True}


def notebooks() -> list[Path]:
    "Every notebook of the course, lessons and reference pages."
    return sorted(p for p in NBS.rglob("*.ipynb") if not any(part.startswith((".", "_")) for part in p.relative_to(NBS).parts))


def renumber(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    "Give code cells consecutive execution counts (their outputs too), as if just run."
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code": continue
        count += 1
        cell.execution_count = count
        for output in cell.get("outputs", []):
            if "execution_count" in output: output["execution_count"] = count
    return nb


def has_parameters(nb: nbformat.NotebookNode) -> bool:
    return any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)


def is_lesson(source: Path) -> bool:
    return source.parent == NBS and source.name[:2].isdigit()


def target_of(source: Path, out: Path = OUT) -> Path:
    "Where the test copy of `source` goes: a lesson alone in its own folder, other pages as they lie in nbs/."
    rel = source.relative_to(NBS)
    return out / source.stem / source.name if is_lesson(source) else out / rel


def prepare(source: Path, out: Path = OUT) -> Path:
    "Write the test copy of `source` (a lesson: into an emptied folder of its own); returns its path."
    target = target_of(source, out)
    if is_lesson(source) and target.parent.exists(): shutil.rmtree(target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(source, as_version=4)
    if has_parameters(nb):
        nb = papermill.execute_notebook(str(source), None, parameters=PARAMETERS, prepare_only=True,
                                        log_output=False, progress_bar=False)
    nbformat.write(renumber(nb), target)
    return target


def link_data(folder: Path) -> None:
    "Link the non-notebook files of nbs/ (data, images) into the test folder."
    for item in NBS.iterdir():
        if item.suffix == ".ipynb" or item.name.startswith((".", "_")) or item.name == "reference": continue
        link = folder / item.name
        if not link.exists(): link.symlink_to(item)


def main(argv: list[str]) -> int:
    sources = [Path(a).resolve() for a in argv] or notebooks()
    if OUT.exists() and not argv: shutil.rmtree(OUT)
    OUT.mkdir(parents=True, exist_ok=True)
    for source in sources:
        print(f"prepared {prepare(source).relative_to(ROOT)}")
    link_data(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
