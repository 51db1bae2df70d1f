import pytest

from course_utils.exercises import (Blank, CheckResult, Exercise, ExerciseFailed, Incorrect, ____,
                                    assert_checks)


def _check_square(side, area):
    if area != side * side: raise Incorrect(f"a square of side {side} has area {side * side}, not {area}.")
    return "that's the area."


square = Exercise("Square", ("side", "area"), _check_square, hint="Multiply.", solution="area = side * side")


def test_check_with_keywords_passes_and_fails_kindly(monkeypatch):
    monkeypatch.delenv("COURSE_EXERCISES_MUST_PASS", raising=False)
    ok = square.check(side=3, area=9)
    assert ok and isinstance(ok, CheckResult) and "Correct" in repr(ok) and "that's the area" in repr(ok)
    bad = square.check(side=3, area=6)
    assert not bad and "has area 9, not 6" in bad.message and "Not yet" in repr(bad)


def test_check_reads_the_callers_variables(monkeypatch):
    monkeypatch.delenv("COURSE_EXERCISES_MUST_PASS", raising=False)
    global side, area
    side, area = 4, 16
    assert square.check()
    area = ____
    result = square.check()
    assert not result and "replace `____` in `area = ____`" in result.message


def test_missing_variable_and_crashing_checker_give_messages_not_tracebacks():
    assert "define `area` first" in square.evaluate({"side": 2}).message
    crashing = square.evaluate({"side": "x", "area": 3})
    assert not crashing and "raised TypeError" in crashing.message


def test_strict_mode_turns_a_failed_check_into_an_error(monkeypatch):
    monkeypatch.setenv("COURSE_EXERCISES_MUST_PASS", "1")
    assert square.check(side=2, area=4)
    with pytest.raises(ExerciseFailed, match="Not yet"):
        square.check(side=2, area=5)


def test_hint_solution_and_display():
    assert "Multiply" in repr(square.hint()) and "Multiply" in square.hint()._repr_markdown_()
    assert "```python\narea = side * side\n```" in repr(square.solution())
    assert "color" in square.evaluate({"side": 1, "area": 1})._repr_markdown_()
    assert repr(____) == "____" and isinstance(____, Blank)


def test_assert_checks_accepts_a_good_checker():
    assert_checks(square, {"side": 2, "area": 4}, wrong=[{"side": 2, "area": 5}])


def test_assert_checks_catches_a_checker_that_accepts_wrong_answers():
    lenient = Exercise("Lenient", "x", lambda x: None, hint="", solution="x = 1")
    with pytest.raises(AssertionError, match="a wrong answer passed"):
        assert_checks(lenient, {"x": 1}, wrong=[{"x": 2}])


def test_assert_checks_catches_a_solution_that_fails():
    with pytest.raises(AssertionError, match="the solution does not pass"):
        assert_checks(square, {"side": 2, "area": 5})


@pytest.mark.parametrize("kwargs, error", [
    (dict(answers="x", checker="not callable"), TypeError),
    (dict(answers=(), checker=lambda: None), ValueError),
])
def test_exercise_rejects_bad_definitions(kwargs, error):
    with pytest.raises(error):
        Exercise("Bad", hint="", solution="", **kwargs)
