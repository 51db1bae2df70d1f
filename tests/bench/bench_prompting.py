"""Benchmark for lesson 03: greedy generation speed of SmolLM2-135M-Instruct on this machine.

    .venv/bin/python tests/bench/bench_prompting.py                  # 64 new tokens, 3 runs, 1 and 2 threads
    .venv/bin/python tests/bench/bench_prompting.py --tokens 32 --runs 5 --threads 1 --int8

Compares the lesson's `generate` (its own loop with a key-value cache) with lesson 01's `chat` (the library's
`model.generate`), both greedy on the same prompt, forced to write `--tokens` new tokens. For each it prints the
best and median wall-clock tokens/s and the tokens per CPU-second (process CPU time, all threads): on a machine
shared with other programs the wall-clock figure drops, while the CPU figure shows what the same work costs on
an idle machine. With `--int8`, it also times `generate` on a copy of the model whose linear layers are
quantised to 8-bit integers (PyTorch dynamic quantisation): faster, but the text can change, so the lesson keeps
the float32 model. Not collected by pytest: its name does not start with `test_`.
"""
import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from course_utils import prompting  # noqa: E402
from course_utils.pretrained import load_llm  # noqa: E402

PROMPT = "Tell me about the history of Paris."


def time_runs(make_text, tokens: int, runs: int) -> dict:
    "Wall-clock and CPU tokens/s of `runs` calls of `make_text()`, each writing `tokens` new tokens."
    make_text()  # warm-up: first-call allocations are not what a learner waits for on later calls
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        make_text()
        walls.append(tokens / (time.perf_counter() - wall)); cpus.append(tokens / (time.process_time() - cpu))
    return {"best tok/s": max(walls), "median tok/s": statistics.median(walls), "tok per CPU-s": statistics.median(cpus)}


def library_generate(tokens: int) -> str:
    "Lesson 01's path: the chat template, then `model.generate`, forced to `tokens` new tokens."
    model, tokenizer = load_llm()
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False,
                                pad_token_id=tokenizer.eos_token_id)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:])


def lesson_generate(tokens: int) -> str:
    "Lesson 03's loop; the end-of-turn token is ignored by asking for a continuation that never ends early."
    result = prompting.generate(PROMPT, max_new_tokens=tokens, details=True)
    if result.new_tokens < tokens:  # the answer ended early: continue it so every run writes `tokens` tokens
        more = prompting.generate(PROMPT, max_new_tokens=tokens - result.new_tokens, prefill=result.text + " ", details=True)
        return result.text + more.text
    return result.text


def int8_model():
    "A copy of the model with 8-bit dynamically quantised linear layers (PyTorch's eager API)."
    import copy
    import warnings
    model, tokenizer = load_llm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantised = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
    return quantised, tokenizer


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--int8", action="store_true", help="also time generate with an int8-quantised copy")
    args = parser.parse_args(argv)
    start = time.perf_counter(); load_llm(); load_seconds = time.perf_counter() - start
    rows = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        rows[f"generate (lesson 03), {threads} thread(s)"] = time_runs(lambda: lesson_generate(args.tokens), args.tokens, args.runs)
        rows[f"model.generate (lesson 01), {threads} thread(s)"] = time_runs(lambda: library_generate(args.tokens), args.tokens, args.runs)
        if args.int8:
            quantised = int8_model()
            original, prompting.load_llm = prompting.load_llm, lambda: quantised
            try: rows[f"generate, int8 linear layers, {threads} thread(s)"] = time_runs(lambda: lesson_generate(args.tokens), args.tokens, args.runs)
            finally: prompting.load_llm = original
    table = pd.DataFrame(rows).T.round(1)
    print(f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}; load average "
          f"{os.getloadavg()[0]:.1f}; cached model load {load_seconds:.1f} s; {args.tokens} new tokens, {args.runs} runs")
    print(table.to_string())
    return table


if __name__ == "__main__":
    main()
