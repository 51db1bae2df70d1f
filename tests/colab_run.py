"""The runs of `make colab-test` (tests/colab_env.py builds the environment and calls `run_all`).

Every lesson and every student copy in fast mode, each alone in an empty folder, as Colab's /content holds nothing
of the course:
- the lessons with nbval, exactly as `make test` runs them (tests/plugin.py: offline guard, every exercise check
  must pass and earn full marks, the stored outputs of deterministic cells compared);
- the student copies with `test_student_copy_runs_from_an_empty_folder` below: each runs top to bottom with no
  error, and each graded check answers with a kind "Not yet" (the blank earns nothing, and says why).
The time of each run goes to `_build/colabtest/times.csv`; `python -m tests.colab_env run` prints them.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("COURSE_COLABTEST_DIR", ROOT / "_build" / "colabtest"))
STUDENT_RUNS = OUT / "student"


def prepare_all(out: Path = OUT) -> tuple[list[Path], list[Path]]:
    "Fast-mode copies of the lessons and the student copies, each alone in an emptied folder of its own."
    import nbformat
    import papermill
    from tests.prepare_notebooks import prepare, renumber
    from tests.student_copies import STUDENT, lessons
    lesson_runs, student_runs = [], []
    for lesson in lessons():
        lesson_runs.append(prepare(lesson, out / "lessons"))
        target = out / "student" / lesson.stem / lesson.name
        if target.parent.exists(): shutil.rmtree(target.parent)
        target.parent.mkdir(parents=True)
        nb = papermill.execute_notebook(str(STUDENT / lesson.name), None, parameters={"fast": True}, prepare_only=True,
                                        log_output=False, progress_bar=False)
        nbformat.write(renumber(nb), target)
        student_runs.append(target)
    return lesson_runs, student_runs


# library tests that matter most on Colab's versions (transformers 5.15's GGUF conversion), run there too
COLAB_TESTS = ["tests/test_pretrained.py::test_converted_tokenizer_is_written_in_full",
               "tests/test_pretrained.py::test_generation_stops_at_the_end_of_turn_whatever_eos_says",
               "tests/test_assets.py::test_every_required_asset_is_installed_and_verified"]


def run_all(python: Path, out: Path = OUT, pytest_arguments: list[str] = ()) -> int:
    "Prepare, then run every lesson and student copy with `python` (the Colab environment's); writes times.csv."
    prepare_all(out)
    report = out / "junit.xml"
    cache = out / "cache"  # empty, as on a new Colab runtime: the first lesson that needs SmolLM2 converts it
    if cache.exists(): shutil.rmtree(cache)
    env = {**os.environ, "COURSE_COLABTEST_DIR": str(out), "COURSE_CACHE_DIR": str(cache),
           # PyPI's torch 2.11 (the stand-in for Colab's +cpu build, tests/colab_env.py) warns on a machine without a
           # GPU driver, on stderr, which nbgrader's rule grades as an error; Colab's CPU build never says it
           "PYTHONWARNINGS": "ignore:CUDA initialization:UserWarning"}
    env.pop("PYTHONPATH", None)
    command = [str(python), "-m", "pytest", "-c", "tests/pytest.ini", "--rootdir", ".", "-p", "no:cacheprovider",
               "-n", os.environ.get("JOBS", "2"), "--dist", "loadfile", f"--junitxml={report}", "-q",
               str((out / "lessons").relative_to(ROOT)), "tests/colab_run.py", *COLAB_TESTS, *pytest_arguments]
    start = time.time()
    status = subprocess.run(command, cwd=ROOT, env=env).returncode
    rows = times(report)
    with open(out / "times.csv", "w", newline="") as f:
        writer = csv.writer(f); writer.writerow(["notebook", "seconds"]); writer.writerows(sorted(rows.items()))
    for name, seconds in sorted(rows.items()): print(f"colab-test: {name:<40} {seconds:7.1f} s")
    print(f"colab-test: {len(rows)} runs in {time.time() - start:.0f} s")
    return status


def times(report: Path) -> dict[str, float]:
    "Seconds per notebook run (a lesson's nbval cells added up), read from pytest's JUnit report."
    if not report.exists(): return {}
    totals = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name, file = case.get("name", ""), case.get("classname", "") + " " + case.get("name", "")
        if match := re.search(r"lessons[./](\d\d_\w+)", file): key = f"lesson {match.group(1)}"
        elif match := re.search(r"test_student_copy_runs_from_an_empty_folder\[(\d\d_\w+)\]", name): key = f"student {match.group(1)}"
        else: continue
        totals[key] = totals.get(key, 0.0) + float(case.get("time", 0))
    return totals


# ---------------------------------------------------------------- the student copies, as pytest tests
def _student_runs() -> list[Path]:
    return sorted(STUDENT_RUNS.glob("*/*.ipynb"))


def _outputs_text(cell) -> str:
    from tests.assignments import outputs_text
    return outputs_text(cell)


def pytest_generate_tests(metafunc):
    if "student_run" in metafunc.fixturenames:
        metafunc.parametrize("student_run", _student_runs(), ids=lambda p: p.stem)


def test_student_copy_runs_from_an_empty_folder(student_run: Path):
    "The blank student copy runs from its own empty folder; each check says a kind 'Not yet', never a traceback."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(student_run, as_version=4)
    env_before = os.environ.pop("COURSE_EXERCISES_MUST_PASS", None)  # a learner's blank is graded, never an error
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(student_run.parent)}}).execute()
    finally:
        if env_before is not None: os.environ["COURSE_EXERCISES_MUST_PASS"] = env_before
    checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code": continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{student_run.name}: an error in\n{cell.source}\n{_outputs_text(cell)}"
        if re.search(r"\bex\d+\.check\(\)\s*$", cell.source):
            checks += 1
            text = _outputs_text(cell)
            assert "❌ Not yet" in text, f"{student_run.name}: no kind verdict for\n{cell.source}\n{text}"
    assert checks >= 3, f"{student_run.name}: {checks} checks ran"  # the fourth exercise, "go further", has no check
