"""`make docs`: an index page and one page per notebook, with the outputs stored in the notebooks."""
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.build_docs import ROOT, stage

CONFIG = yaml.safe_load((ROOT / "_quarto.yml").read_text())


def test_every_notebook_is_on_the_site_and_in_the_sidebar():
    notebooks = {p.relative_to(ROOT).as_posix() for p in (ROOT / "nbs").rglob("*.ipynb")
                 if not any(part.startswith((".", "_")) for part in p.parts)}
    rendered = set(CONFIG["project"]["render"])
    assert notebooks <= rendered, f"list every notebook under project.render in _quarto.yml: {sorted(notebooks - rendered)}"
    assert all((ROOT / page).is_file() for page in rendered), "every page in project.render exists"
    sidebar = yaml.safe_dump(CONFIG["website"]["sidebar"])
    assert all(page in sidebar for page in rendered), "every page belongs in the sidebar"


def test_site_renders_every_page_with_outputs(tmp_path):
    site = tmp_path / "site"
    staged = stage(ROOT, tmp_path / "stage", site)
    smalldocs = Path(sys.executable).parent / "smalldocs"
    subprocess.run([str(smalldocs), "render", str(tmp_path / "stage")], check=True, capture_output=True, timeout=300)
    assert (site / "index.html").is_file()
    for notebook in staged:
        page = site / notebook.relative_to(tmp_path / "stage").with_suffix(".html")
        assert page.is_file(), f"no page for {notebook.name}"
    lesson = (site / "nbs" / "00_setup.html").read_text()
    assert "colab-badge" in lesson and "Correct (Exercise 1" in lesson, "badge and stored outputs shown"
    assert "Show a solution" in lesson
    assert not re.search(r"#\|\s*(export|default_exp|hide)", lesson), "nbdev directives are not shown"
