"""A lesson's first screen in JupyterLab, as `make lab` opens it: the title, "What you will learn" and the
**Time** line are in view; no nbdev directive (`#|`), no install code (`pip install`, `COLAB_RELEASE_TAG`) and
no pop-up asking to fetch Jupyter's news.

The server is started as `make lab` starts it (`python -m tests.lab`, with a port, a token and no browser) and
each lesson is opened alone (a fresh workspace) in headless Chromium (Debian's, driven through ChromeDriver and
selenium, with the flags of tests/test_site_in_browser.py, window 1280 x 900). The text in the first viewport is
read as the learner sees it, and the screen saved as `_build/screenshots/lab-first-screen-NN_name.png`. Lesson
00's whole first screen has no directive; in the others the setup section's `#| default_exp` and `#| export`
cells may reach the bottom of the screen when the introduction is short, so there the introduction (above the
first `## ` heading) is checked for directives. The layout that makes it so (the folded install cell,
`#| default_exp` below the setup) is also checked per lesson, without a browser, against tests/first_screen.py.

COURSE_LAB_ROOT=/path/to/a/checkout serves another checkout of the course (its own tests/lab.py and lessons),
e.g. a copy with the lessons rewritten by `python -m tests.first_screen`, before they are committed.
"""
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from tests import build_docs, first_screen
from tests.student_copies import lessons
from tests.browser import api, chromium_driver, lab_server

ROOT = Path(__file__).resolve().parent.parent
SERVED = Path(os.environ.get("COURSE_LAB_ROOT") or ROOT).resolve()
SHOTS = ROOT / "_build" / "screenshots"
LESSONS = lessons()
NEWS_SETTINGS = "@jupyterlab/apputils-extension:notification"
INSTALL_CODE = re.compile(r"\bpip\b\W{0,6}install\b|COLAB_RELEASE_TAG")  # `pip install`, `"pip", "install"`
DIRECTIVE = "#|"
# Lessons whose whole first screen is free of directives. In the others the setup section (its `#| default_exp`
# and `#| export` cells) may reach the bottom of the first screen, depending on how long the introduction is:
# there, the introduction (everything above the first `## ` section heading) is checked.
WHOLE_SCREEN_WITHOUT_DIRECTIVES = ("00_setup",)

# The text of the page the learner can see: each text node's box, clipped by the window and by every scrolling
# or clipping box around it below <body> (the notebook's scroller, the side bars), and shown (not display:none,
# visibility:hidden or transparent). [top, text] pairs in reading order.
VISIBLE_TEXT = """
const clip = (box, other) => ({left: Math.max(box.left, other.left), top: Math.max(box.top, other.top),
                               right: Math.min(box.right, other.right), bottom: Math.min(box.bottom, other.bottom)});
const seen = box => box.right - box.left > 1 && box.bottom - box.top > 1;
const shown = element => {
  for (let e = element; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') return false;
  }
  return true;
};
const lines = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const text = node.textContent.trim();
  if (!text || !shown(node.parentElement)) continue;
  const range = document.createRange(); range.selectNodeContents(node);
  for (const rect of range.getClientRects()) {
    let box = clip(rect, {left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight});
    for (let e = node.parentElement; e && e !== document.body && seen(box); e = e.parentElement) {
      if (getComputedStyle(e).overflow !== 'visible') box = clip(box, e.getBoundingClientRect());
    }
    if (seen(box)) { lines.push({top: Math.round(rect.top), left: Math.round(rect.left), text: text}); break; }
  }
}
lines.sort((a, b) => a.top - b.top || a.left - b.left);
return lines.map(l => [l.top, l.text]);
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "`make lab`'s server (`python -m tests.lab`) on the checkout SERVED, fresh user settings; yields (base, token)."
    with lab_server(tmp_path_factory.mktemp("lab-first-screen"), SERVED, [sys.executable, "-m", "tests.lab"]) as (base, token):
        yield base, token


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    "Headless Chromium at 1280 x 900, as in tests/test_site_in_browser.py (skipped where it cannot be installed)."
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-lab-profile"), "the JupyterLab screenshot test", page_load_timeout=90)
    yield driver
    driver.quit()


def _title(lesson: Path) -> str:
    "The lesson's title: the `# ` line of its first cell."
    first = json.loads(lesson.read_text(encoding="utf-8"))["cells"][0]
    return re.match(r"#\s+(.+)", "".join(first["source"])).group(1).strip()


def _first_section(lesson: Path) -> str | None:
    "The text of the lesson's first `## ` heading (its setup section), or None."
    for cell in json.loads(lesson.read_text(encoding="utf-8"))["cells"]:
        match = re.search(r"^##\s+(.+)$", "".join(cell["source"]), re.M) if cell["cell_type"] == "markdown" else None
        if match: return match.group(1).strip()
    return None


def _open_lesson(browser, base: str, token: str, name: str) -> None:
    "Open nbs/`name` alone in JupyterLab (a fresh workspace: `?reset`) and wait until its title is rendered."
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(f"{base}/lab/tree/nbs/{name}?reset&token={token}")
    heading = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown h1"
    WebDriverWait(browser, 120).until(lambda b: any(h.is_displayed() and h.text.strip() for h in b.find_elements("css selector", heading)))


def _toasts(browser) -> list[str]:
    return [t.text for t in browser.find_elements("css selector", ".Toastify__toast")]


@pytest.fixture(scope="module")
def page(lab, browser):
    """The browser on `make lab`'s JupyterLab, once it has had time to ask its first-start questions: the news
    question comes after JupyterLab is restored and its settings are loaded. Yields (browser, base, token)."""
    base, token = lab
    browser.set_window_size(1280, 900)
    _open_lesson(browser, base, token, LESSONS[0].name)
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and not _toasts(browser):
        time.sleep(0.5)
    yield browser, base, token


def test_lab_ships_the_course_settings(lab):
    "JupyterLab's defaults come from tests/lab_settings/overrides.json: no news, no update check."
    base, token = lab
    properties = api(base, token, f"/lab/api/settings/{NEWS_SETTINGS}")["schema"]["properties"]
    assert properties["fetchNews"]["default"] == "false", "JupyterLab would ask to fetch Jupyter's news on the first screen"
    assert properties["checkForUpdates"]["default"] is False, "JupyterLab would check the internet for updates"
    page_config = json.loads((SERVED / "tests" / "lab_settings" / "page_config.json").read_text(encoding="utf-8"))
    assert "@jupyter/nbgrader" in page_config["disabledExtensions"], "learners would see nbgrader's teacher menus"


def test_learners_see_no_grading_menus(page):
    "nbgrader's JupyterLab extension (menus, Create Assignment, Validate) is the teacher's: make lab leaves it out."
    browser, _, _ = page
    menus = browser.execute_script("return [...document.querySelectorAll('.lm-MenuBar-itemLabel')].map(e => e.textContent)")
    assert "File" in menus and "Nbgrader" not in menus, f"the menu bar: {menus}"


def test_first_screen_script_is_idempotent():
    "The install cell gets its Colab title and folding metadata; `#| default_exp` goes just before the first export."
    cell = lambda kind, source, **metadata: {"cell_type": kind, "id": f"c{len(source)}", "metadata": metadata, "source": source}
    install = '#| hide\n# Colab only: install the course.\nimport os\nif "COLAB_RELEASE_TAG" in os.environ: pass'
    nb = {"cells": [cell("markdown", "# A lesson"), cell("code", install), cell("code", "fast = False", tags=["parameters"]),
                    cell("code", "#| default_exp demo"), cell("markdown", "## Setup"), cell("code", "import os"),
                    cell("code", "#| export\ndef f(): pass")], "metadata": {}}
    once = first_screen.move_default_exp(first_screen.collapse_install_cell(json.loads(json.dumps(nb))))
    twice = first_screen.move_default_exp(first_screen.collapse_install_cell(json.loads(json.dumps(once))))
    assert once == twice
    assert [c["source"].split("\n")[0] for c in once["cells"]] == [
        "# A lesson", "# @title Colab only: install the course", "fast = False", "## Setup", "import os",
        "#| default_exp demo", "#| export"]
    folded = once["cells"][1]
    assert folded["source"].split("\n")[1] == "#| hide" and "hide" in [d[3:] for d in build_docs.directives(folded["source"])]
    assert folded["metadata"] == {"jupyter": {"source_hidden": True}, "cellView": "form"}
    assert once["cells"][2]["metadata"] == {"tags": ["parameters"]}, "the parameters cell is left as it is"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_first_screen_is_laid_out(lesson):
    "The install cell is folded (JupyterLab and Colab), `#| default_exp` sits below the setup."
    assert lesson.read_text(encoding="utf-8") == first_screen.expected(lesson), \
        "run `python -m tests.first_screen`, then `nbdev_export`, `nbdev_clean` and `make student`"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_first_screen_in_jupyterlab(page, lesson):
    browser, base, token = page
    if not browser.current_url.split("?")[0].endswith(f"/nbs/{lesson.name}"):
        for session in api(base, token, "/api/sessions"):  # the previous lesson's kernel: one at a time
            api(base, token, f"/api/sessions/{session['id']}", "DELETE")
        _open_lesson(browser, base, token, lesson.name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"lab-first-screen-{lesson.stem}.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    lines = browser.execute_script(VISIBLE_TEXT)
    text = "\n".join(line for _, line in lines)
    title, section = _title(SERVED / "nbs" / lesson.name), _first_section(SERVED / "nbs" / lesson.name)
    problems = [f"{what} is not in view" for what, seen in (
        (f"the title {title!r}", title in text), ("'What you will learn'", "What you will learn" in text),
        ("the **Time** line", re.search(r"^Time\b", text, re.M))) if not seen]
    problems += [f"install code {code!r} is in view" for code in sorted(set(INSTALL_CODE.findall(text)))]
    if lesson.stem in WHOLE_SCREEN_WITHOUT_DIRECTIVES:
        if DIRECTIVE in text: problems.append(f"{DIRECTIVE!r} is in view")
    else:
        below = min((top for top, line in lines if line == section), default=float("inf"))
        if any(DIRECTIVE in line for top, line in lines if top < below):
            problems.append(f"{DIRECTIVE!r} is in view above the first section ({section!r})")
    if _toasts(browser) or "Jupyter news" in text: problems.append(f"a notification covers the lesson: {_toasts(browser)}")
    assert not problems, (f"{lesson.name}'s first screen in JupyterLab: " + "; ".join(problems) +
                          f"\n(screenshot: {shot}; the text in view:\n{text})")
