import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

from course_utils import zero_shot as Z
from course_utils.datasets import REVIEW_LABELS

matplotlib.use("Agg")
PROMPT = "Review: {text}\nSentiment (positive or negative):"
ANSWERS = {"rotten": " negative", "fresh": " positive"}
REVIEWS = ["A masterpiece: moving, funny and beautifully shot.", "Dull, shapeless and far too long."]


def test_importing_the_module_loads_no_framework():
    code = "import sys, course_utils.zero_shot; print(sorted(m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


# --- the emotions set ---------------------------------------------------------------------------------------------

def test_load_emotions_gives_a_balanced_labelled_set():
    emotions = Z.load_emotions()
    assert list(emotions.columns) == ["text", "label"] and len(emotions) >= 30
    assert emotions.label.value_counts().to_dict() == {label: len(emotions) // 3 for label in Z.EMOTIONS}
    assert emotions.text.is_unique and (emotions.text.str.len() > 10).all()


def test_load_emotions_rejects_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        Z.load_emotions(tmp_path / "missing.csv")
    (tmp_path / "columns.csv").write_text("sentence,emotion\nHello,happy\n")
    with pytest.raises(ValueError, match="columns text and label"):
        Z.load_emotions(tmp_path / "columns.csv")
    (tmp_path / "empty.csv").write_text('text,label\n"   ",happy\n')
    with pytest.raises(ValueError, match="empty text"):
        Z.load_emotions(tmp_path / "empty.csv")


# --- softmax, labels and templates --------------------------------------------------------------------------------

def test_softmax_gives_probabilities_sharpened_by_the_temperature():
    scores = np.array([[0.30, 0.20, 0.10], [1.0, 1.0, 1.0]])
    warm, cold = Z.softmax(scores), Z.softmax(scores, temperature=0.05)
    assert np.allclose(warm.sum(1), 1) and np.allclose(cold.sum(1), 1)
    assert (warm.argmax(1) == cold.argmax(1)).all() and cold[0, 0] > warm[0, 0]
    assert np.allclose(cold[1], 1 / 3) and np.allclose(Z.softmax(scores + 1000), warm)


@pytest.mark.parametrize("temperature", [0, -1, True, "0.1", None])
def test_softmax_rejects_bad_temperatures(temperature):
    with pytest.raises(ValueError, match="temperature"):
        Z.softmax([1.0, 2.0], temperature)


def test_label_descriptions_use_the_template_or_the_dict():
    assert Z.label_descriptions(["happy", "sad"], "The writer feels {}.") == ["The writer feels happy.", "The writer feels sad."]
    assert Z.label_descriptions(Z.REVIEW_LABEL_DESCRIPTIONS) == list(Z.REVIEW_LABEL_DESCRIPTIONS.values())


@pytest.mark.parametrize("labels, template, error, message", [
    ([], "{}", ValueError, "at least"),
    ("happy", "{}", TypeError, "not the string"),
    (["happy", "happy"], "{}", ValueError, "more than once"),
    (["happy", ""], "{}", ValueError, "non-empty"),
    (["happy", 3], "{}", ValueError, "non-empty"),
    ({"happy": "I am happy.", "sad": " "}, "{}", ValueError, "description"),
    (["happy", "sad"], "This text is about emotions.", ValueError, r"\{\} exactly once"),
    (["happy", "sad"], "{} or {}", ValueError, r"\{\} exactly once"),
])
def test_labels_and_templates_are_checked(labels, template, error, message):
    with pytest.raises(error, match=message):
        Z.zero_shot_embeddings(["I am so happy today."], labels, template)


# --- zero-shot by embeddings --------------------------------------------------------------------------------------

def test_zero_shot_embeddings_returns_one_probability_row_per_text():
    texts = ["I'm furious, they lied to me again!", "My dog died this morning.", "We won the final!"]
    probabilities = Z.zero_shot_embeddings(texts, Z.EMOTIONS, Z.EMOTION_TEMPLATE)
    assert probabilities.shape == (3, 3) and np.allclose(probabilities.sum(1), 1)
    assert list(np.array(Z.EMOTIONS)[probabilities.argmax(1)]) == ["angry", "sad", "happy"]


def test_review_descriptions_follow_the_label_order_and_work():
    assert tuple(Z.REVIEW_LABEL_DESCRIPTIONS) == REVIEW_LABELS  # 0 = rotten, 1 = fresh, as lesson 04 expects
    probabilities = Z.zero_shot_embeddings(REVIEWS, Z.REVIEW_LABEL_DESCRIPTIONS)
    assert probabilities.shape == (2, 2) and list(probabilities.argmax(1)) == [1, 0]


def test_multi_label_scores_each_label_on_its_own():
    texts = ["So happy to be home, but so sad the holiday is over.", "The train leaves at 9:15 from platform 4."]
    probabilities = Z.zero_shot_embeddings(texts, Z.EMOTIONS, Z.EMOTION_TEMPLATE, multi_label=True)
    assert probabilities.shape == (2, 3) and ((probabilities > 0) & (probabilities < 1)).all()
    assert (probabilities[0, :2] > 0.5).all() and (probabilities[1] < 0.5).all()
    assert Z.zero_shot_embeddings(texts, ["sad"], Z.EMOTION_TEMPLATE, multi_label=True).shape == (2, 1)


@pytest.mark.parametrize("texts, options, error", [
    ([], {}, ValueError), ("one text", {}, TypeError), (["fine", ""], {}, ValueError),
    (["fine"], {"temperature": 0}, ValueError), (["fine"], {"threshold": 2}, ValueError)])
def test_zero_shot_embeddings_rejects_bad_input(texts, options, error):
    with pytest.raises(error):
        Z.zero_shot_embeddings(texts, Z.EMOTIONS, **options)


def test_a_single_label_needs_multi_label():
    with pytest.raises(ValueError, match="at least 2"):
        Z.zero_shot_embeddings(["fine"], ["happy"])


# --- zero-shot with the LLM ---------------------------------------------------------------------------------------

def test_label_logprobs_are_batched_exactly():
    batched = Z.label_logprobs(REVIEWS, ANSWERS, PROMPT, batch_size=16)
    one_by_one = np.vstack([Z.label_logprobs([text], ANSWERS, PROMPT, batch_size=1) for text in REVIEWS])
    assert batched.shape == (2, 2) and (batched < 0).all()
    assert np.allclose(batched, one_by_one, atol=1e-3)


def test_label_logprobs_handle_multi_token_answers_and_trailing_spaces():
    words = Z.label_logprobs(REVIEWS, ["negative", "positive", "very positive indeed"], PROMPT + " ")
    spaced = Z.label_logprobs(REVIEWS, [" negative", " positive", " very positive indeed"], PROMPT)
    assert np.allclose(words, spaced, atol=1e-3)
    assert (words[:, 2] < words[:, 1]).all()  # four tokens are less probable than one


@pytest.mark.parametrize("texts, labels, prompt, options, message", [
    (REVIEWS, ANSWERS, "Review: {review}", {}, r"\{text\} exactly once"),
    (REVIEWS, ANSWERS, "{text} {text}", {}, r"\{text\} exactly once"),
    (["fine", "  "], ANSWERS, PROMPT, {}, "non-empty"),
    (REVIEWS, [" positive", " positive"], PROMPT, {}, "more than once"),
    (REVIEWS, [], PROMPT, {}, "at least"),
    (REVIEWS, ANSWERS, PROMPT, {"batch_size": 0}, "batch_size"),
])
def test_label_logprobs_reject_bad_input(texts, labels, prompt, options, message):
    with pytest.raises(ValueError, match=message):
        Z.label_logprobs(texts, labels, prompt, **options)


def test_calibrate_divides_out_the_prior():
    probabilities = np.array([[0.30, 0.70], [0.10, 0.90]])
    assert np.allclose(Z.calibrate(probabilities, [0.5, 0.5]), probabilities)
    calibrated = Z.calibrate(probabilities, [0.15, 0.85])
    assert np.allclose(calibrated.sum(1), 1) and list(calibrated.argmax(1)) == [0, 1]
    assert np.allclose(Z.calibrate(probabilities[0], [0.15, 0.85]), calibrated[0])


@pytest.mark.parametrize("probabilities, prior, message", [
    ([[0.3, 0.7]], [0.2, 0.3, 0.5], "one value per label"),
    ([[0.3, 0.7]], [0.0, 1.0], "positive"),
    ([[-1.2, -0.4]], [0.5, 0.5], "softmax"),
    ([[1.0]], [1.0], "at least 2 labels"),
])
def test_calibrate_rejects_bad_input(probabilities, prior, message):
    with pytest.raises(ValueError, match=message):
        Z.calibrate(probabilities, prior)


def test_content_free_prior_and_zero_shot_llm():
    prior = Z.content_free_prior(ANSWERS, PROMPT, ("N/A", ""))
    assert prior.shape == (2,) and np.isclose(prior.sum(), 1)
    raw = Z.zero_shot_llm(REVIEWS, ANSWERS, PROMPT, calibrate=False)
    assert np.allclose(raw, Z.softmax(Z.label_logprobs(REVIEWS, ANSWERS, PROMPT)))
    calibrated = Z.zero_shot_llm(REVIEWS, ANSWERS, PROMPT, content_free=("N/A", ""))
    assert np.allclose(calibrated, Z.calibrate(raw, prior), atol=1e-6)
    with pytest.raises(ValueError, match="content_free"):
        Z.content_free_prior(ANSWERS, PROMPT, [])


# --- evaluation ---------------------------------------------------------------------------------------------------

def test_evaluate_predictions_matches_a_hand_count():
    result = Z.evaluate_predictions(["fresh", "fresh", "rotten", "rotten"], [1, 0, 0, 0], REVIEW_LABELS)
    assert result["n"] == 4 and result["accuracy"] == 0.75
    assert np.isclose(result["macro_f1"], (0.8 + 2 / 3) / 2)
    assert result["confusion"].loc["fresh", "rotten"] == 1 and result["confusion"].to_numpy().sum() == 4
    assert list(result["confusion"].index) == list(REVIEW_LABELS)


@pytest.mark.parametrize("y_true, y_pred, labels, error, message", [
    ([0, 1], [0], REVIEW_LABELS, ValueError, "one prediction per example"),
    ([], [], REVIEW_LABELS, ValueError, "empty"),
    (["fresh"], ["great"], REVIEW_LABELS, ValueError, "neither one of the labels"),
    ([0], [2], REVIEW_LABELS, ValueError, "index"),
    ([True], [0], REVIEW_LABELS, ValueError, "neither"),
    ("fresh", ["fresh"], REVIEW_LABELS, TypeError, "not the string"),
    ([0], [0], ["fresh", "fresh"], ValueError, "more than once"),
])
def test_evaluate_predictions_rejects_bad_input(y_true, y_pred, labels, error, message):
    with pytest.raises(error, match=message):
        Z.evaluate_predictions(y_true, y_pred, labels)


def test_plot_confusion_draws_counts():
    result = Z.evaluate_predictions([0, 1, 1], [0, 1, 0], REVIEW_LABELS)
    figure = Z.plot_confusion(result, title="test")
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert len(texts) == 4 and "1\n100%" in texts and figure.axes[0].get_title() == "test"
    assert Z.plot_confusion(result["confusion"]).axes[0].get_title().startswith("accuracy 0.67")


@pytest.mark.parametrize("confusion, error", [
    (np.eye(2), TypeError), (pd.DataFrame([[1, 2, 3]]), ValueError), (pd.DataFrame([[1, -1], [0, 2]]), ValueError)])
def test_plot_confusion_rejects_bad_input(confusion, error):
    with pytest.raises(error):
        Z.plot_confusion(confusion)


def test_zero_shot_classify_returns_a_table():
    table = Z.zero_shot_classify(REVIEWS, Z.REVIEW_LABEL_DESCRIPTIONS)
    assert list(table.columns) == ["text", "label", "score", "rotten", "fresh"]
    assert list(table.label) == ["fresh", "rotten"] and np.allclose(table[["rotten", "fresh"]].sum(1), 1, atol=1e-3)
    llm = Z.zero_shot_classify(REVIEWS, ANSWERS, method="llm", template=PROMPT, content_free=("",))
    assert list(llm.columns) == ["text", "label", "score", "rotten", "fresh"]


@pytest.mark.parametrize("options, message", [({"method": "nli"}, "method must be"), ({"method": "llm"}, "prompt template")])
def test_zero_shot_classify_rejects_bad_input(options, message):
    with pytest.raises(ValueError, match=message):
        Z.zero_shot_classify(REVIEWS, ANSWERS, **options)


# --- exercises ----------------------------------------------------------------------------------------------------

def test_lesson_02_exercises_live_in_their_checks_module():
    "The checkers moved to `course_utils.checks.zero_shot`; their tests are the cells of nbs/checks/02_zero_shot.ipynb."
    from course_utils.checks import zero_shot as checks
    from course_utils.exercises import exercises_of
    assert checks.LESSON == "02_zero_shot" and not hasattr(Z, "ex1") and not hasattr(Z, "FEAR_POSTS")
    assert list(exercises_of(checks)) == ["ex1", "ex2", "ex3", "ex4", "ex5"] and len(checks.FEAR_POSTS) == 4
    code = "import sys, course_utils.checks.zero_shot; print(sorted(m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
