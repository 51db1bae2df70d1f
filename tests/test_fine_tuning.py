import matplotlib
matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from course_utils import fine_tuning as F

POSITIVE = ["A wonderful, moving film.", "Brilliant acting and a great story.", "I loved every minute of it.",
            "Funny, warm and beautifully shot."]
NEGATIVE = ["A dull, boring mess.", "Terrible acting and a awful script.", "I hated every minute of it.",
            "Tedious, cold and badly shot."]
TEXTS, LABELS = POSITIVE + NEGATIVE, [1] * 4 + [0] * 4


@pytest.fixture(scope="module")
def tiny_run():
    "Two epochs on eight reviews, evaluated on the same eight: seconds on a CPU."
    return F.fine_tune(TEXTS, LABELS, TEXTS, LABELS, epochs=2, batch_size=4, max_length=16, learning_rate=1e-4,
                       progress=False)


@pytest.mark.parametrize("texts, labels, error, message", [
    ("one string", None, TypeError, "list of strings"),
    ([], None, ValueError, "empty"),
    (["ok", ""], None, ValueError, "non-empty string"),
    (["a", "b"], [1], ValueError, "one label per text"),
    (["a", "b"], [0, 2], ValueError, "from 0 to 1"),
    (["a", "b"], [-1, 0], ValueError, "from 0 to 1"),
    (["a", "b"], [0.5, 1.0], ValueError, "integers"),
    (["a", "b"], [True, False], ValueError, "integers"),
    (["a", "b"], "01", TypeError, "not a string"),
])
def test_tokenize_reviews_rejects_bad_input(texts, labels, error, message):
    with pytest.raises(error, match=message):
        F.tokenize_reviews(texts, labels)


def test_tokenize_reviews_leaves_padding_to_the_collator():
    examples = F.tokenize_reviews(["Great.", "A long and winding review of a film that goes on and on."], [1, 0])
    assert [set(e) >= {"input_ids", "attention_mask", "labels"} for e in examples] == [True, True]
    assert len(examples[0]["input_ids"]) < len(examples[1]["input_ids"])  # not padded
    assert [e["labels"] for e in examples] == [1, 0]
    assert len(F.tokenize_reviews(["word " * 100], max_length=16)[0]["input_ids"]) == 16
    assert "labels" not in F.tokenize_reviews(["no label"])[0]
    with pytest.raises(ValueError, match="max_length"):
        F.tokenize_reviews(["x"], max_length=4)


def test_build_classifier_adds_a_named_head_and_random_weights_differ():
    pretrained, random = F.build_classifier(), F.build_classifier(pretrained=False)
    assert pretrained.config.id2label == {0: "rotten", 1: "fresh"} and pretrained.config.num_labels == 2
    assert tuple(pretrained.classifier.weight.shape) == (2, 384)
    embedding = "bert.embeddings.word_embeddings.weight"
    assert not np.allclose(pretrained.state_dict()[embedding], random.state_dict()[embedding])
    assert np.allclose(F.build_classifier(seed=1).classifier.weight.detach(), F.build_classifier(seed=1).classifier.weight.detach())
    with pytest.raises(ValueError, match="two different names"):
        F.build_classifier(label_names=["only"])


def test_fine_tune_returns_model_trainer_and_one_history_row_per_epoch(tiny_run):
    model, tokenizer, trainer, history = tiny_run
    assert list(history.columns) == ["epoch", "train_loss", "eval_loss", "eval_accuracy"]
    assert history.epoch.tolist() == [1, 2] and history.notna().all().all()
    assert not model.training and trainer.model is model and tokenizer is F.load_tokenizer()


def test_fine_tune_without_validation_has_no_eval_columns_filled():
    result = F.fine_tune(TEXTS[:4] + TEXTS[4:6], [1] * 4 + [0] * 2, epochs=1, batch_size=8, max_length=16, progress=False)
    assert len(result.history) == 1 and result.history.eval_loss.isna().all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "epochs"), (dict(batch_size=2.5), "batch_size"), (dict(learning_rate=2.0), "learning_rate"),
    (dict(warmup=1.0), "warmup"), (dict(early_stopping_patience=2), "early stopping"),
    (dict(eval_texts=["a"]), "both eval_texts and eval_labels"),
])
def test_fine_tune_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        F.fine_tune(TEXTS, LABELS, **kwargs)


def test_fine_tune_declares_its_argument_rules():
    with pytest.raises(ValueError, match="learning_rate must be a number above 0 and below 1.*1e-3 with LoRA"):
        F.fine_tune(TEXTS, LABELS, learning_rate=0)
    with pytest.raises(TypeError, match="progress must be True or False"):
        F.fine_tune(TEXTS, LABELS, progress="no")
    with pytest.raises(TypeError, match="list of strings"):
        F.fine_tune("one review", [1])


def test_lora_trains_adapters_and_the_head_only():
    result = F.fine_tune(TEXTS, LABELS, epochs=1, batch_size=8, max_length=16, learning_rate=1e-3, lora_rank=2,
                         progress=False)
    trainable = {name for name, p in result.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in name or "classifier" in name for name in trainable)
    merged = result.model.merge_and_unload()
    assert type(merged).__name__ == "BertForSequenceClassification"


def test_confident_mistakes_sorts_the_surest_first():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    table = F.confident_mistakes(probabilities, ["a", "b", "c", "d"], [1, 1, 0, 1], top=2)
    assert table.text.tolist() == ["a", "d"] and table.answer.tolist() == ["rotten", "rotten"]
    with pytest.raises(ValueError, match="one row per text"):
        F.confident_mistakes(probabilities[:2], ["a", "b", "c"], [1, 1, 0])


def test_fine_tune_needs_both_classes():
    with pytest.raises(ValueError, match="single class"):
        F.fine_tune(POSITIVE, [1] * 4)


def test_early_stopping_stops_within_patience():
    result = F.fine_tune(TEXTS, LABELS, NEGATIVE[:2] + POSITIVE[:2], [0, 0, 1, 1], epochs=3, batch_size=8,
                         max_length=16, learning_rate=1e-3, early_stopping_patience=1, progress=False)
    history = result.history
    best = int(history.loc[history.eval_loss.idxmin(), "epoch"])
    assert len(history) == 3 or history.epoch.max() == best + 1


def test_predict_proba_keeps_the_order_and_sums_to_one(tiny_run):
    forward = F.predict_proba(tiny_run.model, TEXTS, batch_size=3)
    backward = F.predict_proba(tiny_run.model, TEXTS[::-1], batch_size=5)
    assert forward.shape == (8, 2) and np.allclose(forward.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(forward, backward[::-1], atol=1e-4)
    with pytest.raises(ValueError, match="batch_size"):
        F.predict_proba(tiny_run.model, TEXTS, batch_size=0)


def test_evaluate_classifier_reports_accuracy_loss_and_count(tiny_run):
    scores = F.evaluate_classifier(tiny_run.model, TEXTS, LABELS)
    assert set(scores) == {"accuracy", "loss", "examples"} and scores["examples"] == 8
    assert 0 <= scores["accuracy"] <= 1 and scores["loss"] > 0
    with pytest.raises(ValueError, match="one label per text"):
        F.evaluate_classifier(tiny_run.model, TEXTS, LABELS[:3])
    with pytest.raises(ValueError, match="rotten"):
        F.evaluate_classifier(tiny_run.model, TEXTS[:2], [1, 2])


def test_majority_baseline():
    assert F.majority_baseline([0, 1, 1], [1, 1, 0]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="non-empty"):
        F.majority_baseline([], [1])


def test_tfidf_baseline_separates_obvious_words():
    train = ["good film", "great film", "good great", "bad film", "awful film", "bad awful"]
    assert F.tfidf_baseline(train, [1, 1, 1, 0, 0, 0], ["a good one", "an awful one"], [1, 0]) == 1.0
    with pytest.raises(ValueError, match="single class"):
        F.tfidf_baseline(train[:3], [1, 1, 1], ["x"], [1])
    with pytest.raises(ValueError, match="positive"):
        F.tfidf_baseline(train, [1, 1, 1, 0, 0, 0], ["x"], [1], C=0)


def test_frozen_embedding_baseline_and_embedding_shapes():
    assert F.frozen_embedding_baseline(TEXTS, LABELS, ["What a delightful movie!", "An awful, boring film."], [1, 0]) == 1.0
    with pytest.raises(ValueError, match="one row per text"):
        F.frozen_embedding_baseline(TEXTS, LABELS, ["x"], [1], train_embeddings=np.zeros((3, 384)))


def test_nested_subsets_are_nested_and_stratified():
    labels = np.array([1] * 60 + [0] * 40)
    subsets = F._nested_subsets(labels, [10, 50], seed=0)
    assert len(subsets[10]) == 10 and len(subsets[50]) == 50
    assert set(subsets[10]) <= set(subsets[50]) and labels[subsets[50]].mean() == 0.6


def test_data_efficiency_curve_tiny():
    curve = F.data_efficiency_curve(TEXTS, LABELS, TEXTS, LABELS, sizes=[4, 8],
                                    methods=["TF-IDF + logistic regression", "fine-tuned pretrained"],
                                    epochs=1, min_steps=1, batch_size=8, max_length=16)
    assert list(curve.columns) == ["size", "method", "epochs", "accuracy", "predicted_fresh", "seconds"]
    assert curve["size"].tolist() == [4, 4, 8, 8] and curve.accuracy.between(0, 1).all()
    assert curve.predicted_fresh.between(0, 1).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(sizes=[]), "non-empty list"), (dict(sizes=[2]), "at least 4"), (dict(sizes=[100]), "more than the 8"),
    (dict(sizes=[4], methods=["magic"]), "methods must be among"), (dict(sizes=4), "list of integers"),
])
def test_data_efficiency_curve_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        F.data_efficiency_curve(TEXTS, LABELS, TEXTS, LABELS, **kwargs)


def test_plots_return_figures_and_reject_bad_input(tiny_run):
    assert F.plot_ladder({"majority": 0.6, "fine-tuned": 0.8}).axes
    assert F.plot_loss_curves(tiny_run.history).axes
    curve = pd.DataFrame(dict(size=[50, 200, 50, 200], method=["a", "a", "b", "b"], accuracy=[0.6, 0.7, 0.5, 0.55]))
    assert F.plot_data_efficiency(curve).axes
    with pytest.raises(ValueError, match="at least one method"):
        F.plot_ladder({})
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.plot_ladder({"a": 1.5})
    with pytest.raises(ValueError, match="eval_loss"):
        F.plot_loss_curves(pd.DataFrame(dict(epoch=[1], train_loss=[0.5])))
    with pytest.raises(ValueError, match="empty"):
        F.plot_loss_curves(tiny_run.history.iloc[:0])
    with pytest.raises(ValueError, match="columns size, method and accuracy"):
        F.plot_data_efficiency(curve.drop(columns="accuracy"))


def test_command_line_options():
    args = F._parser().parse_args(["--train-size", "0", "--epochs", "1", "--output-dir", "out"])
    assert (args.train_size, args.epochs, args.batch_size, args.output_dir) == (0, 1, 16, "out")


def test_main_trains_saves_and_tests(tmp_path, capsys):
    scores = F.main(["--train-size", "16", "--validation-size", "8", "--test-size", "8", "--epochs", "1",
                     "--max-length", "16", "--output-dir", str(tmp_path / "model")])
    assert scores["examples"] == 8 and 0 <= scores["accuracy"] <= 1
    assert (tmp_path / "model" / "config.json").is_file() and (tmp_path / "model" / "tokenizer.json").is_file()
    assert "test accuracy" in capsys.readouterr().out

