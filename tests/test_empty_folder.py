"""Lessons run from any folder: as on Colab, whose working directory (/content) holds nothing of the course.

`make test` runs each lesson alone in an empty folder of its own (tests/prepare_notebooks.py), and `make colab-test`
does the same on Colab's versions, student copies included (tests/colab_run.py). Here: that layout, and a scan of
every lesson and student copy for a file read relative to the working directory (`data/...`, `nbs/...`, `../`):
everything a lesson reads ships inside the installed package (course_utils.datasets.course_file, course_utils.assets)."""
import json
import re
from pathlib import Path

import pytest

from tests.prepare_notebooks import prepare
from tests.student_copies import STUDENT, lessons

LESSONS = lessons()
RELATIVE_READ = re.compile(r"""["'](\.\./|\./)?(nbs/|data/|_student/|course_utils/)[^"'\s]*["']""")


def relative_reads(notebook: Path) -> list[str]:
    "String literals in the notebook's code cells that name a path of the repository relative to the working directory."
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "code": continue
        source = "".join(cell["source"])
        for line in source.splitlines():
            if line.lstrip().startswith("#") or "http" in line: continue  # comments and web addresses are not reads
            found += [match.group(0) for match in RELATIVE_READ.finditer(line)]
    return found


@pytest.mark.parametrize("notebook", LESSONS + [STUDENT / lesson.name for lesson in LESSONS],
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_lesson_reads_files_beside_itself(notebook):
    reads = relative_reads(notebook)
    assert not reads, (f"{notebook.name} reads {reads} relative to its folder: on Colab that folder is empty. Ship the file "
                       "in the package (course_utils/data, listed in course_utils.datasets.COURSE_FILES) and read it with course_file()")


def test_the_scan_finds_a_planted_relative_read(tmp_path):
    planted = tmp_path / "07_planted.ipynb"
    planted.write_text(json.dumps({"cells": [{"cell_type": "code", "source": 'other = pd.read_csv("data/other_domain_reviews.csv")'},
                                             {"cell_type": "code", "source": "# see data/x.csv\nurl = 'https://x/nbs/data/y.csv'"}]}))
    assert relative_reads(planted) == ['"data/other_domain_reviews.csv"']


def test_each_lesson_is_tested_alone_in_an_empty_folder(tmp_path):
    for lesson in LESSONS:
        (tmp_path / lesson.stem).mkdir()
        (tmp_path / lesson.stem / "left-over.csv").write_text("a,b\n")  # a file from an earlier run is cleared
        target = prepare(lesson, tmp_path)
        assert target.parent == tmp_path / lesson.stem and [p.name for p in target.parent.iterdir()] == [lesson.name]
