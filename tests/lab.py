"""The learners' JupyterLab: `make lab` runs `python -m tests.lab`.

One command line for everyone: `make lab` starts it as it is (it opens the browser on the course's index),
and tests/test_jupyterlab.py starts the same command with a port, a token and no browser. The server
serves the repository root on loopback only, so the lessons (`nbs/`) and the student copies
(`_student/`) are both in the file browser; as root (a container, a lab machine) it adds `--allow-root`.
Nothing here needs the network: `make setup` installs from PyPI once, then the course runs offline.

JupyterLab's defaults for the course come with it, in tests/lab_settings/overrides.json (its application
settings folder, `--LabApp.app_settings_dir`): no pop-up asking to fetch Jupyter's news on the first screen,
and no update check (both would reach the internet); page_config.json there leaves out nbgrader's JupyterLab
extension (its menus are the teacher's: `make assignments` and `make grade` do the grading from the command line). A learner's own settings (Settings > Settings Editor,
kept in ~/.jupyter/lab/user-settings) still win over these defaults.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Path(__file__).resolve().parent / "lab_settings"  # overrides.json: the course's JupyterLab defaults


def command(*extra: str) -> list[str]:
    "The `jupyter lab` command line, with `extra` options appended."
    jupyter = Path(sys.executable).parent / "jupyter"
    line = [str(jupyter), "lab", f"--ServerApp.root_dir={ROOT}", "--ServerApp.ip=127.0.0.1",
            "--LabApp.default_url=/lab/tree/nbs/index.ipynb", f"--LabApp.app_settings_dir={SETTINGS}"]
    if hasattr(os, "getuid") and os.getuid() == 0: line.append("--allow-root")
    return line + list(extra)


def main(argv: list[str]) -> int:
    line = command(*argv)
    print(" ".join(line), flush=True)
    os.execv(line[0], line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
