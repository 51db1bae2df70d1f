"""Run one notebook top to bottom with nbclient, in its own folder; exit 1 on an error (tests/bench/bench_colab.py).

Used with either environment's Python (.venv or .venv-colab): nbclient is in both, papermill only in the first."""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(path: str) -> int:
    notebook = nbformat.read(path, as_version=4)
    try:
        NotebookClient(notebook, timeout=1200, kernel_name="python3",
                       resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    except Exception as error:  # nbclient's CellExecutionError names the cell
        print(f"{path}: {type(error).__name__}: {str(error)[-1500:]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
