"""Open-in-Colab badges and Colab's accelerator settings for every lesson (idempotent).

`python -m tests.colab_badges` rewrites, in each lesson `nbs/NN_*.ipynb`:

- the badge line (the first markdown line with Colab's badge, or a new one under the title) into two
  badges: one opens the lesson, one its student copy `_student/NN_*.ipynb` (see tests/student_copies.py);
- the notebook metadata of the GPU lessons (GPU_LESSONS) with `"accelerator": "GPU"` and
  `"colab": {"gpuType": "T4"}`, so Colab opens them on a T4 GPU runtime; other lessons carry neither.

Running it again changes nothing. `--check` lists the lessons it would change (tests/test_colab.py
runs it). After it, run `make student` so the student copies carry the same badges and metadata.
"""
import configparser
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
GPU_LESSONS = ("04", "05")  # lesson numbers whose notebooks ask Colab for a GPU runtime
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(path: str) -> str:
    "Colab's address for a notebook of the repository, e.g. `colab_url('nbs/01_pretrained.ipynb')`."
    settings = configparser.ConfigParser()
    settings.read(ROOT / "settings.ini", encoding="utf-8")
    git_url, branch = settings["DEFAULT"]["git_url"], settings["DEFAULT"].get("branch", "main")
    owner_repo = re.sub(r"^https://github\.com/|\.git$", "", git_url.rstrip("/"))
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}"


def badge_line(lesson_name: str) -> str:
    "The two badges of a lesson, on one markdown line."
    return (f"[![Open the lesson in Colab]({BADGE_IMAGE})]({colab_url(f'nbs/{lesson_name}')}) the lesson"
            f" · [![Open the student copy in Colab]({BADGE_IMAGE})]({colab_url(f'_student/{lesson_name}')})"
            " the student copy, exercises left for you")


def _source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _set_source(cell: dict, text: str) -> None:
    "Set a cell's source, keeping the notebook's style (one string, or a list of lines)."
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell["source"], list) else text


def with_badges(nb: dict, lesson_name: str) -> dict:
    "The notebook with its badge line made canonical (in place)."
    line = badge_line(lesson_name)
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown" or BADGE_IMAGE not in _source(cell): continue
        lines, out, replaced = _source(cell).split("\n"), [], False
        for text in lines:
            if BADGE_IMAGE in text:
                if not replaced: out.append(line); replaced = True
            else: out.append(text)
        _set_source(cell, "\n".join(out))
        return nb
    after_title = nb["cells"][1] if len(nb["cells"]) > 1 else None
    if after_title is not None and after_title["cell_type"] == "markdown" and not _source(after_title).lstrip().startswith("#"):
        _set_source(after_title, f"{line}\n\n{_source(after_title)}")
    else:
        nb["cells"].insert(1, {"cell_type": "markdown", "id": "c01ab0ad", "metadata": {}, "source": line})
    return nb


def with_accelerator(nb: dict, gpu: bool) -> dict:
    "The notebook with Colab's accelerator metadata set (GPU lessons) or removed (the others), in place."
    metadata = nb.setdefault("metadata", {})
    if gpu:
        metadata["accelerator"] = "GPU"
        metadata.setdefault("colab", {})["gpuType"] = "T4"
    else:
        metadata.pop("accelerator", None)
        if "colab" in metadata:
            metadata["colab"].pop("gpuType", None)
            if not metadata["colab"]: del metadata["colab"]
    return nb


def lessons() -> list[Path]:
    return sorted(NBS.glob("[0-9][0-9]_*.ipynb"))


def render(nb: dict) -> str:
    "As nbdev_clean writes notebooks."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def expected(lesson: Path) -> str:
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    with_badges(nb, lesson.name)
    with_accelerator(nb, lesson.name[:2] in GPU_LESSONS)
    return render(nb)


def rewrite_lessons(expected, argv: list[str], problem: str, fix: str, done: str) -> int:
    """The command line of a script that lays every lesson out as `expected(lesson)` returns it (text): with `--check`,
    list the lessons that differ (`problem: nbs/NN_name.ipynb`) and say `fix`; without, rewrite them (idempotent)."""
    changed = [lesson for lesson in lessons() if lesson.read_text(encoding="utf-8") != expected(lesson)]
    if "--check" in argv:
        for lesson in changed: print(f"{problem}: nbs/{lesson.name}")
        if changed: print(fix)
        return 1 if changed else 0
    for lesson in changed:
        lesson.write_text(expected(lesson), encoding="utf-8")
        print(f"updated nbs/{lesson.name}")
    if not changed: print(done)
    return 0


def main(argv: list[str]) -> int:
    return rewrite_lessons(expected, argv, "needs badges or Colab metadata", "run `python -m tests.colab_badges`, then `make student`",
                           "every lesson already has both Colab badges and its Colab metadata")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
