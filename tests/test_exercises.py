import pytest

from course_utils.exercises import (Blank, CheckResult, Exercise, ExerciseFailed, Incorrect, ____, assert_checks,
                                    exercises_of)


def _check_square(side, area):
    if not isinstance(area, (int, float)): raise Incorrect("`area` should be a number.")
    if area == 2 * side: raise Incorrect("that is twice the side: multiply the side by itself.", points=0)
    if area == 4 * side: raise Incorrect("that is the perimeter, the length around the square.")
    if area != side * side: raise Incorrect(f"a square of side {side} has area {side * side}, not {area}.")
    return "that's the area."


square = Exercise("Square", ("side", "area"), _check_square, hints=["Think of a tiled floor.", "Multiply."],
                  solution="area = side * side", kind="do", points=2, minutes=2)


@pytest.fixture(autouse=True)
def learner_mode(monkeypatch):
    "A learner's notebook: checks return verdicts, never raise, never return points."
    monkeypatch.delenv("COURSE_EXERCISES_MUST_PASS", raising=False)
    monkeypatch.delenv("COURSE_GRADING", raising=False)


def test_check_with_keywords_passes_and_fails_kindly():
    ok = square.check(side=3, area=9)
    assert ok and isinstance(ok, CheckResult) and "Correct" in repr(ok) and "that's the area" in repr(ok)
    assert (ok.points, ok.max_points) == (2, 2) and "2 of 2 points" in repr(ok)
    bad = square.check(side=3, area=6)
    assert not bad and "twice the side" in bad.message and "Not yet" in repr(bad) and bad.points == 0


def test_partial_credit_is_clamped_and_shown():
    def half(x):
        raise Incorrect("one of two properties holds.", points=1)
    exercise = Exercise("Half", "x", half, hints="h", solution="x = 1", points=2)
    result = exercise.evaluate({"x": 1})
    assert not result and result.points == 1 and "1 of 2 points" in repr(result)
    greedy = Exercise("Greedy", "x", lambda x: (_ for _ in ()).throw(Incorrect("no", points=5)), hints="h", solution="x = 1", points=2)
    assert greedy.evaluate({"x": 1}).points == 2 and not greedy.evaluate({"x": 1})


def test_check_reads_the_callers_variables():
    global side, area
    side, area = 5, 25
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
    assert square.check(side=3, area=9)
    with pytest.raises(ExerciseFailed, match="Not yet"):
        square.check(side=3, area=10)


def test_grading_mode_returns_the_points_for_nbgrader(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_GRADING", "1")
    assert square.check(side=3, area=9) == 2.0
    assert square.check(side=3, area=12) == 0.0
    shown = capsys.readouterr().out
    assert "✅ Correct (Square, 2 of 2 points)" in shown and "❌ Not yet (Square, 0 of 2 points)" in shown


def test_hints_come_in_steps_and_solution_shows_code():
    exercise = Exercise("Steps", "x", lambda x: None, hints=["nudge", "tool"], solution="x = 1")
    first, second, third = exercise.hint(), exercise.hint(), exercise.hint()
    assert "Hint 1 of 2" in repr(first) and "nudge" in repr(first) and "again" in repr(first)
    assert "Hint 2 of 2" in repr(second) and "tool" in repr(second) and repr(third) == repr(second)
    assert "nudge" in repr(exercise.hint(1))
    with pytest.raises(ValueError, match="hints 1 to 2"): exercise.hint(3)
    assert "```python\nx = 1\n```" in repr(exercise.solution()) and "color" in exercise.evaluate({"x": 1})._repr_markdown_()
    assert repr(____) == "____" and isinstance(____, Blank)


def test_go_further_has_no_check_and_no_points():
    further = Exercise("Open", (), None, hints="Try it.", solution="A discussion.", kind="further")
    assert further.points == 0 and not further.evaluate({}) and "open" in further.evaluate({}).message
    assert repr(further.solution()).startswith("Discussion (Open): A discussion.")


def test_assert_checks_accepts_a_good_checker():
    assert_checks(square, {"side": 3, "area": 9},
                  wrong=[{"side": 3, "area": 6}, {"side": 3, "area": 12}, {"side": 3, "area": "9"}, {"side": 3, "area": 10}])


@pytest.mark.parametrize("wrong, message", [
    ([{"side": 3, "area": 6}], "at least 3 typical wrong answers"),
    ([{"side": 3, "area": 10}, {"side": 3, "area": 10}, {"side": 3, "area": 6}], None),
    ([{"side": 3, "area": 6}, {"side": 3, "area": 12}, {"side": 3, "area": 9}], "a wrong answer passed"),
    ([{"side": 3, "area": 6}, {"side": 3, "area": 12}, {"side": "x", "area": 9}], "crashed the checker"),
])
def test_assert_checks_catches_weak_tests_and_checkers(wrong, message):
    with pytest.raises(AssertionError, match=message or "the same message"):
        assert_checks(square, {"side": 3, "area": 9}, wrong=wrong)


def test_assert_checks_catches_a_solution_that_fails_and_an_unstable_checker():
    with pytest.raises(AssertionError, match="the solution does not pass"):
        assert_checks(square, {"side": 3, "area": 10})
    calls = []
    def moody(x):
        calls.append(x)
        raise Incorrect(f"try number {len(calls)}")
    unstable = Exercise("Moody", "x", moody, hints="h", solution="x = 1")
    with pytest.raises(AssertionError):
        assert_checks(unstable, {"x": 1}, wrong=[{"x": 2}, {"x": 3}, {"x": 4}])


@pytest.mark.parametrize("kwargs, error", [
    (dict(answers="x", checker="not callable"), TypeError),
    (dict(answers=(), checker=lambda: None), ValueError),
    (dict(answers="x", checker=lambda x: None, kind="quiz"), ValueError),
    (dict(answers="x", checker=lambda x: None, hints=()), ValueError),
])
def test_exercise_rejects_bad_definitions(kwargs, error):
    with pytest.raises(error):
        Exercise("Bad", **{"hints": "h", "solution": "", **kwargs})


def test_exercises_of_lists_a_lessons_exercises_in_order():
    from course_utils.checks import checks_module
    found = exercises_of(checks_module("00_setup"))
    assert list(found) == ["ex1", "ex2", "ex3", "ex4"] and [e.kind for e in found.values()] == ["do", "do", "predict", "further"]
    with pytest.raises(ValueError, match="the lessons are"): checks_module("99_nothing")
