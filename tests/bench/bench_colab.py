"""Each lesson in fast mode under the course's pinned environment and under Colab's versions, measured alike.

    python -m tests.bench.bench_colab [--lessons 03 04] [--runs 1]

For each lesson and each environment (`.venv`: Python 3.11 and requirements/; `.venv-colab`: Python 3.13 and
Colab's versions, built by `make colab-test`), the lesson's fast-mode copy runs alone, in an empty folder, offline,
with the same cache (SmolLM2 already converted) and the default number of threads, through nbclient
(tests/bench/run_notebook.py): wall time and peak memory of the process tree. Writes
`tests/bench/colab_times.csv` (the Performance page's section "Fast mode on Colab's versions", written by
`make bench`; tests/bench/colab_times.md holds its notes) and prints that section.
"""
import argparse
import csv
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.bench.bench import COLAB_TIMES, ROOT, colab_section, run_measured
from tests.colab_env import PY as COLAB_PY
from tests.prepare_notebooks import prepare
from tests.student_copies import lessons

ENVIRONMENTS = {"course's versions": ROOT / ".venv" / "bin" / "python", "Colab's versions": COLAB_PY}
PACKAGES = ["torch", "transformers", "tensorflow", "keras", "numpy", "scikit-learn"]


def versions(python: Path) -> str:
    "Python and the main packages' versions in an environment, in a few words (tensorflow-cpu counts as tensorflow)."
    code = ("import importlib.metadata as m, platform\n"
            "def v(p):\n"
            "    for name in (p, p + '-cpu'):\n"
            "        try: return f'{p} {m.version(name)}'\n"
            "        except m.PackageNotFoundError: pass\n"
            f"print('Python', platform.python_version() + ',', ', '.join(filter(None, map(v, {PACKAGES!r}))))")
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", nargs="*", help="two-digit lesson numbers (default: all)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    if not COLAB_PY.exists(): raise SystemExit("build the Colab environment first: python -m tests.colab_env build")
    rows = []
    for lesson in lessons():
        if args.lessons and lesson.name[:2] not in args.lessons: continue
        for label, python in ENVIRONMENTS.items():
            for run in range(args.runs):
                with tempfile.TemporaryDirectory() as folder:
                    copy = prepare(lesson, Path(folder))
                    measured = run_measured([str(python), "-m", "tests.bench.run_notebook", str(copy)],
                                            env={"PYTHONWARNINGS": "ignore:CUDA initialization:UserWarning"})
                rows.append(dict(lesson=lesson.stem, environment=label, run=run + 1, seconds=measured["seconds"],
                                 peak_gb=measured["peak_gb"], ok=measured["ok"]))
                print(f"{lesson.stem:<22} {label:<32} {measured['seconds']:7.1f} s  {measured['peak_gb']:.2f} GB"
                      f"{'' if measured['ok'] else '  FAILED: ' + measured['output'][-300:]}", flush=True)
    machine = f"{platform.machine()}, {psutil.cpu_count()} CPU cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"
    course, colab = (versions(python) for python in ENVIRONMENTS.values())
    for row in rows: row.update(date=time.strftime("%Y-%m-%d"), machine=machine, course_versions=course, colab_versions=colab)
    with open(COLAB_TIMES, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0])); writer.writeheader(); writer.writerows(rows)
    print("\n".join(colab_section()))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
