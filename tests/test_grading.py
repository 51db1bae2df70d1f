"""Grading with nbgrader: lesson 00 graded three ways, as a teacher would (`make assignments`, then
`nbgrader autograde` and `nbgrader generate_feedback` through tests/assignments.py):

- the solved lesson (nbgrader's source version): full marks;
- the blank student copy: zero points, no crash;
- a half-solved copy: exercise 1 right, exercise 2 partly right (case-sensitive fingerprints), exercise 3
  wrong: partial credit, with each question's feedback saying why.
"""
import json
import re

import pytest

from tests.assignments import build, grade, submit
from tests.student_copies import NBS

LESSON = "00_setup"

HALF_SOLVED = {
    "ex1-answer": '''import random

def split_reviews(reviews, seed, test_fraction=0.2):
    shuffled = list(reviews)
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * (1 - test_fraction))
    return shuffled[:cut], shuffled[cut:]''',
    "ex2-answer": '''import hashlib

def is_intact(path, expected_sha256):
    return hashlib.sha256(open(path, "rb").read()).hexdigest() == expected_sha256''',
    "ex3-answer": 'prediction = "a"',
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    "An nbgrader course folder with lesson 00 generated, and three submissions autograded."
    root = tmp_path_factory.mktemp("course")
    release = build([NBS / f"{LESSON}.ipynb"], course=root)[LESSON]
    half = json.loads(release.read_text(encoding="utf-8"))
    for cell in half["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in HALF_SOLVED: cell["source"] = HALF_SOLVED[grade_id]
    (root / "half.ipynb").write_text(json.dumps(half), encoding="utf-8")
    submissions = {"solved": root / "source" / LESSON / f"{LESSON}.ipynb", "blank": release, "half": root / "half.ipynb"}
    results = {}
    for learner, notebook in submissions.items():
        submit(LESSON, learner, notebook, course=root, fast=True)
        results[learner] = grade(LESSON, learner, course=root)
    return root, results


def test_grading_leaves_the_test_environment_as_it_was(course):
    import os
    assert os.environ.get("COURSE_EXERCISES_MUST_PASS") == "1" and os.environ.get("COURSE_GRADING") == "1"


def test_solved_lesson_scores_full_marks(course):
    _, results = course
    solved = results["solved"]
    assert solved["max_score"] == 7 and solved["score"] == 7, solved
    assert all("✅ Correct" in feedback for _, _, feedback in solved["questions"].values())


def test_blank_copy_scores_zero_without_crashing(course):
    _, results = course
    blank = results["blank"]
    assert blank["score"] == 0 and blank["max_score"] == 7
    for grade_id, (score, _, feedback) in blank["questions"].items():
        assert score == 0 and "❌ Not yet" in feedback and "Traceback" not in feedback, (grade_id, feedback)


def test_half_solved_copy_gets_partial_credit_with_reasons(course):
    _, results = course
    half = results["half"]
    scores = {grade_id: score for grade_id, (score, _, _) in half["questions"].items()}
    assert scores == {"ex1": 3, "ex2": 2, "ex3": 0} and half["score"] == 5, half
    feedback = {grade_id: text for grade_id, (_, _, text) in half["questions"].items()}
    assert "✅ Correct" in feedback["ex1"]
    assert "2 of 3 points" in feedback["ex2"] and "upper case" in feedback["ex2"]
    assert "one letter in, one character out" in feedback["ex3"]


def test_feedback_pages_show_each_question(course):
    root, _ = course
    from tests.assignments import api, course_environment
    with course_environment(): result = api(root).generate_feedback(LESSON, "half")
    assert result["success"], result["log"]
    page = (root / "feedback" / "half" / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    assert re.search(r"Score: 5(\.0)? / 7(\.0)?", page), "the feedback page gives the total"
    assert "2 of 3 points" in page and "ex3" in page
