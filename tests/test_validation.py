"""course_utils.validation: each rule accepts good values and rejects bad ones with a message that names the
argument, shows the value and says what to do; @validated keeps the ValueError/TypeError the helpers raised."""
import inspect
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from course_utils.validation import (Flag, Integer, NonEmptyStr, Number, OneOf, PositiveInt, Probability, Rule, Seed,
                                     Texts, Timeout, check_texts, validated)


def _one_argument(rule):
    "A function whose only argument `x` follows `rule`; it returns what it receives."
    @validated
    def take(x: rule): return x
    return take


# (rule, good values, [(bad value, exception type, text the message must contain)])
CASES = {
    "Seed": (Seed, [0, 42, 2**32 - 1],
             [(-1, ValueError, "between 0 and 2**32 - 1"), (2**32, ValueError, "2**32"), (1.0, ValueError, "integer"),
              (True, ValueError, "integer"), ("0", ValueError, "integer")]),
    "Probability": (Probability, [0, 0.25, 1, 1.0, np.float64(0.5)],
                    [(30, ValueError, "30% is x=0.3"), (-0.1, ValueError, "between 0 and 1"), ("0.5", ValueError, "probability"),
                     (True, ValueError, "probability"), (None, ValueError, "probability")]),
    "PositiveInt": (PositiveInt, [1, 3, 10**9],
                    [(0, ValueError, "at least 1"), (-2, ValueError, "at least 1"), (2.0, ValueError, "integer"),
                     ("3", ValueError, "integer"), (True, ValueError, "integer"), (np.int64(3), ValueError, "integer")]),
    "NonEmptyStr": (NonEmptyStr, ["a cat", " x "],
                    [("", ValueError, "non-empty string"), ("   ", ValueError, "non-empty string"),
                     (None, ValueError, "non-empty string"), (["a"], ValueError, "non-empty string")]),
    "Flag": (Flag, [True, False], [(1, TypeError, "True or False"), ("no", TypeError, "without quotes"), (None, TypeError, "True or False")]),
    "Timeout(0, 10)": (Timeout(0, 10), [0.5, 1, 10], [(0, ValueError, "above 0 and at most 10"), (11, ValueError, "seconds"),
                                                       ("1", ValueError, "seconds"), (-1, ValueError, "seconds")]),
    "Integer(ge=1, le=1000)": (Integer(ge=1, le=1000), [1, 1000], [(0, ValueError, "between 1 and 1000"), (1001, ValueError, "between 1 and 1000")]),
    "Integer(ge=2)": (Integer(ge=2), [2, 10**6], [(1, ValueError, "an integer of at least 2"), (2.5, ValueError, "integer")]),
    "Number(gt=0, le=5)": (Number(gt=0, le=5), [0.01, 5, 2.5], [(0, ValueError, "above 0 and at most 5"), (5.5, ValueError, "a number"),
                                                                (False, ValueError, "a number")]),
    "Number(ge=0, lt=1)": (Number(ge=0, lt=1), [0, 0.99], [(1, ValueError, "of at least 0 and below 1")]),
    "OneOf('train', 'test')": (OneOf("train", "test"), ["train", "test"], [("Test", ValueError, "one of 'train', 'test'"),
                                                                          (0, ValueError, "x='train'")]),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_accepts_good_values_unchanged(name):
    rule, good, _ = CASES[name]
    take = _one_argument(rule)
    for value in good:
        assert take(value) == value and take(x=value) == value


@pytest.mark.parametrize("name, value, error, text", [(n, *bad) for n, (_, _, cases) in CASES.items() for bad in cases],
                         ids=lambda v: repr(v)[:30])
def test_rule_rejects_bad_values_naming_the_argument_and_the_fix(name, value, error, text):
    take = _one_argument(CASES[name][0])
    with pytest.raises(error) as failure:
        take(value)
    message = str(failure.value)
    assert type(failure.value) is error, "the decorator raises the rule's own type, not pydantic's ValidationError"
    assert message.startswith("x must be "), "the message names the argument"
    assert f"not {value!r}"[:30] in message, "the message shows what was given"
    assert text in message
    assert "For example" in message or "e.g." in message or "Write" in message or "Put" in message, "it says what to do"
    assert "pydantic" not in message and failure.value.__suppress_context__, "no pydantic report in the way"


def test_every_public_rule_carries_a_rule_with_advice():
    for rule in (Seed, Probability, PositiveInt, NonEmptyStr, Flag, Timeout(0, 1), Integer(ge=0), Number(le=1), OneOf("a")):
        rules = [m for m in rule.__metadata__ if isinstance(m, Rule)]
        assert len(rules) == 1 and rules[0].fix, rule


# Texts and check_texts: the behaviour and messages of the lessons' former private _check_texts
TEXT_ERRORS = [("a cat", TypeError, "texts must be a list of strings; wrap a single text in a list: [text]."),
               ([], ValueError, "texts is empty: give at least one text."),
               (["a cat", "  "], ValueError, "every item of texts must be a non-empty string; got '  '."),
               (["a cat", None], ValueError, "every item of texts must be a non-empty string; got None."),
               (5, TypeError, "texts must be a list of strings, not 5.")]


@pytest.mark.parametrize("value, error, message", TEXT_ERRORS, ids=lambda v: repr(v)[:20])
def test_check_texts_keeps_its_messages(value, error, message):
    with pytest.raises(error) as failure:
        check_texts(value)
    assert str(failure.value) == message
    with pytest.raises(error) as failure:
        check_texts(value, "corpus")
    assert str(failure.value) == message.replace("texts", "corpus", 1), "the message names the argument"


@pytest.mark.parametrize("value, error, message", TEXT_ERRORS, ids=lambda v: repr(v)[:20])
def test_texts_rule_uses_check_texts_with_the_argument_name(value, error, message):
    @validated
    def embed(corpus: Texts): return corpus
    with pytest.raises(error) as failure:
        embed(value)
    assert str(failure.value) == message.replace("texts", "corpus", 1)


def test_texts_arrive_as_a_list_from_any_sequence():
    @validated
    def count(texts: Texts, top_k: PositiveInt = 1): return texts
    assert count(("a", "b")) == ["a", "b"] and count(pd.Series(["a", "b"])) == ["a", "b"]
    assert count(t for t in ["a"]) == ["a"] and count(np.array(["a", "b"])) == ["a", "b"]
    assert check_texts(("a",)) == ["a"]


# the decorator
def test_decorator_keeps_name_doc_signature_and_types():
    @validated
    def sample(texts: Texts, size: PositiveInt | None = None, seed: Seed = 0, note: str = "") -> list:
        "Docstring."
        return [texts, size, seed, note]
    assert sample.__name__ == "sample" and sample.__doc__ == "Docstring."
    assert list(inspect.signature(sample).parameters) == ["texts", "size", "seed", "note"]
    assert "Rule('an integer of at least 1')" in str(inspect.signature(sample))
    assert sample(["a"], None, 3, note=5) == [["a"], None, 3, 5], "None where allowed; plain hints are not checked"
    with pytest.raises(ValueError, match=r"^size must be an integer of at least 1 \(or None\), not 0\."):
        sample(["a"], 0)
    with pytest.raises(ValueError, match="^seed must be"):
        sample(["a"], seed=-1)


def test_defaults_are_trusted_and_wrong_calls_get_pythons_message():
    @validated
    def f(a: PositiveInt, b: PositiveInt = 0): return a, b
    assert f(1) == (1, 0), "a default is the author's choice: not checked"
    with pytest.raises(TypeError, match=r"missing 1 required positional argument: 'a'"):
        f()
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'c'"):
        f(1, c=2)


def test_first_bad_argument_is_reported_and_methods_work():
    class Model:
        @validated
        def __init__(self, top_k: PositiveInt = 1, temperature: Number(ge=0, le=5) = 0.0):
            self.top_k, self.temperature = top_k, temperature
    assert Model(3, temperature=2).top_k == 3
    with pytest.raises(ValueError, match="^top_k "):
        Model(0, temperature=9)
    with pytest.raises(ValueError, match="^temperature must be a number between 0 and 5, not 9"):
        Model(1, temperature=9)


def test_custom_rule_fix_and_error_type():
    @validated
    def f(mode: OneOf("fast", "full", fix="Pick fast for a quick run.", error=TypeError)): return mode
    with pytest.raises(TypeError, match=r"^mode must be one of 'fast', 'full', not 'quick'\. Pick fast for a quick run\.$"):
        f("quick")


def test_a_function_without_rules_is_refused():
    with pytest.raises(TypeError, match="found no rule"):
        @validated
        def f(a: int): return a


# the rules applied to the shared modules
def test_load_reviews_declares_its_rules():
    from course_utils.datasets import load_reviews
    for kwargs, message in [(dict(split="dev"), "^split must be one of 'train', 'validation', 'test', 'all', not 'dev'"),
                            (dict(size=0.5), r"^size must be an integer of at least 2 \(or None\), not 0.5. .*size=None"),
                            (dict(seed=-1), "^seed must be an integer between 0 and 2")]:
        with pytest.raises(ValueError, match=message):
            load_reviews(**kwargs)


def test_file_sha256_refuses_a_chunk_size_that_reads_nothing(tmp_path):
    from course_utils.assets import file_sha256
    (tmp_path / "f").write_bytes(b"hello")
    assert file_sha256(tmp_path / "f", 2) == file_sha256(tmp_path / "f")
    with pytest.raises(ValueError, match="^chunk_size must be an integer of at least 1, not 0"):
        file_sha256(tmp_path / "f", 0)


# import cost
def _modules_after(code: str) -> list[str]:
    heavy = ("pydantic", "torch", "tensorflow", "transformers", "pandas")
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print([m for m in {heavy!r} if m in sys.modules])"],
                         capture_output=True, text=True, check=True).stdout
    return eval(out)


def test_importing_stays_light():
    assert _modules_after("import course_utils") == []
    assert _modules_after("import course_utils.validation") == [], "pydantic comes with the first check, not the import"
    assert _modules_after("import course_utils.datasets, course_utils.assets") == []
    first_check = "from course_utils.datasets import load_reviews\ntry: load_reviews('dev')\nexcept ValueError: pass"
    assert _modules_after(first_check) == ["pydantic"], "the first check imports pydantic (and only pydantic)"
