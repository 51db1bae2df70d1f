"""The learners' time line of each lesson, computed from the notebook and the committed measures.

Each lesson `nbs/NN_*.ipynb` states, in one of its first Markdown cells, a paragraph that starts with
`**Time**:`. This module computes it:

    **Time**: about 50 minutes: 20 min reading, 25 min for the 4 exercises, and the code runs in 3 min on a
    laptop CPU (1 min on a GPU).

    python -m tests.timeline            # every lesson: the computed line, and whether the lesson's line matches
    python -m tests.timeline --write    # rewrite the `**Time**:` paragraph of the lessons that differ
    python -m tests.timeline PATH ...   # only these notebooks (copies elsewhere too)

The rules, kept simple on purpose:

- **Reading**: the words of every Markdown cell at `PROSE_WPM` (200) words a minute, plus the words of the code
  cells a learner reads at `CODE_WPM` (100). A prose word is a whitespace-separated token with a letter or a
  digit in it, after removing code blocks (fenced or indented), images, URLs (a link counts as its text), HTML tags and
  comments, table rules (`|---|`) and the `**Time**:` paragraph itself; inline `code` and table cells count.
  A code word is a whitespace-separated token of a code cell, without nbdev directives (`#| ...`), `# NBVAL_`
  markers and the lines of `### BEGIN SOLUTION` ... `### END SOLUTION` (the learner writes those: that is
  doing time). Cells a learner does not see, or need not read, are skipped: `#| hide`, `#| echo: false`,
  `#| include: false`, cells that export to `course_utils.checks`, and cells that build an `Exercise(` or
  `raise Incorrect(` (checkers still written in a lesson). Exported helpers (`#| export`) count: the lesson
  shows them.
- **Doing**: the sum of the `minutes` of the lesson's exercises, every kind included (`further` too, at the
  minutes its author gave). The exercises are the `course_utils.exercises.Exercise` objects of the lesson's
  checks module `course_utils.checks.<name>` (the one whose `LESSON` is the notebook's name; see
  `checks_module_names`). Until that module exists or imports, the notebook is read instead: each `exN` its
  code cells name (`ex1.check()`, `from course_utils.checks.setup import ex4`) is one exercise, of the kind
  its Markdown heading gives (`**Exercise 3 (predict, then check).**`; `do` when none), at `DEFAULT_MINUTES`
  (do: 10, others: 3).
- **Compute**: the full-mode seconds of the lesson on a 2-core CPU, from the Lessons table of the committed
  Performance page `nbs/performance.qmd` (written by `make bench`, tests/bench/bench.py), and the full-mode
  seconds on a GPU from `tests/bench/gpu_results.csv` (tests/bench/bench_gpu.py). Both are committed, so this
  works on a clean clone; reading the page itself keeps one source of truth (no second copy to refresh). A
  lesson missing from them gets a line without the compute part.
- **Rounding**: durations under 10 s to the second, under a minute to 5 s, otherwise to the minute; reading to
  the minute (at least 1); the total (reading + doing + CPU time) to the minute under 30 minutes, to 5 minutes
  from 30 on (so the rounding never moves it by more than 10%).
- **Matching** (`problems`): the stated total, reading minutes, exercise minutes and times are each within 10%
  of the computed value (or half the rounding step, for small values; or as the computed line rounds them),
  and the exercise count is equal. The
  line is for learners: it names no developer tool or setting (`FORBIDDEN`: `make bench`, `H200`, `fast mode`,
  threads...), which belong on the Performance and teachers' pages.
"""
from __future__ import annotations

import argparse
import csv
import importlib
import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.prose_numbers import drop_code_blocks

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
PAGE = NBS / "performance.qmd"
GPU_RESULTS = ROOT / "tests" / "bench" / "gpu_results.csv"
CHECKS_DIR = ROOT / "course_utils" / "checks"

PROSE_WPM, CODE_WPM = 200, 100
DEFAULT_MINUTES = {"do": 10, "predict": 3, "recall": 3, "further": 3}
FIRST_MARKDOWN_CELLS = 3  # the `**Time**:` paragraph is in one of the first Markdown cells
TOLERANCE = 0.10
FORBIDDEN = ("make bench", "H200", "NVIDIA", "fast mode", "full mode", "thread", "OMP_NUM_THREADS", "peak memory",
             "median", "papermill")
TIME_PARAGRAPH = re.compile(r"^\*\*Time\*\*:.*?(?=\n[ \t]*\n|\Z)", re.S | re.M)
HIDDEN = re.compile(r"^#\|\s*(?:hide\b|echo:\s*false|include:\s*false)", re.M)
EXPORTS_TO_CHECKS = re.compile(r"^#\|\s*(?:export|exporti|exports|export_to)\s+checks[./]", re.M)
CHECKER = re.compile(r"\bExercise\(|\braise Incorrect\(")  # a cell that builds an exercise or its checker
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*$.*?^[ \t]*### END SOLUTION[ \t]*$", re.S | re.M)
NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}


# ---------------------------------------------------------------- notebooks

def lessons() -> list[Path]:
    "The lesson notebooks, `nbs/NN_*.ipynb`, in order."
    return sorted(NBS.glob("[0-9][0-9]_*.ipynb"))


def load(path: Path) -> dict:
    "A notebook as a dict; a clear error for a missing or broken file."
    if not Path(path).exists(): raise FileNotFoundError(f"{path}: no such notebook (give paths like nbs/02_zero_shot.ipynb).")
    try: return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e: raise ValueError(f"{path} is not a notebook (invalid JSON: {e}).") from e


def source(cell: dict) -> str:
    "A cell's source as one string."
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def save(nb: dict, path: Path) -> None:
    "Write a notebook as nbdev_clean does."
    Path(path).write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- reading

def prose_words(markdown: str) -> int:
    "The words a reader reads in a Markdown cell (see the module docstring)."
    text = TIME_PARAGRAPH.sub(" ", drop_code_blocks(markdown))
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)          # images (the Colab badges)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)      # links: their text
    text = re.sub(r"\b(?:https?://|www\.)\S+", " ", text)
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r"^\s*\|?[\s:|-]*-{3,}[\s:|-]*$", " ", text, flags=re.M)  # table rules
    return sum(1 for token in text.split() if re.search(r"[^\W_]", token))


def code_words(code: str) -> int:
    "The words a learner reads in a code cell: 0 for a hidden or checker cell (see the module docstring)."
    if HIDDEN.search(code) or EXPORTS_TO_CHECKS.search(code) or CHECKER.search(code): return 0
    code = SOLUTION.sub(" ", code)
    lines = [l for l in code.splitlines() if not l.lstrip().startswith("#|") and not re.match(r"\s*# NBVAL_\w+\s*$", l)]
    return sum(len(l.split()) for l in lines)


# ---------------------------------------------------------------- doing

@dataclass
class Exercises:
    "A lesson's exercises: their count, minutes, kinds and where they were found."
    kinds: list[str] = field(default_factory=list)
    minutes: int = 0
    found_in: str = ""

    @property
    def count(self) -> int: return len(self.kinds)


def _checks_modules_on_disk(stem: str) -> list[str]:
    "Checks modules whose source says `LESSON = \"<stem>\"` (found without importing them)."
    if not CHECKS_DIR.is_dir(): return []
    pattern = re.compile(rf"""^LESSON\s*(?::\s*str\s*)?=\s*["']{re.escape(stem)}["']""", re.M)
    return [p.stem for p in sorted(CHECKS_DIR.glob("*.py")) if pattern.search(p.read_text(encoding="utf-8", errors="replace"))]


def checks_module_names(nb: dict, stem: str) -> list[str]:
    "Candidate names `X` of `course_utils.checks.X` for a lesson, most likely first."
    code = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "code")
    names = _checks_modules_on_disk(stem)
    names += re.findall(r"^\s*from\s+course_utils\.checks\.(\w+)\s+import", code, re.M)
    names += re.findall(r"^\s*import\s+course_utils\.checks\.(\w+)", code, re.M)
    names += re.findall(r"^#\|\s*export\w*\s+checks[./](\w+)", code, re.M)
    names += re.findall(r"^#\|\s*default_exp\s+(\w+)", code, re.M)
    names.append(stem.split("_", 1)[1] if "_" in stem else stem)
    return list(dict.fromkeys(names))


def exercises_from_module(nb: dict, stem: str) -> Exercises | None:
    "The exercises of the lesson's checks module, or None when it does not exist or does not import."
    for name in checks_module_names(nb, stem):
        module_name = f"course_utils.checks.{name}"
        try:
            if importlib.util.find_spec(module_name) is None: continue
            module = importlib.import_module(module_name)
        except Exception:  # missing, or broken while it is being written: fall back on the notebook
            continue
        lesson = getattr(module, "LESSON", None)
        if lesson is not None and lesson != stem: continue
        found = [v for k, v in sorted(vars(module).items(), key=lambda kv: (len(kv[0]), kv[0]))
                 if hasattr(v, "minutes") and hasattr(v, "kind") and hasattr(v, "check")]
        if found:
            return Exercises([e.kind for e in found], sum(int(e.minutes) for e in found), module_name)
    return None


def _kind_from_heading(label: str) -> str:
    "`predict, then check` -> predict; `go further` -> further; `do` (the default)."
    for kind in ("further", "predict", "recall", "do"):
        if re.search(rf"\b{kind}\b", label, re.I): return kind
    return "do"


def exercises_from_notebook(nb: dict) -> Exercises:
    "The fallback: each `exN` the code cells name is an exercise, its kind from its Markdown heading."
    code = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "code" and not EXPORTS_TO_CHECKS.search(source(c)))
    numbers = sorted({int(n) for n in re.findall(r"\bex(\d+)\b", code)})
    markdown = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    headings = {int(n): label for n, label in re.findall(r"\*\*Exercise (\d+)\s*\(([^)]*)\)", markdown)}
    kinds = [_kind_from_heading(headings.get(n, "")) for n in numbers]
    return Exercises(kinds, sum(DEFAULT_MINUTES[k] for k in kinds), f"the notebook ({len(kinds)} exN, default minutes)")


def exercises(nb: dict, stem: str) -> Exercises:
    "The lesson's exercises: from its checks module when importable, from the notebook otherwise."
    return exercises_from_module(nb, stem) or exercises_from_notebook(nb)


# ---------------------------------------------------------------- compute

def lesson_seconds(page: Path = PAGE, mode: str = "full") -> dict[str, float]:
    "{lesson: seconds} from the Lessons table of the Performance page (written by tests/bench/bench.py)."
    if not page.exists(): return {}
    times, header = {}, None
    for line in page.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None if line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells if {"lesson", "mode", "seconds"} <= set(cells) and "runs" in cells else None
            continue
        if set("".join(cells)) <= set("-: "): continue
        row = dict(zip(header, cells))
        try:
            if row.get("mode") == mode: times[row["lesson"]] = float(row["seconds"])
        except (KeyError, ValueError): continue
    return times


def gpu_seconds(path: Path = GPU_RESULTS) -> dict[str, float]:
    "{lesson: seconds} in full mode on a GPU, from tests/bench/gpu_results.csv (tests/bench/bench_gpu.py)."
    if not path.exists(): return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {r["lesson"]: float(r["seconds"]) for r in csv.DictReader(f) if r.get("mode") == "full" and r.get("seconds")}


# ---------------------------------------------------------------- the line

def duration_step(seconds: float) -> float:
    "The rounding step of a duration, in seconds."
    return 1 if seconds < 9.5 else 5 if seconds < 57.5 else 60


def format_duration(seconds: float) -> str:
    "`9 s`, `40 s`, `2 min`."
    step = duration_step(seconds)
    if step == 60: return f"{max(1, round(seconds / 60))} min"
    return f"{max(1, int(step * round(seconds / step)))} s"


def total_step(minutes: float) -> int:
    return 1 if minutes < 29.5 else 5


def round_total(minutes: float) -> int:
    step = total_step(minutes)
    return max(1, int(step * round(minutes / step)))


@dataclass
class Timeline:
    "A lesson's learner time, computed."
    lesson: str
    prose_words: int
    code_words: int
    exercises: Exercises
    cpu_s: float | None = None
    gpu_s: float | None = None

    @property
    def reading_min(self) -> float: return self.prose_words / PROSE_WPM + self.code_words / CODE_WPM

    @property
    def total_min(self) -> float: return self.reading_min + self.exercises.minutes + (self.cpu_s or 0) / 60

    def line(self) -> str:
        "The `**Time**:` line for learners."
        parts = [f"{max(1, round(self.reading_min))} min reading"]
        n = self.exercises.count
        if n: parts.append(f"{self.exercises.minutes} min for the {'exercise' if n == 1 else f'{n} exercises'}")
        text = f"**Time**: about {round_total(self.total_min)} minutes: "
        if self.cpu_s is None: return text + " and ".join(parts) + "."
        compute = f"the code runs in {format_duration(self.cpu_s)} on a laptop CPU"
        if self.gpu_s is not None: compute += f" ({format_duration(self.gpu_s)} on a GPU)"
        return text + ", ".join(parts) + f", and {compute}."


def compute(path: Path, cpu: dict | None = None, gpu: dict | None = None) -> Timeline:
    "The time line of one lesson notebook."
    nb, stem = load(path), Path(path).stem
    cpu = lesson_seconds() if cpu is None else cpu
    gpu = gpu_seconds() if gpu is None else gpu
    prose = sum(prose_words(source(c)) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = sum(code_words(source(c)) for c in nb["cells"] if c["cell_type"] == "code")
    return Timeline(stem, prose, code, exercises(nb, stem), cpu.get(stem), gpu.get(stem))


# ---------------------------------------------------------------- the lesson's current line

def time_cell(nb: dict) -> int:
    "Index of the Markdown cell, among the first ones, that holds the `**Time**:` paragraph."
    markdown = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"][:FIRST_MARKDOWN_CELLS]
    for i in markdown:
        if TIME_PARAGRAPH.search(source(nb["cells"][i])): return i
    raise ValueError(f"no `**Time**:` line in the first {FIRST_MARKDOWN_CELLS} Markdown cells: add one after "
                     "'What you will learn' (`python -m tests.timeline` prints it).")


def current_line(nb: dict) -> str:
    "The lesson's `**Time**:` paragraph, joined into one line."
    return " ".join(TIME_PARAGRAPH.search(source(nb["cells"][time_cell(nb)])).group(0).split())


def parse_line(line: str) -> dict:
    "The figures a `**Time**:` line states, None where it states none: total, reading and exercise minutes, count, seconds."
    def number(pattern: str) -> float | None:
        m = re.search(pattern, line)
        return float(m.group(1)) if m else None

    def seconds(pattern: str) -> float | None:
        m = re.search(pattern, line)
        return None if not m else float(m.group(1)) * (60 if m.group(2) == "min" else 1)

    count = re.search(r"for the (?:(\w+) )?exercises?\b", line)
    if not count: exercises = None
    elif count.group(1) is None: exercises = 1
    else: exercises = int(count.group(1)) if count.group(1).isdigit() else NUMBER_WORDS.get(count.group(1).lower())
    total = re.search(r"about (\d+(?:\.\d+)?) (minutes?|hours?)\b", line)
    return dict(total=None if not total else float(total.group(1)) * (60 if total.group(2).startswith("hour") else 1),
                reading=number(r"(\d+) min(?:utes)? (?:of )?reading"),
                exercise_minutes=number(r"(\d+) min(?:utes)? for the"),
                exercises=exercises,
                cpu_s=seconds(r"(\d+(?:\.\d+)?) (s|min) on a laptop CPU"),
                gpu_s=seconds(r"(\d+(?:\.\d+)?) (s|min) on a GPU"))


def _close(stated: float, exact: float, step: float) -> bool:
    "Within 10% of the computed value, or half a rounding step for small values (or as the computed line shows it)."
    return abs(stated - exact) <= max(TOLERANCE * exact, step / 2)


def problems(line: str, timeline: Timeline) -> list[str]:
    "What is wrong with a stated line against the computed one (empty when it matches)."
    stated, shown, found = parse_line(line), parse_line(timeline.line()), []
    expected = {"total": (timeline.total_min, total_step(timeline.total_min), "the total (minutes)"),
                "reading": (timeline.reading_min, 1, "the reading time (minutes)")}
    if timeline.exercises.count:
        expected["exercise_minutes"] = (timeline.exercises.minutes, 1, "the exercises' minutes")
    if timeline.cpu_s is not None:
        expected["cpu_s"] = (timeline.cpu_s, duration_step(timeline.cpu_s), "the CPU time (seconds)")
    if timeline.gpu_s is not None:
        expected["gpu_s"] = (timeline.gpu_s, duration_step(timeline.gpu_s), "the GPU time (seconds)")
    for key, (exact, step, what) in expected.items():
        if stated[key] is None: found.append(f"it does not state {what}")
        elif stated[key] != shown[key] and not _close(stated[key], exact, step): found.append(f"{what}: says {stated[key]:g}, computed {exact:.1f}")
    if timeline.exercises.count and stated["exercises"] != timeline.exercises.count:
        found.append(f"the number of exercises: says {stated['exercises']}, found {timeline.exercises.count}")
    for key, what in (("cpu_s", "a CPU time"), ("gpu_s", "a GPU time")):
        if key not in expected and stated[key] is not None: found.append(f"it states {what} that no committed measure gives")
    found += [f"it names {word!r}: developer details belong on the Performance and teachers' pages"
              for word in FORBIDDEN if word.lower() in line.lower()]
    return found


# ---------------------------------------------------------------- writing

def write_line(path: Path, line: str) -> bool:
    "Replace the lesson's `**Time**:` paragraph with `line` (the rest of the cell unchanged); True if it changed."
    nb = load(path)
    index = time_cell(nb)
    cell = nb["cells"][index]
    old = source(cell)
    new = TIME_PARAGRAPH.sub(lambda m: line, old, count=1)
    if new == old: return False
    cell["source"] = new.splitlines(keepends=True) if isinstance(cell["source"], list) else new
    save(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The learners' time line of each lesson: computed, checked, written.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="lesson notebooks (default: nbs/NN_*.ipynb)")
    parser.add_argument("--write", action="store_true", help="rewrite the `**Time**:` paragraph where it differs")
    args = parser.parse_args(argv)
    cpu, gpu, differ = lesson_seconds(), gpu_seconds(), 0
    for path in args.notebooks or lessons():
        timeline = compute(path, cpu, gpu)
        line = timeline.line()
        try: found = problems(current_line(load(path)), timeline)
        except ValueError as e: found = [str(e)]
        print(f"{timeline.lesson}: {timeline.prose_words} prose words, {timeline.code_words} code words; "
              f"{timeline.exercises.count} exercises from {timeline.exercises.found_in}")
        print(f"  {line}")
        if args.write:
            try: print("  written" if write_line(path, line) else "  unchanged")
            except ValueError as e: print(f"  NOT written: {e}"); differ += 1
        elif found:
            differ += 1
            print("  DIFFERS: " + "; ".join(found))
        else: print("  matches")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
