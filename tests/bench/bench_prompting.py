"""Benchmark for lesson 03: greedy generation speed of SmolLM2-135M-Instruct on this machine, step by step.

    .venv/bin/python tests/bench/bench_prompting.py                  # 64 new tokens, 3 runs, 1 and 2 threads
    .venv/bin/python tests/bench/bench_prompting.py --tokens 32 --runs 5 --threads 1 --int8 --static

Compares the lesson's `generate` (its own loop with a key-value cache) with lesson 01's `chat` (the library's
`model.generate`), both greedy on the same prompt, forced to write `--tokens` new tokens, for each step of issue 25:

- `float32`: the packaged GGUF dequantised to float32 (the converted copy that `load_llm` reads), the baseline;
- `int4 kernels`: the same model with `course_utils.llm_kernels.use_gguf_kernels`, whose linear layers decode
  straight from the GGUF's Q4_1 and Q8_0 blocks (same weights, compiled kernels);
- with `--static`: `model.generate` on the kernels with a static key-value cache and a compiled forward pass
  (transformers' own compile path), after its compile time, which is printed;
- with `--int8`: PyTorch's dynamic int8 quantisation of the float32 model (the answers change).

Each step is timed with 1 and 2 PyTorch threads (`--threads`), interleaved run by run so that a machine shared with
other programs slows every step alike. For each it prints the best and median wall-clock tokens/s and the tokens
per CPU-second (process CPU time, all threads): on a shared machine the wall-clock figure drops, while the CPU
figure shows what the same work costs on an idle one. Then it checks that the kernels keep the greedy tokens of the
float32 model, prompt by prompt (`--check-tokens` new tokens on the lessons' prompts, stopping at the end of the
answer as `generate` does), and times the loads. The tables also go to `tests/bench/prompting.md`, which the Performance page shows (`make bench`).
Not collected by pytest: its name does not start with `test_`.
"""
import argparse
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from course_utils import llm_kernels, pretrained, prompting  # noqa: E402
from course_utils.assets import asset_path  # noqa: E402

PROMPT = "Tell me about the history of Paris."
# The lessons' questions (lesson 01's chat cells, lesson 03's generate cells), as (prompt, chat template or not)
LESSON_PROMPTS = [(q, True) for q in (
    "What is the capital of France?", "Tell me about the history of Paris.", "Give me one tip for learning a new language.",
    "What is a neural network, in one sentence?", "What is 2 + 3?", "What is the opposite of hot?",
    "What is the chemical symbol for water?", "Which planet is the largest in our solar system?", "Who wrote Romeo and Juliet?",
    "Write one sentence about the sea.", "What is today's date?", "What is the newest version of Python?")] + [
    ("What is 2 + 3?", False), ("Who wrote Romeo and Juliet?", False),
    ("The meeting room code is 4712. The office opens at eight and closes at six. Lunch is served in the canteen on the "
     "ground floor. Visitors must sign in at the front desk.\n\nWhat is the meeting room code?", True)]
OUT = Path(__file__).resolve().parents[2] / "_build" / "bench"
PAGE_SECTION = Path(__file__).resolve().parent / "prompting.md"  # the Performance page's language-model section


def float32_model():
    "A float32 SmolLM2 of its own from the converted copy (load_llm's shared model may already use the kernels)."
    from transformers import AutoModelForCausalLM
    _, tokenizer = pretrained.load_llm()  # converts the GGUF once, if the cache is empty
    with pretrained._quiet_loading():
        model = AutoModelForCausalLM.from_pretrained(pretrained._llm_cache_folder(), dtype=torch.float32)
    return model.eval(), tokenizer


def kernel_model(cache: Path | None) -> tuple:
    "A float32 SmolLM2 whose linear layers use the GGUF kernels; the seconds the swap took."
    model, tokenizer = float32_model()
    start = time.perf_counter()
    llm_kernels.use_gguf_kernels(model, asset_path("smollm2"), cache=cache)
    return model, tokenizer, time.perf_counter() - start


def time_runs(make_texts: dict, tokens: int, runs: int) -> dict:
    "Wall-clock and CPU tokens/s of `runs` calls of each `make_texts[name]()`, interleaved run by run."
    for make_text in make_texts.values(): make_text()  # warm-up: first-call allocations (and compiles) are not timed
    walls, cpus = {name: [] for name in make_texts}, {name: [] for name in make_texts}
    for _ in range(runs):
        for name, make_text in make_texts.items():
            wall, cpu = time.perf_counter(), time.process_time()
            make_text()
            walls[name].append(tokens / (time.perf_counter() - wall)); cpus[name].append(tokens / (time.process_time() - cpu))
    return {name: {"best tok/s": max(walls[name]), "median tok/s": statistics.median(walls[name]),
                   "tok per CPU-s": statistics.median(cpus[name])} for name in make_texts}


def library_generate(tokens: int, model=None, tokenizer=None, **options) -> str:
    "Lesson 01's path: the chat template, then `model.generate`, forced to `tokens` new tokens."
    if model is None: model, tokenizer = pretrained.load_llm()
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True).to(model.device)
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False,
                                pad_token_id=tokenizer.eos_token_id, **options)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:])


def lesson_generate(tokens: int, model=None, tokenizer=None) -> str:
    "Lesson 03's loop (on `model` if given); the end-of-turn token is ignored by asking for a continuation that never ends early."
    original = prompting.load_llm
    if model is not None: prompting.load_llm = lambda: (model, tokenizer)
    try:
        result = prompting.generate(PROMPT, max_new_tokens=tokens, details=True)
        if result.new_tokens < tokens:  # the answer ended early: continue it so every run writes `tokens` tokens
            more = prompting.generate(PROMPT, max_new_tokens=tokens - result.new_tokens, prefill=result.text + " ", details=True)
            return result.text + more.text
        return result.text
    finally:
        prompting.load_llm = original


def int8_model(model):
    "A copy of `model` with 8-bit dynamically quantised linear layers (PyTorch's eager API)."
    import copy
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)


def greedy_ids(model, tokenizer, prompt: str, template: bool, tokens: int) -> list[int]:
    "The token ids `prompting.generate` picks greedily (its loop, on `model`), up to `tokens` or the end of the answer."
    ids = tokenizer(prompting.render_prompt(prompt, template=template), add_special_tokens=False)["input_ids"]
    end_ids, new_ids = set(pretrained.end_token_ids(tokenizer)), []
    with torch.inference_mode():
        output = model(input_ids=torch.tensor([ids], device=model.device), use_cache=True, logits_to_keep=1)
        while len(new_ids) < tokens:
            new_ids.append(int(output.logits[0, -1].argmax()))
            if new_ids[-1] in end_ids or len(new_ids) == tokens: break
            output = model(input_ids=torch.tensor([[new_ids[-1]]], device=model.device), past_key_values=output.past_key_values, use_cache=True)
    return new_ids


def first_difference(expected: list[int], got: list[int]) -> int | None:
    "The first position where two token lists differ (one ending early counts), or None when they are the same."
    first = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), None)
    return min(len(expected), len(got)) if first is None and len(expected) != len(got) else first


def same_tokens(reference, model, tokenizer, tokens: int) -> pd.DataFrame:
    "Per lesson prompt: are the greedy tokens of `model` those of `reference`, and where do they first differ."
    rows = []
    for prompt, template in LESSON_PROMPTS:
        expected, got = (greedy_ids(m, tokenizer, prompt, template, tokens) for m in (reference, model))
        first = first_difference(expected, got)
        rows.append({"prompt": prompt.replace("\n", " ")[:60], "template": template, "tokens": len(expected),
                     "identical": first is None, "first difference at": "" if first is None else first})
    return pd.DataFrame(rows)


def static_step(model, tokenizer, tokens: int, threads: int) -> tuple[str, dict, float]:
    "`model.generate` with a static cache and a compiled forward pass: (row name, its speeds, its compile seconds)."
    from transformers import CompileConfig
    config = CompileConfig(fullgraph=False, dynamic=False)
    config._compile_all_devices = True  # transformers compiles on GPUs only unless told
    options = dict(cache_implementation="static", compile_config=config, max_cache_len=256)  # one shape: one compile
    start = time.perf_counter(); library_generate(4, model, tokenizer, **options); compile_seconds = time.perf_counter() - start
    name = f"model.generate, int4 kernels + static cache + compile, {threads} thread(s)"
    speeds = time_runs({name: lambda: library_generate(tokens, model, tokenizer, **options)}, tokens, 3)[name]
    return name, speeds, compile_seconds


def markdown(table: pd.DataFrame, index: bool = True) -> str:
    "A pipe table of `table` for the Performance page (pandas' to_markdown needs tabulate, which the course does not install)."
    frame = table.reset_index() if index else table
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)])


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--int8", action="store_true", help="also time generate with an int8-quantised copy")
    parser.add_argument("--static", action="store_true", help="also time model.generate with a static cache and a compiled forward")
    parser.add_argument("--check-tokens", type=int, default=64, help="new tokens compared per lesson prompt (0: no check)")
    args = parser.parse_args(argv)
    start = time.perf_counter(); pretrained.load_llm(); load_seconds = time.perf_counter() - start
    start = time.perf_counter(); reference, tokenizer = float32_model(); float32_seconds = time.perf_counter() - start
    cache = pretrained._llm_cache_folder() / "gguf_kernels.safetensors"
    built = not cache.exists()
    kernels, _, swap_seconds = kernel_model(cache)
    _, _, cached_swap_seconds = kernel_model(cache)
    start = time.perf_counter(); greedy_ids(kernels, tokenizer, PROMPT, True, 2); compile_seconds = time.perf_counter() - start
    variants = {"float32": reference, "int4 kernels": kernels}
    rows, notes = {}, []
    for threads in args.threads:
        torch.set_num_threads(threads)
        steps = {}
        for label, model in variants.items():
            steps[f"generate (lesson 03), {label}, {threads} thread(s)"] = lambda m=model: lesson_generate(args.tokens, m, tokenizer)
            steps[f"model.generate (lesson 01), {label}, {threads} thread(s)"] = lambda m=model: library_generate(args.tokens, m, tokenizer)
        if args.int8:
            quantised = int8_model(reference)
            steps[f"generate, int8 linear layers, {threads} thread(s)"] = lambda: lesson_generate(args.tokens, quantised, tokenizer)
        rows.update(time_runs(steps, args.tokens, args.runs))
        if args.static:
            name, speeds, seconds = static_step(kernels, tokenizer, args.tokens, threads)
            rows[name] = speeds
            notes.append(f"{name}: compiled in {seconds:.1f} s (first generate call in a process)")
    table = pd.DataFrame(rows).T.round(1)
    header = (f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}; load average "
              f"{os.getloadavg()[0]:.1f}; cached model load {load_seconds:.1f} s; {args.tokens} new tokens, {args.runs} runs")
    loads = pd.DataFrame({"seconds": {
        "float32 model from the converted copy": float32_seconds,
        f"use_gguf_kernels, {'building' if built else 'reading'} its pack ({cache.name})": swap_seconds,
        "use_gguf_kernels, pack cached": cached_swap_seconds,
        "first decoding step with the kernels (compiles them, or reads Inductor's cache)": compile_seconds}}).round(2)
    print(header); print(table.to_string()); print(loads.to_string())
    for note in notes: print(note)
    sections = [header, "", markdown(table.rename_axis("step")), "", markdown(loads.rename_axis("load")), "", *notes]
    if args.check_tokens:
        torch.set_num_threads(max(args.threads))
        check = same_tokens(reference, kernels, tokenizer, args.check_tokens)
        verdict = f"greedy tokens identical to float32 on {int(check['identical'].sum())} of {len(check)} lesson prompts"
        print(check.to_string(index=False)); print(verdict)
        sections += ["", markdown(check, index=False), "", verdict]
    (PAGE_SECTION).write_text(f"Measured by `tests/bench/bench_prompting.py` on {time.strftime('%Y-%m-%d')}: "
                              + "\n".join(sections) + "\n")
    return table


if __name__ == "__main__":
    main()
