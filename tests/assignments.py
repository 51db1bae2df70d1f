"""Assignments with nbgrader: `make assignments` (and `make student`, `make grade`).

From the lessons (`nbs/NN_name.ipynb`, the solved version) this builds an nbgrader course folder,
`_build/assignments/`:

- `source/NN_name/NN_name.ipynb`: the autograder version. Each exercise's cell is split in two: the
  *answer* cell (nbgrader `solution`, the code between `### BEGIN SOLUTION` and `### END SOLUTION`) and
  the *check* cell (`exN.check()`, an nbgrader autograder cell worth the exercise's points, locked);
  nbdev's export directives and nbval markers are removed;
- `release/NN_name/NN_name.ipynb`: the student version, made by `nbgrader generate_assignment`. nbgrader
  replaces a solution with one fixed stub; what it lacks, this module adds as an nbgrader preprocessor
  (`StubSolutions`, from tests/student_copies.py): one stub line per name the solution defines
  (`name = ____  # your code here`, a function keeps its signature), and later statements that cannot run
  on a blank answer are left out. `_student/` holds these release versions (`make student`);
- `gradebook.db`: nbgrader's gradebook, with every grade cell and its points.

Grading (`make grade LESSON=NN_name`): learners' notebooks go in `submitted/<learner>/NN_name/`, then
`nbgrader autograde` runs them with the course's `nbgrader_config.py`, which sets COURSE_GRADING=1: each
`exN.check()` then shows its verdict and returns the points earned, which nbgrader reads as the cell's
(partial) score. `nbgrader generate_feedback` writes each learner's feedback page.
"""
import ast
import contextlib
import copy
import json
import os
import shutil
import sys
from pathlib import Path

from tests.student_copies import (BLANK_IMPORT, NBS, ROOT, STUDENT, drop_export_directives, drop_uses_of_stubs,
                                  lessons, solution_regions, stub_cell_source)

COURSE = ROOT / "_build" / "assignments"
COURSE_ID = "pretrained-course"
CONFIG = '''# nbgrader configuration of the course (written by tests/assignments.py)
import os, sys
sys.path.insert(0, {root!r})
os.environ["COURSE_GRADING"] = "1"  # exN.check() returns the points it gives, for nbgrader
os.environ.pop("COURSE_EXERCISES_MUST_PASS", None)  # a learner's wrong answer is graded, never an error
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
c = get_config()
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {course!r}
c.Execute.timeout = 900
c.Execute.allow_errors = True
from tests.assignments import generate_preprocessors
c.GenerateAssignment.preprocessors = generate_preprocessors()
'''


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def checks_module_name(nb: dict) -> str | None:
    "The `course_utils.checks.<name>` module a lesson imports its exercises from, or None."
    for cell in nb["cells"]:
        if cell["cell_type"] != "code": continue
        try: tree = ast.parse(_source(cell))
        except SyntaxError: continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils.checks."):
                return node.module
    return None


def exercise_points(nb: dict) -> dict[str, float]:
    "{variable name: points} of the exercises the lesson imports."
    import importlib
    from course_utils.exercises import exercises_of
    module = checks_module_name(nb)
    return {name: ex.points for name, ex in exercises_of(importlib.import_module(module)).items()} if module else {}


def _split_checks(source: str) -> tuple[str, list[str]]:
    "Split the trailing top-level `exN.check()` statements off a solution cell: (answer part, [exercise names])."
    tree = ast.parse(source)
    lines, names, cut = source.splitlines(), [], None
    for node in reversed(tree.body):
        call = node.value if isinstance(node, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "check"
                and isinstance(call.func.value, ast.Name)):
            names.insert(0, call.func.value.id); cut = node.lineno - 1
        else: break
    if cut is None: return source, []
    return "\n".join(lines[:cut]).rstrip(), names


def _nbgrader(grade_id: str, solution: bool, grade: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3, "solution": solution}
    if points is not None: meta["points"] = points
    return {"nbgrader": meta}


def source_notebook(lesson: Path) -> dict:
    "The nbgrader source (autograder) version of a lesson: answer and check cells with their metadata."
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    points = exercise_points(nb)
    cells, blank_imported, first_exercise = [], False, None
    for cell in nb["cells"]:
        cell = copy.deepcopy(cell)
        if cell["cell_type"] != "code":
            cells.append(cell); continue
        source = drop_export_directives(_source(cell))
        cell.update(source=source, outputs=[], execution_count=None)
        if not source.strip(): continue
        if "import ____" in source or "import *" in source and "course_utils.exercises" in source: blank_imported = True
        if not solution_regions(source.splitlines()):
            cells.append(cell); continue
        answer, checked = _split_checks(source)
        if not checked: raise ValueError(f"{lesson.name}: a solution cell must end with its `exN.check()`:\n{source}")
        unknown = [n for n in checked if n not in points]
        if unknown: raise ValueError(f"{lesson.name}: {unknown[0]} is not an exercise of {checks_module_name(nb)}.")
        if first_exercise is None: first_exercise = len(cells)
        cell.update(source=answer, metadata={**cell["metadata"], **_nbgrader(f"{checked[0]}-answer", True, False)})
        cells.append(cell)
        for name in checked:
            cells.append({"cell_type": "code", "execution_count": None, "id": f"{cell['id']}-{name}"[:64],
                          "metadata": _nbgrader(name, False, True, points[name]), "outputs": [],
                          "source": f"{name}.check()"})
    if first_exercise is not None and not blank_imported:
        at = first_exercise
        while at > 0 and cells[at - 1]["cell_type"] == "markdown" and not _source(cells[at - 1]).lstrip().startswith("## "): at -= 1
        cells.insert(at, {"cell_type": "code", "execution_count": None, "id": "blank000", "metadata": {}, "outputs": [],
                          "source": BLANK_IMPORT})
    nb["cells"] = cells
    nb.get("metadata", {}).pop("widgets", None)
    return nb


# ---------------------------------------------------------------- what nbgrader lacks, as its preprocessor

def generate_preprocessors() -> list:
    "nbgrader's GenerateAssignment preprocessors, with `StubSolutions` in place of `ClearSolutions`."
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions
    stub = _stub_solutions_class()
    return [stub if p is ClearSolutions else p for p in GenerateAssignment.class_traits()["preprocessors"].default()]


def _stub_solutions_class():
    from nbgrader.preprocessors import ClearSolutions

    class StubSolutions(ClearSolutions):
        "nbgrader's ClearSolutions, with one `name = ____` stub per name a solution defines (tests/student_copies.py)."
        def preprocess(self, nb, resources):
            self._stubbed = set()
            nb, resources = super().preprocess(nb, resources)
            nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.source.strip()]  # e.g. an assert left empty
            return nb, resources

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type != "code": return cell, resources
            if self._stubbed and not solution_regions(cell.source.splitlines()):
                cell.source = drop_uses_of_stubs(cell.source, self._stubbed)
                return cell, resources
            if solution_regions(cell.source.splitlines()):
                cell.source, names = stub_cell_source(cell.source, self._stubbed)
                self._stubbed |= set(names)
            return cell, resources

    return StubSolutions


def __getattr__(name: str):
    if name == "StubSolutions": return _stub_solutions_class()  # imported lazily: nbgrader only where used
    raise AttributeError(name)


# ---------------------------------------------------------------- the course folder

def write_config(course: Path = COURSE) -> Path:
    course.mkdir(parents=True, exist_ok=True)
    path = course / "nbgrader_config.py"
    path.write_text(CONFIG.format(root=str(ROOT), course_id=COURSE_ID, course=str(course)), encoding="utf-8")
    return path


@contextlib.contextmanager
def course_environment():
    "The course's nbgrader configuration sets environment variables for the kernels it starts: undo them after."
    saved = os.environ.copy()
    try: yield
    finally:
        os.environ.clear(); os.environ.update(saved)


def api(course: Path = COURSE):
    "nbgrader's API on the course folder, with the course's configuration (use inside `course_environment()`)."
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH to set up its gradebook
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    config_file = write_config(course)
    config = Config()
    namespace = {"get_config": lambda: config}
    exec(compile(config_file.read_text(), str(config_file), "exec"), namespace)
    return NbGraderAPI(coursedir=CourseDirectory(config=config, root=str(course)), config=config)


def build(selected: list[Path] | None = None, course: Path = COURSE) -> dict[str, Path]:
    "Write the source version of each lesson and run `nbgrader generate_assignment`: {lesson: release notebook}."
    with course_environment():
        return _build(selected, course)


def _build(selected: list[Path] | None, course: Path) -> dict[str, Path]:
    grader, releases = api(course), {}
    for lesson in selected or lessons():
        folder = course / "source" / lesson.stem
        if folder.exists(): shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / lesson.name).write_text(render(source_notebook(lesson)), encoding="utf-8")
        result = grader.generate_assignment(lesson.stem, force=True)
        if not result["success"]: raise RuntimeError(f"nbgrader generate_assignment {lesson.stem} failed:\n{result['log']}")
        releases[lesson.stem] = course / "release" / lesson.stem / lesson.name
    return releases


def render(nb: dict) -> str:
    "A notebook as nbdev_clean writes it: sorted keys, one-space indent, sources as strings."
    for cell in nb["cells"]:
        if isinstance(cell["source"], list): cell["source"] = "".join(cell["source"])
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def student_text(release: Path) -> str:
    "The student copy's text: nbgrader's release version, in the repository's notebook format."
    nb = json.loads(release.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell.pop("attachments", None) if cell["cell_type"] == "code" else None
    return render(nb)


def out_of_date(releases: dict[str, Path], folder: Path = STUDENT) -> list[str]:
    "The student copies that differ from nbgrader's release versions (missing, stale, or without a lesson)."
    present = {p.stem for p in folder.glob("*.ipynb")} if folder.exists() else set()
    stale = [f"{name}.ipynb" for name, release in releases.items()
             if name not in present or (folder / f"{name}.ipynb").read_text(encoding="utf-8") != student_text(release)]
    return sorted(stale + [f"{name}.ipynb (no such lesson)" for name in present - set(releases)])


def write_student_copies(releases: dict[str, Path], folder: Path = STUDENT, prune: bool = True) -> None:
    "Write the release versions into `folder`; with `prune`, remove copies of lessons that no longer exist."
    folder.mkdir(parents=True, exist_ok=True)
    if prune:
        for orphan in {p.stem for p in folder.glob("*.ipynb")} - set(releases): (folder / f"{orphan}.ipynb").unlink()
    for name, release in releases.items():
        target, text = folder / f"{name}.ipynb", student_text(release)
        if not target.exists() or target.read_text(encoding="utf-8") != text: target.write_text(text, encoding="utf-8")


def submit(lesson: str, learner: str, notebook: Path, course: Path = COURSE, fast: bool = False) -> Path:
    "Put a learner's notebook where nbgrader collects it (with `fast=True` injected, as the tests run lessons)."
    folder = course / "submitted" / learner / lesson
    if folder.exists(): shutil.rmtree(folder)
    folder.mkdir(parents=True)
    target = folder / f"{lesson}.ipynb"
    if fast:
        import papermill
        nb = papermill.execute_notebook(str(notebook), None, parameters={"fast": True}, prepare_only=True,
                                        log_output=False, progress_bar=False)
        target.write_text(render(json.loads(json.dumps(nb))), encoding="utf-8")
    else: shutil.copy(notebook, target)
    return target


def grade(lesson: str, learner: str, course: Path = COURSE) -> dict:
    "Autograde one submission; returns {'score', 'max_score', 'questions': {grade id: (score, max, feedback)}}."
    with course_environment():
        result = api(course).autograde(lesson, learner, force=True)
    if not result["success"]: raise RuntimeError(f"nbgrader autograde {lesson} {learner} failed:\n{result['log']}")
    return grades(lesson, learner, course)


def grades(lesson: str, learner: str, course: Path = COURSE) -> dict:
    "The scores nbgrader stored for a graded submission, with each check cell's verdict as its feedback."
    from nbgrader.api import Gradebook
    graded = json.loads((course / "autograded" / learner / lesson / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    feedback = {}
    for cell in graded["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and cell["metadata"]["nbgrader"].get("grade"):
            feedback[grade_id] = outputs_text(cell)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as book:
        submission = book.find_submission_notebook(lesson, lesson, learner)
        questions = {g.name: (g.score, g.max_score, feedback.get(g.name, "")) for g in submission.grades}
        return {"score": submission.score, "max_score": submission.max_score, "questions": questions}


def outputs_text(cell) -> str:
    "A code cell's outputs as text (streams, text/plain of results and displays, tracebacks)."
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream": parts.append("".join(output["text"]))
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append("".join(output["data"].get("text/plain", "")))
        elif output["output_type"] == "error": parts.append("\n".join(output["traceback"]))
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    "`python -m tests.assignments [--student|--check] [LESSON ...]`; `grade LESSON` autogrades every submission."
    if argv[:1] == ["grade"]:
        lesson = argv[1]
        for folder in sorted((COURSE / "submitted").glob(f"*/{lesson}")):
            result = grade(lesson, folder.parent.name)
            print(f"{folder.parent.name}: {result['score']:g} of {result['max_score']:g} points")
        with course_environment(): api().generate_feedback(lesson)
        print(f"feedback: {COURSE / 'feedback'}")
        return 0
    names = [a for a in argv if not a.startswith("--")]
    selected = [NBS / f"{n}.ipynb" for n in names] or None
    releases = build(selected)
    print(f"nbgrader course folder: {COURSE.relative_to(ROOT)} ({len(releases)} assignments: source, release, gradebook.db)")
    if "--check" in argv:
        stale = out_of_date(releases)
        for name in stale: print(f"out of date: _student/{name}")
        if stale: print("run `make student` and commit _student/")
        return 1 if stale else 0
    if "--student" in argv:
        write_student_copies(releases, prune=not names)
        print(f"student copies: {STUDENT.relative_to(ROOT)}/ (the release versions)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# ---------------------------------------------------------------- the solved lessons' test runs, graded

GRADES = ROOT / "_build" / "grades"


def grade_check_outputs(lesson: str, exercise: str, outputs: list) -> tuple[float, float]:
    "Grade the outputs of one `exN.check()` cell of a lesson run with COURSE_GRADING=1, as nbgrader does."
    from nbformat import from_dict
    from nbgrader.utils import determine_grade
    from course_utils.checks import checks_module
    from course_utils.exercises import exercises_of
    points = exercises_of(checks_module(lesson))[exercise].points
    cell = from_dict({"cell_type": "code", "source": f"{exercise}.check()", "outputs": outputs,
                      "metadata": {"nbgrader": {"grade": True, "solution": False, "points": points, "grade_id": exercise}}})
    score, max_score = determine_grade(cell)
    record = GRADES / "solved" / f"{lesson}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    scores = json.loads(record.read_text()) if record.exists() else {}
    scores[exercise] = [score, max_score]
    record.write_text(json.dumps(scores, indent=1, sort_keys=True))
    return score, max_score
