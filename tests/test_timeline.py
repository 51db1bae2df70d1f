"""The learners' time line (tests/timeline.py): each lesson's `**Time**:` line states its reading, doing and compute
time as computed from the notebook, its exercises and the committed measures, within 10%.

The lessons' lines are rewritten with `python -m tests.timeline --write`; until then `test_lesson_time_line_matches`
fails and says what differs."""
import importlib.machinery
import json
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from tests import timeline as tl

ROOT = Path(__file__).resolve().parent.parent
LESSONS = tl.lessons()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_time_line_matches(lesson):
    timeline = tl.compute(lesson)
    found = tl.problems(tl.current_line(tl.load(lesson)), timeline)
    assert not found, (f"{lesson.name}'s `**Time**:` line is off: {'; '.join(found)}.\n"
                       f"Computed: {timeline.line()}\nRun `python -m tests.timeline --write` and commit.")


def test_every_lesson_has_a_time_line_and_committed_cpu_and_gpu_times():
    "The time line works on a clean clone: every lesson's full-mode times are in committed files."
    cpu, gpu = tl.lesson_seconds(), tl.gpu_seconds()
    for lesson in LESSONS:
        tl.time_cell(tl.load(lesson))
        assert lesson.stem in cpu, f"{lesson.stem} has no full-mode row in nbs/performance.qmd: run `make bench`"
        assert lesson.stem in gpu, f"{lesson.stem} has no full-mode row in tests/bench/gpu_results.csv"


# ---------------------------------------------------------------- reading

def test_prose_words_skip_code_images_urls_and_the_time_line_but_count_tables_and_link_text():
    markdown = ("[![Open in Colab](https://colab.example/badge.svg)](https://colab.example) the lesson\n\n"
                "**Time**: about 50 minutes: many words that do not count.\n\n"
                "Read [the assets page](reference/assets.ipynb) and `asset_path()` now.\n\n"
                "```python\nnot = counted + at_all\n```\n\n"
                "| kind | checked |\n|---|---|\n| do | yes |\n\nSee https://example.org/page <b>bold</b> - done")
    # the lesson / Read the assets page and asset_path() now. / kind checked do yes / See bold done
    assert tl.prose_words(markdown) == 2 + 7 + 4 + 3


def test_code_words_skip_hidden_cells_checkers_directives_and_solutions():
    assert tl.code_words("#| export\ndef f(x):\n    return x + 1") == 6
    assert tl.code_words("#| hide\nimport os, sys") == 0
    assert tl.code_words("#| export checks.setup\ndef _check(a): pass") == 0
    assert tl.code_words('ex1 = Exercise("Exercise 1", "a", _check_a, hints="h", solution="s")') == 0
    assert tl.code_words("# NBVAL_CHECK_OUTPUT\nx = 1\n### BEGIN SOLUTION\nanswer = f(x)\n### END SOLUTION\nex1.check()") == 4


# ---------------------------------------------------------------- doing

def _lesson(markdown: list[str], code: list[str], time_line: str = "**Time**: about 5 minutes.") -> dict:
    cells = [{"cell_type": "markdown", "id": "t0", "metadata": {}, "source": "# A lesson"},
             {"cell_type": "markdown", "id": "t1", "metadata": {}, "source": ["**What you will learn**\n", "\n", f"{time_line}\n", "\n", "More."]}]
    cells += [{"cell_type": "markdown", "id": f"m{i}", "metadata": {}, "source": m} for i, m in enumerate(markdown)]
    cells += [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [], "source": c}
              for i, c in enumerate(code)]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


EXERCISES = _lesson(["**Exercise 1 (do).** Write it.", "**Exercise 2 (predict, then check).** Guess.",
                     "**Exercise 3 (go further).** Try a GPU."],
                    ["from course_utils.checks.demo import ex1, ex2, ex3", "ex1.check()", "ex2.check()", "ex3"])


def test_without_a_checks_module_exercises_are_counted_in_the_notebook_with_default_minutes():
    found = tl.exercises(EXERCISES, "99_nothing_here")
    assert found.kinds == ["do", "predict", "further"] and found.minutes == 10 + 3 + 3
    assert "the notebook" in found.found_in


class _Exercise:  # what the timeline needs of course_utils.exercises.Exercise
    def __init__(self, kind, minutes): self.kind, self.minutes = kind, minutes
    def check(self): pass


@pytest.fixture
def checks_module(monkeypatch):
    "A fake `course_utils.checks.demo` module, for lesson 99_demo."
    module = types.ModuleType("course_utils.checks.demo")
    module.__spec__ = importlib.machinery.ModuleSpec("course_utils.checks.demo", None)
    module.LESSON = "99_demo"
    module.ex1, module.ex2, module.ex3, module.ex10 = _Exercise("do", 15), _Exercise("predict", 4), _Exercise("further", 6), _Exercise("recall", 2)
    monkeypatch.setitem(sys.modules, "course_utils.checks.demo", module)
    return module


def test_the_checks_module_is_preferred_when_it_imports(checks_module):
    found = tl.exercises(EXERCISES, "99_demo")
    assert found.found_in == "course_utils.checks.demo"
    assert found.kinds == ["do", "predict", "further", "recall"] and found.minutes == 27


def test_a_checks_module_of_another_lesson_is_not_used(checks_module):
    checks_module.LESSON = "98_other"
    assert "the notebook" in tl.exercises(EXERCISES, "99_demo").found_in


# ---------------------------------------------------------------- compute and the line

def test_cpu_times_come_from_the_performance_pages_table_and_gpu_times_from_the_csv(tmp_path):
    page = tmp_path / "performance.qmd"
    page.write_text("## Lessons\n\n| lesson | mode | runs | seconds | peak GB | within target |\n|---|---|---|---|---|---|\n"
                    "| 99_demo | fast | 3 | 8.7 | 0.38 | yes |\n| 99_demo | full | 1 | 145.8 | 0.37 | yes |\n\n"
                    "## GPU\n\n| lesson | mode | seconds | lesson's checks passed | note |\n|---|---|---|---|---|\n"
                    "| 99_demo | full | 4.2 | True | not this table |\n")
    assert tl.lesson_seconds(page) == {"99_demo": 145.8}
    assert tl.lesson_seconds(tmp_path / "absent.qmd") == {}
    gpu = tmp_path / "gpu.csv"
    gpu.write_text("lesson,mode,seconds,device\n99_demo,full,52.9,GPU\nllm_gguf_conversion,once,43.9,GPU\n")
    assert tl.gpu_seconds(gpu) == {"99_demo": 52.9}


def test_durations_and_totals_are_rounded_for_learners():
    assert [tl.format_duration(s) for s in (4.2, 8.8, 28.7, 38.5, 52.9, 88.6, 145.8, 458.3)] == \
           ["4 s", "9 s", "30 s", "40 s", "55 s", "1 min", "2 min", "8 min"]
    assert [tl.round_total(m) for m in (4.4, 12.6, 29.4, 31, 48, 91.1)] == [4, 13, 29, 30, 50, 90]


def _timeline(**changes) -> tl.Timeline:
    base = dict(lesson="99_demo", prose_words=3000, code_words=500,
                exercises=tl.Exercises(["do", "do", "predict", "further"], 25, "test"), cpu_s=180.0, gpu_s=60.0)
    return tl.Timeline(**{**base, **changes})


def test_the_line_for_learners():
    assert _timeline().line() == ("**Time**: about 50 minutes: 20 min reading, 25 min for the 4 exercises, and the code "
                                  "runs in 3 min on a laptop CPU (1 min on a GPU).")
    assert _timeline(cpu_s=None, gpu_s=None, exercises=tl.Exercises(["do"], 10, "test")).line() == \
           "**Time**: about 30 minutes: 20 min reading and 10 min for the exercise."
    assert _timeline(cpu_s=38.5, gpu_s=None).line().endswith("and the code runs in 40 s on a laptop CPU.")
    for timeline in (_timeline(), _timeline(prose_words=100, code_words=0, cpu_s=8.8, gpu_s=4.2)):
        assert tl.problems(timeline.line(), timeline) == [], "a computed line matches itself"


def test_a_line_30_percent_off_fails():
    timeline = _timeline()  # 50 minutes: 20 reading, 25 exercises, 3 min CPU, 1 min GPU
    line = timeline.line()
    assert any("total" in p for p in tl.problems(line.replace("about 50", "about 65"), timeline))
    assert any("total" in p for p in tl.problems(line.replace("about 50", "about 35"), timeline))
    assert any("reading" in p for p in tl.problems(line.replace("20 min reading", "26 min reading"), timeline))
    assert any("exercises' minutes" in p for p in tl.problems(line.replace("25 min for", "33 min for"), timeline))
    assert any("CPU" in p for p in tl.problems(line.replace("3 min on a laptop", "4 min on a laptop"), timeline))
    assert any("number of exercises" in p for p in tl.problems(line.replace("the 4 exercises", "the 3 exercises"), timeline))
    assert tl.problems(line.replace("about 50", "about 52"), timeline) == [], "within 10% of the exact 48 minutes passes"


def test_a_line_with_developer_details_or_missing_parts_fails():
    timeline = _timeline()
    found = tl.problems(timeline.line()[:-1] + "; measured by `make bench` on an H200 in fast mode.", timeline)
    assert {"make bench", "H200", "fast mode"} <= {p.split("'")[1] for p in found if "names" in p}
    found = tl.problems("**Time**: about 50 minutes of reading. Measured on a quiet 2-core CPU: 8.7 s in fast mode.", timeline)
    assert any("does not state the exercises" in p for p in found) and any("does not state the CPU time" in p for p in found)
    assert any("reading time (minutes): says 50" in p for p in found), "50 minutes of reading, against 20 computed"


# ---------------------------------------------------------------- writing

def test_write_replaces_only_the_time_paragraph_in_nbdev_format(tmp_path, monkeypatch, capsys):
    path = tmp_path / "99_demo.ipynb"
    old = "**Time**: about 5 minutes of reading. Measured by `make bench`\non a quiet 2-core CPU: 8.7 s."
    nb = _lesson(["Some prose for the reader to read."], ["x = 1", "ex1.check()"], time_line=old)
    tl.save(nb, path)
    monkeypatch.setattr(tl, "lesson_seconds", lambda: {"99_demo": 145.8})
    monkeypatch.setattr(tl, "gpu_seconds", lambda: {"99_demo": 52.9})
    assert tl.main([str(path)]) == 1, "the old line differs"
    assert "DIFFERS" in capsys.readouterr().out
    assert tl.main(["--write", str(path)]) == 0
    written = json.loads(path.read_text())
    assert path.read_text() == json.dumps(written, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    expected = tl.compute(path, {"99_demo": 145.8}, {"99_demo": 52.9}).line()
    assert written["cells"][1]["source"] == ["**What you will learn**\n", "\n", expected + "\n", "\n", "More."], \
        "the rest of the cell, and its list form, are kept"
    assert [c for i, c in enumerate(written["cells"]) if i != 1] == [c for i, c in enumerate(nb["cells"]) if i != 1]
    assert tl.main([str(path)]) == 0 and "matches" in capsys.readouterr().out
    before = path.read_text()
    tl.main(["--write", str(path)])
    assert path.read_text() == before, "writing twice changes nothing"


def test_a_lesson_without_a_time_line_gets_a_clear_error():
    nb = _lesson([], [], time_line="Time: soon")
    with pytest.raises(ValueError, match=r"no `\*\*Time\*\*:` line"):
        tl.time_cell(nb)


# ---------------------------------------------------------------- light and fast

def test_both_checkers_import_no_framework():
    probe = ("import sys, tests.timeline, tests.prose_numbers; "
             "print(','.join(m for m in ('torch', 'tensorflow', 'keras', 'transformers') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() == ""


def test_reading_a_lesson_takes_well_under_a_second():
    for lesson in LESSONS:
        start = time.perf_counter()
        nb = tl.load(lesson)
        sum(tl.prose_words(tl.source(c)) for c in nb["cells"] if c["cell_type"] == "markdown")
        sum(tl.code_words(tl.source(c)) for c in nb["cells"] if c["cell_type"] == "code")
        tl.exercises_from_notebook(nb)
        assert time.perf_counter() - start < 0.5, f"{lesson.name}: reading the notebook took over half a second"
