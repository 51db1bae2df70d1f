"""The benchmark's bookkeeping (tests/bench/bench.py): what it keeps between runs and what it puts on the page.
The measurements themselves are never run here: `make bench` does that, on a quiet machine."""
import csv
import json

from tests.bench import bench


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _cell(cell_id: str, outputs: list[dict], tags: list[str] | None = None) -> dict:
    return {"cell_type": "code", "id": cell_id, "metadata": {"tags": tags} if tags else {}, "source": "x",
            "outputs": outputs, "execution_count": 1}


def test_results_tables_follow_the_lessons_tags_and_skip_progress_bars(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    (tmp_path / "nbs").mkdir()
    lesson = _notebook([_cell("a", [], ["results"]), _cell("b", [])])
    (tmp_path / "nbs" / "09_demo.ipynb").write_text(json.dumps(lesson))
    bar = {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {}, "text/plain": "0%|"}}
    table = {"output_type": "execute_result", "data": {"text/html": "<style>x</style><table><tr><td>0.8</td></tr></table>",
                                                       "text/plain": "0.8"}}
    executed = _notebook([_cell("a", [bar, table]), _cell("b", [table])])  # run before the tag was added
    path = tmp_path / "09_demo-full.ipynb"
    path.write_text(json.dumps(executed))
    assert bench.results_tables(path) == ["<table><tr><td>0.8</td></tr></table>"]


def test_a_run_keeps_the_measures_it_did_not_repeat(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "OUT", tmp_path)
    monkeypatch.setattr(bench, "lessons", lambda selected: [tmp_path / "00_a.ipynb", tmp_path / "01_b.ipynb"])
    fields = ["kind", "name", "mode", "runs", "seconds", "peak_gb", "ok", "target_s", "note"]
    with open(tmp_path / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields); writer.writeheader()
        writer.writerows([dict(kind="lesson", name="01_b", mode="full", runs=1, seconds=100.0, peak_gb=1.0, ok=True, target_s=600),
                          dict(kind="lesson", name="00_a", mode="fast", runs=1, seconds=50.0, peak_gb=1.0, ok=True, target_s=90)])
    new = [dict(kind="lesson", name="01_b", mode="full", runs=3, seconds=80.0, peak_gb=1.1, ok=True, target_s=600)]
    rows = bench.merge_previous(new)
    assert [(r["name"], r["mode"], r["seconds"]) for r in rows] == [("00_a", "fast", 50.0), ("01_b", "full", 80.0)]
    assert rows[0]["ok"] is True and rows[0]["target_s"] == 90.0, "kept rows are read back as numbers and booleans"


def test_tables_come_only_from_full_runs_that_succeeded(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "OUT", tmp_path)
    monkeypatch.setattr(bench, "results_tables", lambda executed: [executed.stem])
    for stem in ("00_a-full", "01_b-full", "02_c-fast"): (tmp_path / f"{stem}.ipynb").write_text("{}")
    rows = [dict(kind="lesson", name="00_a", mode="full", ok=True), dict(kind="lesson", name="01_b", mode="full", ok=False),
            dict(kind="lesson", name="02_c", mode="fast", ok=True)]
    assert bench.collect_tables(rows) == {"00_a": ["00_a-full"]}


def test_gpu_section_lists_lessons_in_order_then_the_llm_probe(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    assert bench.gpu_section() == [], "no GPU results, no section"
    (tmp_path / "tests" / "bench").mkdir(parents=True)
    fields = ["lesson", "mode", "seconds", "device", "torch", "transformers", "date", "asserts_passed", "note"]
    with open(tmp_path / "tests" / "bench" / "gpu_results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields); writer.writeheader()
        for lesson in ("01_b", "llm_gguf_conversion", "00_a"):
            writer.writerow(dict(lesson=lesson, mode="full", seconds=1.0, device="GPU X", asserts_passed=True, note=""))
    rows = [line.split(" | ")[0] for line in bench.gpu_section() if line.startswith("| ") and not line.startswith("| lesson")]
    assert rows == ["| 00_a", "| 01_b", "| llm_gguf_conversion"]


def test_keras_section_names_its_data_and_shows_ratios(tmp_path):
    fields = ["recipe", "parameters", "epochs", "accuracy", "accuracy_sd", "fit_seconds", "images_per_s", "accuracy_vs_ref",
              "time_ratio", "speed_ratio", "source", "epochs_asked", "seeds", "machine", "date"]
    path = tmp_path / "keras_mnist-fashion.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields); writer.writeheader()
        writer.writerow(dict(recipe="ours", parameters=10, epochs=10, accuracy=0.9, accuracy_sd=0.001, fit_seconds=100, images_per_s=3000,
                             accuracy_vs_ref=0.01, time_ratio=0.99, speed_ratio=1.0, source="fashion", epochs_asked=10, seeds="0 1",
                             machine="m", date="d"))
    lines = bench.keras_section(path)
    assert "## Keras: our CNN against the keras-io convnet, Fashion-MNIST images" in lines
    assert lines[-1] == "| ours | 10 | 0.9000 | 0.0010 | 100.0 | 3000 | +0.0100 | 0.99 | 1.00 |"
    path.write_text(",".join(fields) + "\n")
    assert bench.keras_section(path) == [], "an empty run adds no section"
