"""Numbers in prose come from the run: every measured figure that a notebook's Markdown states must appear in
one of the notebook's stored outputs, at the precision written, or be cited in `tests/cited_figures.csv`.

    python -m tests.prose_numbers nbs/02_zero_shot.ipynb [more notebooks]   # prints each unbacked figure

Exit status 1 when a figure is unbacked. `tests/test_prose_numbers.py` enforces it for the notebooks it lists
in `ENFORCED`.

**What counts as a measured figure** (in Markdown cells only):

- every *decimal* number, `0.811`, `8.7`, `1,014.5`, `-0.003`, with or without a unit;
- an *integer with a unit of measure* right after it: time (`ms`, `s`, `sec`, `seconds`, `min`, `minutes`,
  `h`, `hours`), size (`B`, `kB`/`KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`, `GiB`), a rate (`tokens/s`, `it/s`, any
  `word/s`, `per second`), a percentage (`%`, `percent`) or a factor glued to it (`3x`, `3×`). In a range
  (`53-58 ms`, `13 to 15 tokens/s`) the first number takes the unit of the second. A single-letter unit glued
  to an integer is not one (`the 7s`: sevens);
- a price: an amount right after `$`, `€` or `£` (`$1.50`, `$150`).

A plain integer (`1,014 reviews`, `4 exercises`, `2026`) is not a measured figure: counts are what the lesson
chose, and a bare integer would be backed by any output anyway. A setting written as a decimal (`a temperature
of 0.7`, `threshold 0.5`) is a figure: show it in an output or cite it.

**What is ignored**: code blocks (fenced, or indented by 4 spaces) and inline `code`; the `**Time**:` paragraph (its figures are computed
and checked by `tests/timeline.py`); URLs, link targets and images (a link counts as its text); HTML tags and
comments; version numbers (anything `\\d+.\\d+.\\d+`, and a number after `version`, `v`, `==`, `>=`, `<=`, `~=`
or a package name such as `Python`, `torch`, `transformers`, see `VERSIONED`); numbers after `lesson`,
`section`, `chapter`, `step`, `part`, `exercise`, `figure`, `table` (lesson numbers, `section 4.2`); numbers
glued to letters or to `_`, `#`, `/`, `:` (identifiers such as `float32`, `H200`, `SmolLM2-135M`, hex such as
`0x1f`, scientific notation such as `5e-5`, paths, times of day); dates (`2026-12-02`: plain integers).

**What backs a figure**: the stored outputs of the same notebook, that is the `text` of `stream` outputs and
the `text/plain`, `text/markdown` and `text/html` data of `execute_result` and `display_data` outputs.

- a decimal is backed when the same digits appear there as a number, not inside a longer one: `0.811` is backed
  by `0.811` (and by `0.811 s`, `<td>0.811</td>`), not by `0.8110`, `10.811` or `0.81`; `1,234.5` also by `1234.5`;
- an integer with a unit is backed only by the same integer followed by a unit (`9 s` by `9 s` or `9 seconds`,
  not by a bare `9`, which every output holds somewhere);
- a percentage is also backed by the same value as a fraction at the same precision: `81.1%` by `0.811`,
  `81%` by `0.81`;
- a price only by the same amount after a currency sign.

The match is by number, not by meaning: `0.7` is backed by any `0.7` in the outputs. The check catches figures
that the run never printed (a stale result, a number from another run or another machine), not a coincidence.

Otherwise the figure is listed in `tests/cited_figures.csv` (columns `notebook,figure,source,date`): the
notebook's path from the repository root (`nbs/06_model_apis.ipynb`), the figure as written (`0.15`, or with
its unit, `8.7 s`, as the finder reports it), where it comes from (a paper, a price list, a setting) and the
date it was read or published (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
"""
from __future__ import annotations

import argparse
import csv
import html
import json
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITED = ROOT / "tests" / "cited_figures.csv"
CITED_COLUMNS = ["notebook", "figure", "source", "date"]
OUTPUT_MIMES = ("text/plain", "text/markdown", "text/html")

# words after which a number is a version: package and tool names (lower case) and version markers
VERSIONED = {"version", "versions", "release", "python", "py", "torch", "pytorch", "tensorflow", "tf", "keras",
             "transformers", "numpy", "pandas", "scikit-learn", "sklearn", "scipy", "matplotlib", "ipywidgets",
             "ipython", "jupyter", "jupyterlab", "nbdev", "quarto", "cuda", "cudnn", "fastapi", "uvicorn", "peft",
             "gguf", "pip", "papermill", "nbval", "pytest", "debian", "ubuntu", "macos", "windows", "node",
             "accelerate", "datasets", "tokenizers", "huggingface_hub", "safetensors", "pydantic", "httpx"}
# words after which a number is a position in the course or the page, not a measure
NUMBERED = {"lesson", "lessons", "section", "sections", "chapter", "chapters", "step", "steps", "part", "parts",
            "exercise", "exercises", "figure", "fig", "table", "cell", "cells", "page", "pages", "§"}

_UNIT = (r"%|percent\b|per\s+cent\b|per\s+second\b|[A-Za-z]+/s\b|"
         r"(?:ms|µs|us|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|"
         r"B|[kK]B|MB|GB|TB|KiB|MiB|GiB|TiB)(?![\w/])")
UNIT = re.compile(rf"[ \u00a0\u202f]?(?P<unit>{_UNIT})")
GLUED_FACTOR = re.compile(r"[x×](?![\w])")
NUMBER = re.compile(r"(?<![\w.,/#:\\$€£])(?<![A-Za-z_]-)(?P<sign>[-+−±]?)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)*)")
RANGE = re.compile(rf"\s?(?:-|–|to)\s?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?{UNIT.pattern}")
PRICE = re.compile(r"[$€£](?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
WORD_BEFORE = re.compile(r"([\w§=<>~-]+)[ \u00a0]*$")
TIME_PARAGRAPH = re.compile(r"^\*\*Time\*\*:.*?(?=\n[ \t]*\n|\Z)", re.S | re.M)


@dataclass(frozen=True)
class Figure:
    "A measured figure stated in a Markdown cell."
    notebook: str  # the notebook's path from the repository root (or as given, outside it)
    cell: int      # index of the cell in the notebook
    text: str      # as written: `0.811`, `8.7 s`, `81.1%`, `$0.15`
    number: str    # its digits as written, without sign or unit: `0.811`, `8.7`, `81.1`, `0.15`
    unit: str      # `s`, `%`, `tokens/s`..., `$` for a price, "" for a plain decimal
    context: str   # the words around it, for the message

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.text!r} in \"...{self.context}...\""


# ---------------------------------------------------------------- reading notebooks

def source(cell: dict) -> str:
    "A cell's source as one string (nbformat allows a string or a list of lines)."
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def load(path: Path | str) -> dict:
    "A notebook as a dict; a clear error for a missing or broken file."
    path = Path(path)
    if not path.exists(): raise FileNotFoundError(f"{path}: no such notebook (give paths like nbs/02_zero_shot.ipynb).")
    try: return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e: raise ValueError(f"{path} is not a notebook (invalid JSON: {e}).") from e


def display_name(path: Path | str) -> str:
    "The notebook's path from the repository root, as `tests/cited_figures.csv` names it."
    path = Path(path).resolve()
    try: return path.relative_to(ROOT).as_posix()
    except ValueError: return path.as_posix()


def drop_code_blocks(markdown: str) -> str:
    "Markdown without its fenced code blocks and its indented ones (4 spaces after a blank line, outside a list)."
    text = re.sub(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", " ", markdown, flags=re.S | re.M)
    kept, in_code, previous, before_blank = [], False, "", ""
    for line in text.split("\n"):
        indented = line.startswith(("    ", "\t")) and line.strip()
        if indented and (in_code or (not previous.strip() and not re.match(r"\s*(?:[-*+]|\d+[.)])\s|\s", before_blank))):
            in_code = True
            kept.append("")
        else:
            in_code = in_code and not line.strip()
            kept.append(line)
        if line.strip(): before_blank = line
        previous = line
    return "\n".join(kept)


def prose(markdown: str) -> str:
    "The words a reader sees in a Markdown cell, without code, URLs, tags and the `**Time**:` paragraph."
    text = drop_code_blocks(markdown)
    text = TIME_PARAGRAPH.sub(" ", text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", " ", text, flags=re.S)   # inline code
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)                    # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)                # links: their text
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)              # reference links
    text = re.sub(r"^\s*\[[^\]]+\]:\s*\S+.*$", " ", text, flags=re.M)   # reference definitions
    text = re.sub(r"<(?:https?|ftp|mailto):[^>]*>", " ", text)          # autolinks
    text = re.sub(r"\b(?:https?://|www\.)\S+", " ", text)               # bare URLs
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)                      # HTML tags
    return html.unescape(text)


def output_text(nb: dict) -> str:
    "All the stored output text of a notebook: streams, and the plain, Markdown and HTML data of results."
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            if output.get("output_type") == "stream":
                parts.append("".join(output.get("text", "")))
            elif output.get("output_type") in ("execute_result", "display_data"):
                data = output.get("data", {})
                parts += ["".join(data[m]) if isinstance(data[m], list) else str(data[m]) for m in OUTPUT_MIMES if m in data]
    return "\n".join(parts)


# ---------------------------------------------------------------- finding figures

def _excluded_by_word_before(before: str) -> bool:
    "A version (after a package name, `v`, `==`...) or a lesson, section or exercise number."
    match = WORD_BEFORE.search(before[-40:])
    if not match: return False
    word = match.group(1).lower().rstrip("-")
    if word.endswith(("==", ">=", "<=", "~=", "!=")) or word in ("v", "version"): return True
    if word in VERSIONED: return True
    return word in NUMBERED


def _unit_after(text: str, end: int, decimal: bool = True) -> tuple[str, int]:
    "The unit right after a number (or after the second number of a range) and where the figure's text ends."
    if GLUED_FACTOR.match(text, end): return "x", end + 1
    if match := UNIT.match(text, end):
        glued_letter = match.start("unit") == end and match.group("unit") in ("s", "h", "B")
        if not (glued_letter and not decimal): return " ".join(match.group("unit").split()), match.end()  # `7s`: sevens
    if match := RANGE.match(text, end): return " ".join(match.group("unit").split()), end  # `53` of `53-58 ms`
    return "", end


def find_figures_in_text(text: str, notebook: str = "", cell: int = 0) -> list[Figure]:
    "The measured figures of one Markdown cell's source (see the module docstring for the rules)."
    clean = prose(text)
    found = []  # (position, figure)
    for match in PRICE.finditer(clean):
        found.append((match.start(), _figure(clean, match.start(), match.end(), match.group("num"), "$", notebook, cell)))
    for match in NUMBER.finditer(clean):
        number, end = match.group("num"), match.end()
        if number.count(".") >= 2: continue                                  # 3.11.7, 2.12.2026: versions, dates
        unit, text_end = _unit_after(clean, end, decimal="." in number)
        if not unit and end < len(clean) and (clean[end].isalnum() or clean[end] == "_"): continue  # float32, 5e-5, 135M
        if _excluded_by_word_before(clean[:match.start()]): continue
        if "." not in number and not unit: continue                         # a plain integer: a count, not a measure
        figure = _figure(clean, match.start("num"), text_end, number, unit, notebook, cell)
        if text_end == end and unit: figure = Figure(notebook, cell, f"{number} {unit}", number, unit, figure.context)
        found.append((match.start(), figure))
    return [figure for _, figure in sorted(found, key=lambda pair: pair[0])]


def _figure(clean: str, start: int, end: int, number: str, unit: str, notebook: str, cell: int) -> Figure:
    "A Figure, its text as written and the words around it."
    context = " ".join(clean[max(0, start - 50):end + 30].split())
    return Figure(notebook, cell, " ".join(clean[start:end].split()), number, unit, context)


def find_figures(nb: dict, notebook: str = "") -> list[Figure]:
    "Every measured figure in the notebook's Markdown cells, in order."
    return [f for index, cell in enumerate(nb["cells"]) if cell["cell_type"] == "markdown"
            for f in find_figures_in_text(source(cell), notebook, index)]


# ---------------------------------------------------------------- backing them

def _appears(number: str, text: str, unit_required: bool = False) -> bool:
    "`number` appears in `text` as a whole number (not inside a longer one), followed by a unit when required."
    tail = rf"(?:{UNIT.pattern}|[x×](?!\w))" if unit_required else r"(?![\d]|\.\d)"
    return re.search(rf"(?<![\d.,]){re.escape(number)}{tail}", text) is not None


def _as_fraction(percent: str) -> str:
    "`81.1` (percent) as a fraction at the same precision: `0.811`."
    places = len(percent.split(".")[1]) if "." in percent else 0
    return f"{Decimal(percent.replace(',', '')) / 100:.{places + 2}f}"


def backed_by_outputs(figure: Figure, outputs: str) -> bool:
    "Whether a stored output states the figure at the precision written (see the module docstring)."
    forms = {figure.number, figure.number.replace(",", "")}
    if figure.unit == "$":  # a price: the same amount with a currency sign
        return any(re.search(rf"[$€£]\s?{re.escape(form)}(?![\d]|\.\d)", outputs) for form in forms)
    integer_with_unit = "." not in figure.number and figure.unit not in ("", "$", "%")
    if any(_appears(form, outputs, unit_required=integer_with_unit) for form in forms): return True
    if figure.unit in ("%", "percent", "per cent"):
        return _appears(_as_fraction(figure.number), outputs)
    return False


def read_cited(path: Path = CITED) -> list[dict]:
    "The rows of tests/cited_figures.csv; a clear error for a malformed file."
    if not path.exists(): return []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != CITED_COLUMNS:
            raise ValueError(f"{path}: the header must be {','.join(CITED_COLUMNS)}, not {','.join(reader.fieldnames or [])}.")
        rows = list(reader)
    for line, row in enumerate(rows, start=2):
        missing = [c for c in CITED_COLUMNS if not (row.get(c) or "").strip()]
        if missing: raise ValueError(f"{path} line {line}: fill in {', '.join(missing)} (every cited figure needs its source and date).")
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", row["date"].strip()):
            raise ValueError(f"{path} line {line}: date {row['date']!r} should be YYYY, YYYY-MM or YYYY-MM-DD.")
    return rows


def is_cited(figure: Figure, cited: list[dict]) -> bool:
    "Whether tests/cited_figures.csv lists the figure (as written, or its number) for its notebook."
    norm = lambda s: " ".join(s.split())
    return any(row["notebook"].strip() == figure.notebook and norm(row["figure"]) in (norm(figure.text), figure.number)
               for row in cited)


def unbacked(path: Path | str, cited: list[dict] | None = None) -> list[Figure]:
    "The figures of a notebook's prose that no stored output states and tests/cited_figures.csv does not cite."
    nb = load(path)
    cited = read_cited() if cited is None else cited
    outputs = output_text(nb)
    return [f for f in find_figures(nb, display_name(path)) if not backed_by_outputs(f, outputs) and not is_cited(f, cited)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the figures in notebooks' prose that no stored output backs.")
    parser.add_argument("notebooks", nargs="+", help="notebooks, e.g. nbs/02_zero_shot.ipynb")
    parser.add_argument("--quiet", action="store_true", help="only the count per notebook")
    args = parser.parse_args(argv)
    cited, total = read_cited(), 0
    for path in args.notebooks:
        found = unbacked(path, cited)
        total += len(found)
        if not args.quiet:
            for figure in found: print(figure)
        print(f"{display_name(path)}: {len(found)} unbacked figure{'s' if len(found) != 1 else ''} "
              f"of {len(find_figures(load(path), display_name(path)))}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
