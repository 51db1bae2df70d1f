"""The learners' JupyterLab: `make lab` runs `python -m tests.lab`.

One command line for everyone: `make lab` starts it as it is (it opens the browser on the course's index),
and tests/test_jupyterlab.py starts the same command with a port, a token and no browser. The server
serves the repository root on loopback only, so the lessons (`nbs/`) and the student copies
(`_student/`) are both in the file browser; as root (a container, a lab machine) it adds `--allow-root`.
Nothing here needs the network: `make setup` installs from PyPI once, then the course runs offline.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(*extra: str) -> list[str]:
    "The `jupyter lab` command line, with `extra` options appended."
    jupyter = Path(sys.executable).parent / "jupyter"
    line = [str(jupyter), "lab", f"--ServerApp.root_dir={ROOT}", "--ServerApp.ip=127.0.0.1",
            "--LabApp.default_url=/lab/tree/nbs/index.ipynb"]
    if hasattr(os, "getuid") and os.getuid() == 0: line.append("--allow-root")
    return line + list(extra)


def main(argv: list[str]) -> int:
    line = command(*argv)
    print(" ".join(line), flush=True)
    os.execv(line[0], line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
