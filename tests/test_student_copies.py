"""Student copies (`make student`): up to date with the lessons, stubbed as documented in
tests/student_copies.py, and every copy runs from top to bottom (papermill, fast=True, offline,
COURSE_EXERCISES_MUST_PASS unset) with each exercise check saying "❌ Not yet" kindly, never a traceback.

Each `test_student_copy_runs[...]` is a unit of its own for pytest-xdist (tests/plugin.py), so the
student copies run beside the lessons' nbval runs in the same pool of workers."""
import json
import re
from pathlib import Path

import papermill
import pytest

from tests.student_copies import (BEGIN, BLANK_IMPORT, END, NBS, ROOT, STUDENT, lessons, out_of_date, render,
                                  solution_regions, student_notebook)

LESSONS = lessons()
RUNS = ROOT / "_build" / "student_run"
CHECK_CALL = re.compile(r"\b\w+\.check\(\)")
VERDICT = re.compile(r"(✅ Correct|❌ Not yet) \(([^)]*)\): ?(.*)")


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _notebook(cells: list[tuple[str, str]]) -> dict:
    return {"cells": [{"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": text,
                       **({"outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}], "execution_count": 3}
                          if kind == "code" else {})} for i, (kind, text) in enumerate(cells)],
            "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}


def test_student_copies_are_up_to_date():
    stale = out_of_date()
    assert not stale, f"_student/ is out of date with the lessons ({', '.join(stale)}): run `make student` and commit _student/"


def test_stubs_replace_each_kind_of_solution():
    nb = _notebook([
        ("code", "#| default_exp demo"),
        ("code", "#| export\ndef helper(x): return x\n\nex1 = 'an exercise'"),
        ("markdown", "## Exercises"),
        ("markdown", "**Exercise 1.** Do it."),
        ("code", f"data = [3, 1, 2]\n{BEGIN}\nordered = sorted(data)\nfirst, *rest = ordered\ntotal = 0\ntotal += first\n{END}\nex1.check()"),
        ("code", f"{BEGIN}\n@staticmethod\ndef scale(x: float, by: float = 2.0) -> float:\n    'Scale x.'\n    return x * by\n{END}\nex2.check()"),
        ("code", f"{BEGIN}\nprint('no assignment')\n{END}\nex3.check()"),
        ("code", f"{BEGIN}\npattern = r'\\d+'\n{END}\nre.findall(pattern, 'a1'), ex5.check()"),
        ("code", f"def inner():\n    {BEGIN}\n    value = 42\n    {END}\n    return value\nscale(ordered), ex4.check()"),
        ("code", "# NBVAL_CHECK_OUTPUT\nassert all(ex.evaluate(globals()) for ex in (ex1,))\nassert total == 1\nassert len(data) == 3\nprint(ordered)\nlen(data)"),
    ])
    copy = student_notebook(nb)
    sources = [_source(c) for c in copy["cells"]]
    assert sources[0] == "def helper(x): return x\n\nex1 = 'an exercise'", "export directives removed, empty cell dropped"
    assert sources[1:4] == ["## Exercises", BLANK_IMPORT, "**Exercise 1.** Do it."], "the blank is imported before the first exercise"
    assert sources[4] == ("data = [3, 1, 2]\nordered = ____  # your code here\nfirst = ____  # your code here\n"
                          "rest = ____  # your code here\ntotal = ____  # your code here\nex1.check()")
    assert sources[5] == ("@staticmethod\ndef scale(x: float, by: float=2.0) -> float:\n    \"\"\"Scale x.\"\"\"\n"
                          "    pass  # your code here\nex2.check()")
    assert sources[6] == "pass  # your code here\nex3.check()"
    assert sources[7] == "pattern = ____  # your code here\nex5.check()", "a use of the answer beside its check goes"
    assert sources[8] == "def inner():\n    value = ____  # your code here\n    return value\nex4.check()"
    assert sources[9] == "assert len(data) == 3\nlen(data)", "asserts and displays of the answers removed, the rest kept"
    code = [c for c in copy["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), "outputs stripped"
    assert _source(nb["cells"][4]).count(BEGIN) == 1, "the lesson itself is left unchanged"


def test_unpaired_solution_markers_are_reported():
    with pytest.raises(ValueError, match="without"):
        solution_regions([BEGIN, "x = 1"])


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_student_copy_keeps_the_lesson_but_its_solutions(lesson):
    original = json.loads(lesson.read_text(encoding="utf-8"))
    copy = json.loads((STUDENT / lesson.name).read_text(encoding="utf-8"))
    prose = lambda nb: [_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert prose(copy) == prose(original), "every markdown cell is kept, in order"
    text = "\n".join(_source(c) for c in copy["cells"])
    assert BEGIN not in text and END not in text, "solution markers removed"
    assert not re.search(r"^#\|\s*(export|exporti|exports|default_exp)\b", text, re.M), "nothing exports from a student copy"
    original_text = "\n".join(_source(c) for c in original["cells"])
    assert len(CHECK_CALL.findall(text)) == len(CHECK_CALL.findall(original_text)), "every exN.check() is kept"
    regions = sum(len(solution_regions(_source(c).splitlines())) for c in original["cells"] if c["cell_type"] == "code")
    assert regions >= 3 and text.count("# your code here") >= regions, "each solution became a stub"
    code = [c for c in copy["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code), "outputs stripped"
    assert _source(code[0]).startswith("#| hide") and "COLAB_RELEASE_TAG" in _source(code[0]), "the Colab install cell comes first"
    assert any("parameters" in c["metadata"].get("tags", []) for c in code), "the parameters cell keeps its tag"
    kept = {k: v for k, v in original["metadata"].items() if k != "widgets"}
    assert copy["metadata"] == kept, "notebook metadata (kernel, Colab accelerator) kept, saved widget state dropped"


def _outputs_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream": parts.append("".join(output["text"]))
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append("".join(output["data"].get("text/plain", "")))
        elif output["output_type"] == "error": parts.append("\n".join(output["traceback"]))
    return "\n".join(parts)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_student_copy_runs(lesson, monkeypatch):
    "The student copy runs top to bottom; every check answers '❌ Not yet' with a friendly message."
    monkeypatch.delenv("COURSE_EXERCISES_MUST_PASS", raising=False)  # a learner's checks never raise
    RUNS.mkdir(parents=True, exist_ok=True)
    output = RUNS / lesson.name
    try:
        papermill.execute_notebook(str(STUDENT / lesson.name), str(output), parameters={"fast": True}, cwd=str(NBS),
                                   kernel_name="python3", execution_timeout=600, progress_bar=False, log_output=False)
    except papermill.PapermillExecutionError as error:
        pytest.fail(f"_student/{lesson.name} fails at cell {error.exec_count} ({error.ename}: {error.evalue}):\n{error.source}",
                    pytrace=False)
    executed = json.loads(output.read_text(encoding="utf-8"))
    checks = 0
    for cell in executed["cells"]:
        if cell["cell_type"] != "code": continue
        text = _outputs_text(cell)
        assert "Traceback (most recent call last)" not in text, f"a traceback in:\n{_source(cell)}\n{text}"
        if not CHECK_CALL.search(_source(cell)): continue
        verdicts = VERDICT.findall(text)
        assert verdicts, f"no check verdict shown for:\n{_source(cell)}\n{text}"
        for verdict, exercise, message in verdicts:
            checks += 1
            assert verdict == "❌ Not yet", f"{exercise} passes on the blank stub: {message}"
            assert len(message.strip()) > 10 and "Traceback" not in message, f"{exercise}: unfriendly message {message!r}"
    original = json.loads(lesson.read_text(encoding="utf-8"))
    regions = sum(len(solution_regions(_source(c).splitlines())) for c in original["cells"] if c["cell_type"] == "code")
    assert checks >= regions, f"{checks} checks answered, for {regions} exercises"
