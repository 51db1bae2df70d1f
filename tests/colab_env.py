"""`make colab-test`: the lessons and the student copies run as a Colab learner gets them.

1. An environment that matches Colab's CPU runtime (`.venv-colab/`, built once, rebuilt only when its inputs
   change, like `make setup`): Python 3.13 and Colab's version of every package the course imports
   (`COLAB_PACKAGES`), taken from Colab's own list (tests/colab/pip-freeze.txt) as constraints, bytecode compiled
   as in Colab's image; plus the test tools Colab lacks (`TEST_TOOLS`, resolved under the same constraints).
   Installed with uv (its cache, ~/.cache/uv, makes a rebuild on the same machine quick).
2. The course installed exactly as the lessons' Colab cell does: the cell's own source runs there with
   COLAB_RELEASE_TAG set, the repository's address replaced by this working tree (nothing else changes).
3. Every lesson (nbval, as `make test` runs it: offline guard, exercise checks must pass and earn full marks) and
   every student copy (runs top to bottom, every check answers "Not yet"), in fast mode, each from an empty
   folder of its own, as Colab's /content is (tests/colab_run.py).

Python 3.13: `python3.13` on the PATH, a pyenv 3.13, or `uv python install 3.13` (then `uv python find 3.13`
gives the path); set COLAB_PYTHON to choose one. One difference from Colab is unavoidable offline: Colab's CPU
runtime takes torch 2.11.0+cpu from download.pytorch.org, which this machine cannot reach; the same release from
PyPI (built with CUDA libraries, which stay unused on a CPU) stands in for it.

    python -m tests.colab_env build    # the environment only (idempotent)
    python -m tests.colab_env run      # build, prepare the notebooks, run them (what make colab-test does)
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.colab_resolve import colab_freeze, freeze_pins, normalise

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("COLAB_VENV", ROOT / ".venv-colab"))
PY = VENV / "bin" / "python"
STAMP = VENV / ".colab-env.json"
UV = Path(sys.executable).parent / "uv"
OUT = ROOT / "_build" / "colabtest"

# what the course imports that Colab ships: each is installed at Colab's version (a test checks they are all in the list)
COLAB_PACKAGES = ["torch", "transformers", "sentence-transformers", "tokenizers", "safetensors", "huggingface-hub",
                  "accelerate", "peft", "tensorflow", "keras", "numpy", "pandas", "scipy", "scikit-learn",
                  "scikit-image", "matplotlib", "pillow", "tqdm", "ipywidgets", "ipython", "ipykernel", "pydantic",
                  "fastapi", "uvicorn", "httpx", "starlette", "filelock", "psutil", "mlxtend", "pip", "setuptools"]
# what only the tests need (not on Colab): resolved under Colab's pins, so they cannot move a Colab package
TEST_TOOLS = ["pytest", "nbval", "pytest-xdist", "nbclient", "nbformat",
              "rapidfuzz", "sqlalchemy", "alembic"]  # the last three: what nbgrader's grading module imports
# nbgrader's grading rule (tests/plugin.py grades the solved lessons as nbgrader does); its server dependencies are not needed
NO_DEPS_TOOLS = ["nbgrader==0.9.6"]


def python313() -> str:
    "A Python 3.13 interpreter, or an error that says how to get one."
    candidates = [os.environ.get("COLAB_PYTHON"), shutil.which("python3.13")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))
    for candidate in filter(None, candidates):  # a pyenv shim may exist and still not run: ask each one
        try: answer = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13), sys.executable)"],
                                     capture_output=True, text=True, timeout=30).stdout.split()
        except OSError: continue
        if answer and answer[0] == "True": return answer[1]
    try:
        found = subprocess.run([str(UV), "python", "find", "3.13"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip(): return found.stdout.strip()
    except OSError: pass
    raise SystemExit("colab-test needs Python 3.13, as Colab has: install it with `uv python install 3.13` "
                     "(or pyenv, or your system's python3.13), or set COLAB_PYTHON to its path")


def constraints() -> str:
    "Colab's CPU list as pip constraints: every `name==version` it pins (URL lines give their file's version)."
    pins = freeze_pins(colab_freeze("cpu").read_text(encoding="utf-8"))
    missing = [p for p in COLAB_PACKAGES if normalise(p) not in pins and p not in ("pip",)]
    if missing: raise SystemExit(f"Colab's list (tests/colab/pip-freeze.txt) has no pin for {missing}: update COLAB_PACKAGES")
    # the CUDA libraries torch's PyPI build brings (see above) follow that build, not Colab's pins for other packages
    cuda = ("nvidia-", "cuda-", "triton")
    return "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()) if not name.startswith(cuda))


def inputs_key(python: str) -> str:
    text = json.dumps([constraints(), COLAB_PACKAGES, TEST_TOOLS, NO_DEPS_TOOLS, python, Path(python).resolve().name])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def uv(*arguments: str) -> None:
    if not UV.exists(): raise SystemExit(f"{UV} is missing: run `make setup` first")
    subprocess.run([str(UV), *arguments], check=True)


def build() -> Path:
    "Build `.venv-colab` unless it is already built from the same inputs; returns its Python."
    python = python313()
    key = inputs_key(python)
    if STAMP.exists() and json.loads(STAMP.read_text()).get("key") == key and PY.exists():
        print(f"colab-env: {VENV.relative_to(ROOT) if VENV.is_relative_to(ROOT) else VENV} is up to date")
        return PY
    start = time.time()
    if VENV.exists(): shutil.rmtree(VENV)
    uv("venv", "--quiet", "--seed", "--python", python, str(VENV))
    pins = OUT / "colab-constraints.txt"
    pins.parent.mkdir(parents=True, exist_ok=True)
    pins.write_text(constraints())
    print(f"colab-env: installing Colab's versions of {len(COLAB_PACKAGES)} packages and {len(TEST_TOOLS)} test tools")
    # PyPI only: the machine's pip settings (a torch cap, local mirrors) are not Colab's
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    subprocess.run([str(UV), "pip", "install", "--quiet", "--python", str(PY), "--compile-bytecode",
                    "--index-strategy", "first-index", "-c", str(pins), *COLAB_PACKAGES, *TEST_TOOLS],
                   check=True, env=env)
    subprocess.run([str(UV), "pip", "install", "--quiet", "--python", str(PY), "--no-deps", *NO_DEPS_TOOLS],
                   check=True, env=env)
    check_pins(pins)
    STAMP.write_text(json.dumps({"key": key, "python": python, "built_in_s": round(time.time() - start, 1)}))
    print(f"colab-env: built in {time.time() - start:.0f} s")
    return PY


def installed_versions(python: Path = PY) -> dict[str, str]:
    listing = subprocess.run([str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
                             capture_output=True, text=True, check=True).stdout
    return {normalise(p["name"]): p["version"].split("+")[0] for p in json.loads(listing)}


def check_pins(pins_file: Path) -> None:
    "Every Colab package the environment holds is at Colab's version."
    pins = freeze_pins(pins_file.read_text())
    wrong = {name: (pins[name], version) for name, version in installed_versions().items()
             if name in pins and pins[name] != version}
    if wrong: raise SystemExit(f"colab-env: not Colab's versions (Colab, here): {wrong}")


def install_cells() -> list[str]:
    "The lessons' Colab install cells, each different one once (lesson 00's installs no gguf, the others do)."
    from tests.first_screen import install_cell
    from tests.student_copies import lessons
    cells = ["".join(install_cell(json.loads(lesson.read_text(encoding="utf-8")))["source"]) for lesson in lessons()]
    code = lambda cell: "\n".join(line for line in cell.splitlines() if not line.lstrip().startswith("#"))
    return list({code(cell): cell for cell in cells}.values())


def pip_check_complaints() -> list[str]:
    "`pip check`'s complaints about a package Colab ships (asset packages and test tools may lack what they never use)."
    pins = freeze_pins(colab_freeze("cpu").read_text(encoding="utf-8"))
    result = subprocess.run([str(PY), "-m", "pip", "check"], capture_output=True, text=True, env=_pip_env())
    print(result.stdout.strip())
    return [line for line in result.stdout.splitlines() if line.split() and normalise(line.split()[0]) in pins]


def _pip_env() -> dict:
    "The environment of a pip run as on Colab: PyPI, none of this machine's pip settings (local mirrors, a torch cap)."
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHONPATH"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def install_course() -> None:
    "Run the lessons' Colab install cells in the environment, with this working tree for the repository's address."
    address = 'f"git+{repo}"'
    for source in install_cells():
        if address not in source: raise SystemExit(f"an install cell no longer installs {address}: update tests/colab_env.py")
        source = source.replace(address, repr(str(ROOT)))
        subprocess.run([str(PY), "-c", source], check=True, cwd=OUT, env={**_pip_env(), "COLAB_RELEASE_TAG": "course-colab-test"})
    if complaints := pip_check_complaints():
        raise SystemExit("colab-env: after the course's install, pip check complains about Colab's own packages:\n"
                         + "\n".join(complaints))
    print("colab-env: pip check has no complaint about a package Colab ships")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    build()
    if command == "build": return 0
    OUT.mkdir(parents=True, exist_ok=True)
    install_course()
    from tests import colab_run
    return colab_run.run_all(PY, OUT, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
