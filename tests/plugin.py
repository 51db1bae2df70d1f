"""pytest plugin for the course's tests (loaded with `-p tests.plugin`, see tests/pytest.ini).

Before any test or notebook kernel starts, it makes every run offline and strict:
- HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE: Hugging Face libraries never try the hub;
- tests/netguard first on PYTHONPATH: every Python started from here, notebook kernels
  included, fails loudly on a non-loopback connection (and so does this process);
- COURSE_EXERCISES_MUST_PASS=1: in the solved lessons, a failing exercise check is an error;
- figures use the notebook's inline backend, which needs no display.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUARD = ROOT / "tests" / "netguard"

TEST_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "COURSE_EXERCISES_MUST_PASS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TOKENIZERS_PARALLELISM": "false",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def pytest_configure(config):
    os.environ.update(TEST_ENVIRONMENT)
    paths = [str(GUARD)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(GUARD)]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    sys.path.insert(0, str(GUARD))
    import sitecustomize as guard  # noqa: the guard in tests/netguard
    if not hasattr(guard, "NetworkBlockedError"):  # another sitecustomize was imported first
        import importlib.util
        spec = importlib.util.spec_from_file_location("course_netguard", GUARD / "sitecustomize.py")
        guard = importlib.util.module_from_spec(spec); spec.loader.exec_module(guard)
    guard.install()
