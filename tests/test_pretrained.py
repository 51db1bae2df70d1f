import numpy as np
import pytest
from skimage import data as photos

from course_utils import pretrained as P

CAT = photos.chelsea()


def test_imagenet_labels_are_the_standard_names():
    labels = P.imagenet_labels()
    assert len(labels) == 1000 and labels[281] == "tabby" and labels[967] == "espresso"


def test_models_are_loaded_once_and_random_weights_differ():
    assert P.load_image_model() is P.load_image_model()
    pretrained, random = P.load_image_model(), P.load_image_model(pretrained=False)
    w1, w2 = next(pretrained.parameters()), next(random.parameters())
    assert w1.shape == w2.shape and not (w1 == w2).all()
    assert not pretrained.training


@pytest.mark.parametrize("image, error, message", [
    ([[0, 0, 0]], TypeError, "NumPy array"),
    (np.zeros((32, 32), np.uint8), ValueError, "np.stack"),
    (np.zeros((32, 32, 4), np.uint8), ValueError, r"\(height, width, 3\)"),
    (np.zeros((3, 32, 32), np.uint8), ValueError, "channels last"),
    (np.zeros((32, 32, 3), np.int32), TypeError, "uint8"),
    (np.full((32, 32, 3), 2.0), ValueError, "between 0 and 1"),
    (np.zeros((4, 4, 3), np.uint8), ValueError, "too small"),
])
def test_bad_images_get_clear_errors(image, error, message):
    with pytest.raises(error, match=message):
        P.classify_image(image)


def test_preprocess_gives_nchw_in_minus_one_to_one():
    pixels = P.preprocess_image(CAT)
    assert tuple(pixels.shape) == (1, 3, 224, 224)
    assert -1.0 <= float(pixels.min()) < -0.5 and 0.5 < float(pixels.max()) <= 1.0
    assert P.preprocess_image(CAT.astype(np.float32) / 255).allclose(pixels, atol=1e-5)


def test_classify_image_finds_the_cat_with_sorted_probabilities():
    top = P.classify_image(CAT, top_k=5)
    assert len(top) == 5 and {"tabby", "tiger cat", "Egyptian cat"} & {label for label, _ in top}
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0001


@pytest.mark.parametrize("top_k", [0, -1, 1001, True, 2.0, "3"])
def test_classify_image_rejects_bad_top_k(top_k):
    with pytest.raises(ValueError, match="top_k"):
        P.classify_image(CAT, top_k=top_k)


def test_embed_gives_unit_vectors_one_per_text():
    vectors = P.embed(["hello world", "good morning"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)


@pytest.mark.parametrize("texts, error", [([], ValueError), ("a single string", TypeError), (["ok", ""], ValueError),
                                          (["ok", 3], ValueError)])
def test_embed_rejects_bad_texts(texts, error):
    with pytest.raises(error):
        P.embed(texts)


def test_semantic_search_ranks_by_meaning():
    corpus = ["The cat purrs on the mat.", "Stock prices rose today.", "It will rain tomorrow."]
    results = P.semantic_search("Will I need an umbrella?", corpus, top_k=2)
    assert [r["rank"] for r in results] == [1, 2] and results[0]["index"] == 2
    assert results[0]["score"] >= results[1]["score"]


@pytest.mark.parametrize("query, corpus, top_k, error", [
    ("", ["a"], 1, ValueError), ("q", [], 1, ValueError), ("q", ["a"], 0, ValueError), ("q", "a", 1, TypeError)])
def test_semantic_search_rejects_bad_input(query, corpus, top_k, error):
    with pytest.raises(error):
        P.semantic_search(query, corpus, top_k=top_k)


def test_plot_helpers_return_figures_and_validate():
    import matplotlib
    matplotlib.use("Agg")
    figure = P.show_images([CAT, CAT[..., 0]], ["colour", "gray"], columns=2)
    assert len(figure.axes) == 2
    with pytest.raises(ValueError, match="at least one"):
        P.show_images([])
    with pytest.raises(ValueError, match="titles"):
        P.show_images([CAT], ["a", "b"])
    assert P.plot_similarity(np.eye(2), ["a", "b"]).axes
    with pytest.raises(ValueError, match="does not match"):
        P.plot_similarity(np.eye(3), ["a", "b"])


def test_chat_answers_greedily_and_repeatably():
    answer = P.chat("What is the capital of France?", max_new_tokens=12)
    assert "Paris" in answer and answer == P.chat("What is the capital of France?", max_new_tokens=12)


def test_converted_tokenizer_is_written_in_full():
    "The same tokenizer files under every transformers release (5.15, Colab's, once called <|im_start|> the end)."
    import json
    P.load_llm()
    folder = P._llm_cache_folder()
    assert json.loads((folder / "tokenizer_config.json").read_text()) == P.TOKENIZER_CONFIG
    spec = json.loads((folder / "tokenizer.json").read_text())
    assert spec["decoder"]["type"] == "ByteLevel" and spec["model"]["byte_fallback"] is False and spec["normalizer"] is None
    model, tokenizer = P.load_llm()
    assert (tokenizer.eos_token, tokenizer.pad_token, tokenizer.clean_up_tokenization_spaces) == ("<|im_end|>", "<|im_end|>", False)
    assert P.end_token_ids(tokenizer) == [2, 0] and model.generation_config.eos_token_id == [2, 0]


def test_generation_stops_at_the_end_of_turn_whatever_eos_says():
    "Seven tokens for the capital of France, even with a tokenizer that names the wrong end of sequence."
    from course_utils.prompting import generate
    right = generate("What is the capital of France?", details=True)
    assert (right.text, right.new_tokens, right.finish_reason) == ("The capital of France is Paris.", 7, "eos")
    answer = P.chat("What is the capital of France?")
    _, tokenizer = P.load_llm()
    tokenizer.eos_token = "<|im_start|>"  # what transformers 5.15's conversion wrote
    try:
        assert tokenizer.eos_token_id == 1
        again = generate("What is the capital of France?", details=True)
        assert (again.text, again.new_tokens, again.finish_reason) == (right.text, 7, "eos")
        assert P.chat("What is the capital of France?") == answer
    finally: tokenizer.eos_token = "<|im_end|>"


def test_llm_is_cached_on_disk_and_in_memory():
    assert P.load_llm() is P.load_llm()
    assert (P._llm_cache_folder() / "config.json").is_file()


@pytest.mark.parametrize("kwargs, error", [
    (dict(prompt=""), ValueError), (dict(prompt=42), TypeError), (dict(prompt=[{"text": "hi"}]), TypeError),
    (dict(prompt="hi", max_new_tokens=0), ValueError), (dict(prompt="hi", temperature=-1), ValueError),
    (dict(prompt="hi", top_p=0), ValueError)])
def test_chat_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        P.chat(**kwargs)


def test_lesson_01_exercises_live_in_their_checks_module():
    "The checkers moved to `course_utils.checks.pretrained`; their tests are the cells of nbs/checks/01_pretrained.ipynb."
    from course_utils.checks import pretrained as checks
    from course_utils.exercises import exercises_of
    assert checks.LESSON == "01_pretrained" and not hasattr(P, "ex1")
    assert list(exercises_of(checks)) == ["ex1", "ex2", "ex3", "ex4"]
