"""pytest plugin for the course's tests (loaded with `-p tests.plugin`, see tests/pytest.ini).

Before any test or notebook kernel starts, it makes every run offline and strict:
- HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE: Hugging Face libraries never try the hub;
- tests/netguard first on PYTHONPATH: every Python started from here, notebook kernels
  included, fails loudly on a non-loopback connection (and so does this process);
- COURSE_EXERCISES_MUST_PASS=1: in the solved lessons, a failing exercise check is an error;
- COURSE_GRADING=1: each `exN.check()` also returns its points, and the solved lessons' runs are graded the
  way nbgrader grades an autograder cell (`pytest_runtest_makereport` below): each must earn full marks;
- figures use the notebook's inline backend, which needs no display;
- OMP_NUM_THREADS=1: each kernel computes with one thread, as two of them share the cores.
"""
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUARD = ROOT / "tests" / "netguard"

TEST_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "COURSE_EXERCISES_MUST_PASS": "1",
    "COURSE_GRADING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TOKENIZERS_PARALLELISM": "false",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    # two workers run two notebooks at once on 2 cores: one math thread per kernel, or they fight over the cores
    "OMP_NUM_THREADS": "1",
}


def pytest_configure(config):
    os.environ.update(TEST_ENVIRONMENT)
    paths = [str(GUARD)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(GUARD)]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    sys.path.insert(0, str(GUARD))
    import sitecustomize as guard  # noqa: the guard in tests/netguard
    if not hasattr(guard, "NetworkBlockedError"):  # another sitecustomize was imported first
        import importlib.util
        spec = importlib.util.spec_from_file_location("course_netguard", GUARD / "sitecustomize.py")
        guard = importlib.util.module_from_spec(spec); spec.loader.exec_module(guard)
    guard.install()


# ---------------------------------------------------------------- scheduling on the xdist workers
# `--dist loadfile` keeps the cells of one notebook on one worker. Two refinements:
# - each student copy's grading run (tests/test_student_copies.py) is a unit of its own, so those runs spread over the
#   workers beside the lessons' nbval runs, instead of queueing on one worker as one file;
# - the long units (notebooks, browser, accessibility audit, JupyterLab, Colab resolution) are handed out first and the many
#   short tests last, so both workers finish at about the same time.
OWN_UNITS = ("::test_student_copy_is_graded[",)
LONG = ("_build/nbtest/", "::test_student_copy_is_graded[", "test_site_in_browser.py", "test_site_accessibility.py", "test_jupyterlab.py", "test_lab_first_screen.py",
        "test_lab_learner.py", "::test_colab_install_")


def _weight(nodeid: str) -> int:
    return 1 if any(marker in nodeid for marker in LONG) else 0


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: -_weight(item.nodeid))  # stable: a notebook's cells keep their order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile": return None
    from xdist.scheduler import LoadFileScheduling

    class CourseScheduling(LoadFileScheduling):
        "loadfile, with the units above and in collection order (long units first)."
        def _split_scope(self, nodeid: str) -> str:
            if any(marker in nodeid for marker in OWN_UNITS): return nodeid
            return super()._split_scope(nodeid)

    config.option.loadscopereorder = False
    return CourseScheduling(config, log)


# ---------------------------------------------------------------- the solved lessons' runs are grading runs
CHECK_AT_END = re.compile(r"(?:^|\n)(\w+)\.check\(\)\s*$")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    "An nbval cell of a lesson that checks an exercise is graded by nbgrader's rule; less than full marks fails it."
    outcome = yield
    report = outcome.get_result()
    cell, outputs = getattr(item, "cell", None), getattr(item, "test_outputs", None)
    if call.when != "call" or not report.passed or cell is None or outputs is None: return
    match = CHECK_AT_END.search(cell.source)
    lesson = Path(str(item.fspath)).stem
    if not match or "### BEGIN SOLUTION" not in cell.source or not re.match(r"\d\d_", lesson): return
    from tests.assignments import grade_check_outputs
    score, max_score = grade_check_outputs(lesson, match.group(1), outputs)
    if score != max_score:
        report.outcome = "failed"
        report.longrepr = f"{lesson}: {match.group(1)} earns {score} of {max_score} points in the solved lesson"
