"""Project hygiene: notebooks and library in sync, lessons follow the lesson standard, loose requirements."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LESSONS = sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_nbdev_export_and_clean_change_nothing(tmp_path):
    "Notebooks are the source: exporting and cleaning a copy of the project must not change a file."
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("settings.ini", "_quarto.yml"):
        if (ROOT / name).exists(): shutil.copy(ROOT / name, copy / name)
    for folder in ("nbs", "course_utils"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    before = {f: _snapshot(copy / f) for f in ("nbs", "course_utils")}
    for command in ("nbdev_export", "nbdev_clean"):
        subprocess.run([str(BIN / command)], cwd=copy, check=True, capture_output=True, timeout=120)
    for folder, files in before.items():
        after = _snapshot(copy / folder)
        changed = sorted(f for f in set(files) | set(after) if files.get(f) != after.get(f))
        assert not changed, f"`{'nbdev_export' if folder == 'course_utils' else 'nbdev_clean'}` changed {folder}/{changed}: run `nbdev_export && nbdev_clean` and commit"


def test_lessons_exist():
    assert LESSONS, "no lesson notebooks found in nbs/"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_follows_the_lesson_standard(lesson):
    nb = json.loads(lesson.read_text())
    cells = nb["cells"]
    text = "\n".join("".join(c["source"]) for c in cells)
    assert "".join(cells[0]["source"]).startswith("# "), "the first cell is the title"
    assert f"colab.research.google.com/github/" in text and f"/nbs/{lesson.name}" in text, "Colab badge"
    assert "What you will learn" in text and re.search(r"\*\*Time\*\*", text), "objectives and time estimate"
    for heading in ("## Summary", "## Exercises"):
        assert heading in text, f"missing section {heading}"
    parameters = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1 and re.search(r"^fast\s*=\s*False", "".join(parameters[0]["source"]), re.M)
    assert len(re.findall(r"\bex\d+\s*=\s*Exercise\(|^ex\d+\.check\(\)", text, re.M)) >= 3, "at least three exercises"
    assert re.search(r"^from course_utils\.checks\.\w+ import ", text, re.M), "a lesson imports its exercises in one line"
    assert not re.search(r"(api[_-]?key|token)\s*=\s*['\"][A-Za-z0-9_\-]{16,}", text, re.I), "no secrets in notebooks"


def test_install_requires_leave_colab_frameworks_alone():
    "course_utils must install on Colab without replacing torch, tensorflow, keras, numpy or ipywidgets."
    settings = (ROOT / "settings.ini").read_text()
    requirements = re.search(r"^requirements\s*=\s*(.*)$", settings, re.M).group(1).split()
    for requirement in requirements:
        name = re.split(r"[<>=!~ ;\[]", requirement)[0].lower()
        assert name not in ("torch", "tensorflow", "keras", "ipywidgets"), f"{name} must not be required"
        assert "==" not in requirement and "<" not in requirement, f"no hard pins or caps in setup.py: {requirement}"


def test_the_schedulers_markers_name_tests_that_exist():
    "tests/plugin.py's scheduling markers (own units, long units) must match real tests, or they silently do nothing."
    from tests.plugin import LONG, OWN_UNITS
    sources = {p: p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py")}
    for marker in set(OWN_UNITS) | set(LONG):
        if marker.startswith("::"):
            name = re.escape(marker.strip(":["))
            assert any(re.search(rf"^def {name}\w*\(", s, re.M) for s in sources.values()), f"no test named by {marker!r}"
        elif marker.endswith(".py"):
            assert (ROOT / "tests" / marker).exists(), f"no test file {marker!r}"
