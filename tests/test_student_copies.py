"""Student copies (`make student`): nbgrader's release versions of the lessons (tests/assignments.py).

- they are up to date with the lessons;
- they leak nothing: no checker, no expected value, no solution line, no `.solution()` call;
- every copy, blank, is graded by `nbgrader autograde` (its one run, fast=True, offline): it runs top to
  bottom, scores zero, and every question gets a kind "❌ Not yet" verdict as feedback, never a traceback.

Each `test_student_copy_is_graded[...]` is a unit of its own for pytest-xdist (tests/plugin.py), so the
grading runs spread over the workers beside the lessons' nbval runs."""
import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

from course_utils.checks import CHECKS
from course_utils.exercises import exercises_of
from tests.assignments import build, grade, out_of_date, outputs_text, source_notebook, submit
from tests.student_copies import BEGIN, END, NBS, ROOT, STUDENT, lessons, solution_regions, stub_cell_source

LESSONS = lessons()
VERDICT = re.compile(r"(✅ Correct|❌ Not yet) \(([^)]*)\): ?(.*)")


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _copy(lesson: Path, folder: Path = STUDENT) -> dict:
    return json.loads((folder / lesson.name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    "nbgrader's release version of every lesson, generated afresh in a temporary course folder."
    return build(course=tmp_path_factory.mktemp("course"))


def test_student_copies_are_up_to_date(releases):
    stale = out_of_date(releases)
    assert not stale, f"_student/ is out of date with the lessons ({', '.join(stale)}): run `make student` and commit _student/"


def test_stubs_keep_signatures_and_checks():
    source = f"data = [3, 1, 2]\n{BEGIN}\nordered = sorted(data)\nfirst, *rest = ordered\n{END}\nex1.check()"
    stubbed, names = stub_cell_source(source)
    assert stubbed == ("data = [3, 1, 2]\nordered = ____  # your code here\nfirst = ____  # your code here\n"
                       "rest = ____  # your code here\nex1.check()") and names == ["ordered", "first", "rest"]
    with pytest.raises(ValueError, match="without"):
        solution_regions([BEGIN, "x = 1"])


def test_source_version_splits_answer_and_check_cells():
    nb = source_notebook(NBS / "00_setup.ipynb")
    graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert [_source(c) for c in graded] == ["ex1.check()", "ex2.check()", "ex3.check()"]
    assert [c["metadata"]["nbgrader"]["points"] for c in graded] == [3, 3, 1]
    assert len(answers) == 3 and all(BEGIN in _source(c) and ".check()" not in _source(c) for c in answers)
    assert not any(re.search(r"^#\|\s*(export|default_exp)", _source(c), re.M) for c in nb["cells"] if c["cell_type"] == "code")


def _shared_runs(checker: str, code: str, length: int = 3) -> list[str]:
    "Runs of `length` consecutive non-trivial checker lines found in `code`, and single lines that raise `Incorrect`."
    lines = [l.strip() for l in checker.splitlines()[1:] if len(l.strip()) >= 12]
    code_lines = {l.strip() for l in code.splitlines()}
    runs = [" / ".join(lines[i:i + length]) for i in range(len(lines) - length + 1)
            if all(l in code_lines for l in lines[i:i + length])]
    return runs + [l for l in lines if "Incorrect(" in l and l in code_lines]


def _leaks(lesson: Path, folder: Path = STUDENT) -> list[str]:
    "What the student copy of `lesson` gives away: solution lines, checker names or source, secrets, solution calls."
    copy = _copy(lesson, folder)
    text = "\n".join(_source(c) for c in copy["cells"])
    code = "\n".join(_source(c) for c in copy["cells"] if c["cell_type"] == "code")
    found = []
    module = importlib.import_module(f"course_utils.checks.{CHECKS[lesson.stem]}")
    for name, exercise in exercises_of(module).items():
        for line in exercise._solution.splitlines():
            line = line.strip()
            if len(line) >= 12 and not line.startswith(("#", "def ", "class ", "import ", "from ", '"', "'")) and line in code:
                found.append(f"{name}: solution line {line!r}")
        for secret in exercise.secrets:
            if secret in text: found.append(f"{name}: secret {secret!r}")
        if exercise.checker is not None:
            if exercise.checker.__name__ != "<lambda>" and exercise.checker.__name__ in text:
                found.append(f"{name}: checker name {exercise.checker.__name__}")
            found += [f"{name}: checker code {run!r}" for run in _shared_runs(inspect.getsource(exercise.checker), code)]
    if re.search(r"\bex\w*\.solution\(\)", code): found.append("a cell shows a solution (`.solution()`)")
    if BEGIN in text or END in text: found.append("solution markers")
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_student_copy_leaks_nothing(lesson):
    leaks = _leaks(lesson)
    assert not leaks, f"_student/{lesson.name} gives away:\n" + "\n".join(leaks)


def test_leak_scan_finds_a_planted_solution(tmp_path):
    "The scan can fail: a solution line planted in a copy of lesson 00's student copy is found."
    planted = _copy(NBS / "00_setup.ipynb")
    planted["cells"].append({"cell_type": "code", "execution_count": None, "id": "planted", "metadata": {}, "outputs": [],
                             "source": "random.Random(seed).shuffle(shuffled)\nex1.solution()"})
    (tmp_path / "00_setup.ipynb").write_text(json.dumps(planted), encoding="utf-8")
    leaks = _leaks(NBS / "00_setup.ipynb", folder=tmp_path)
    assert any("solution line" in leak for leak in leaks) and any(".solution()" in leak for leak in leaks), leaks


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_student_copy_is_graded(lesson, tmp_path):
    "The blank copy, graded by nbgrader: it runs, scores zero, and each question gets a kind verdict as feedback."
    course = tmp_path / "course"
    build([lesson], course=course)
    submit(lesson.stem, "blank", STUDENT / lesson.name, course=course, fast=True)
    result = grade(lesson.stem, "blank", course=course)
    graded = json.loads((course / "autograded" / "blank" / lesson.stem / lesson.name).read_text(encoding="utf-8"))
    for cell in graded["cells"]:
        if cell["cell_type"] == "code":
            text = outputs_text(cell)
            assert "Traceback (most recent call last)" not in text and "Error" not in "".join(
                o.get("ename", "") for o in cell.get("outputs", [])), f"an error in:\n{_source(cell)}\n{text}"
    assert result["questions"], f"{lesson.name}: no graded question"
    for grade_id, (score, max_score, feedback) in result["questions"].items():
        verdicts = VERDICT.findall(feedback)
        assert verdicts and verdicts[0][0] == "❌ Not yet", f"{lesson.name} {grade_id}: no kind verdict: {feedback!r}"
        assert len(verdicts[0][2].strip()) > 10, f"{lesson.name} {grade_id}: unfriendly message {feedback!r}"
        assert score == 0, f"{lesson.name} {grade_id}: the blank earns {score} points"
    assert result["score"] == 0 and result["max_score"] > 0
