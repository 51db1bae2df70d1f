"""A learner's session in JupyterLab, driven in the browser as a learner drives it: lesson 03's student copy,
its setup, its prompt playground and one of its exercises.

The server is `make lab`'s own command line (`python -m tests.lab`, with a port, a token and no browser: see
tests/browser.py's `lab_server`), and the page is headless Debian Chromium driven through ChromeDriver and
selenium (`chromium_driver`). Nothing runs through the API (it is only read, to check the kernel): every cell
runs from the page (a click on its prompt, Shift+Enter), every answer is typed into the cell's editor, every
control is changed with the mouse or the keyboard. Waits are on the page's state, as JupyterLab's own UI tests
(galata) wait: the cell's execution count, then Idle in the status bar, then the output. The steps:

1. the file browser: open the folder `_student`, then `03_prompting.ipynb` (a double click on each);
2. fast mode: type `fast = True` into the parameters cell and run it (the tests' setting: a shorter answer);
3. the setup: run the cells of the `## Setup` section (imports, the model), then the cells that define what the
   playground calls (`render_prompt`, `_check_decoding`, `generate`), and wait for their outputs;
4. the playground (section 7): run it, wait for its first answer; type another prompt, move the temperature
   slider to 0 (its handle, the Home key), click Generate: the answer shown on the page must change;
5. Exercise 4 (predict, then check): run the exercise imports, type a wrong answer, run it and its check: the page
   reads "Not yet"; type the solution (`ex4._solution`), run both again: the page reads "Correct".

Each step is saved as `_build/screenshots/lab-learner-NN-step.png`. It fails on any error output on the page
(an exception's traceback, or anything written to stderr), on a dialog (the one saying the kernel died), on a
kernel that is not idle and alive at the end (the status bar and the REST API), and on a restarted kernel (the
execution counts must run 1, 2, 3, ... in the order the cells were run: a restart starts them at 1 again).

Why lesson 03, in fast mode: its playground needs only SmolLM2-135M loaded (a few seconds) and answers in 6
tokens in fast mode, and its Exercise 4 checks a letter (no model call). Lesson 05's digit browser would need
TensorFlow and a CNN trained first. The kernel runs 14 of the lesson's 154 cells (the exercise's two twice), not
the whole lesson.

The learner's environment: COURSE_EXERCISES_MUST_PASS and COURSE_GRADING (set by tests/plugin.py for the solved
lessons' runs) are removed from the server's environment, so a wrong answer prints "Not yet" instead of raising,
as it does for a learner. Autosave is off (the test's own user settings), so the student copy is never written:
the test checks at the end that what the learner typed is not in the file. COURSE_LAB_ROOT=/path/to/a/checkout serves another
checkout (its own tests/lab.py and `_student/`), e.g. a copy with a planted defect.
"""
import ast
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.browser import api, chromium_driver, lab_server

ROOT = Path(__file__).resolve().parent.parent
SERVED = Path(os.environ.get("COURSE_LAB_ROOT") or ROOT).resolve()
SHOTS = ROOT / "_build" / "screenshots"
LESSON = "03_prompting"
STUDENT_FOLDER = "_student"
COPY = f"{STUDENT_FOLDER}/{LESSON}.ipynb"
EXERCISE = "ex4"  # predict, then check: its check reads a letter, no model call
WRONG = {"ex4": 'decoding_prediction = "a"'}
PLAYGROUND_NEEDS = ("render_prompt", "_check_decoding", "generate")  # what `playground` calls, defined in section 1
NEW_PROMPT = "Write one sentence about the sea."
# the learner's environment: the solved lessons' settings of tests/plugin.py removed; no autosave of the student copy
LEARNER_ENVIRONMENT = {"COURSE_EXERCISES_MUST_PASS": None, "COURSE_GRADING": None}
USER_SETTINGS = {"@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False}}
KERNEL_TROUBLE = re.compile(r"\b(Dead|Restarting|Autorestarting|Terminating|Disconnected|Unknown)\b")
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"


# ---------------------------------------------------------------- the learner's path through the student copy

def _source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _tree(cell: dict) -> ast.Module | None:
    "The cell's code parsed, or None (a Markdown cell, or code that does not parse)."
    if cell["cell_type"] != "code": return None
    try: return ast.parse(_source(cell))
    except SyntaxError: return None


def _defines(cell: dict) -> set[str]:
    "The functions and classes the code cell defines at its top level."
    tree = _tree(cell)
    return {node.name for node in (tree.body if tree else []) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def _section_cells(nb: dict, index: int) -> list[int]:
    "The code cells of the `## ` section that holds cell `index`."
    heading = lambda cell: cell["cell_type"] == "markdown" and re.search(r"^## ", _source(cell), re.M)
    cells = nb["cells"]
    start = max((i for i in range(index + 1) if heading(cells[i])), default=0)
    end = next((i for i in range(index + 1, len(cells)) if heading(cells[i])), len(cells))
    return [i for i in range(start, end) if cells[i]["cell_type"] == "code"]


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def learner_path(nb: dict) -> dict[str, list[int]]:
    """The cells the learner runs, by step: the parameters cell; the `## Setup` section; the cells defining
    PLAYGROUND_NEEDS; the playground's section, from the cell defining `playground` on; the Exercises section's
    import cells; the exercise's answer and check cells (nbgrader's grade ids `exN-answer` and `exN`).
    A missing piece is an AssertionError that names it."""
    cells = nb["cells"]
    find = lambda test: next((i for i, c in enumerate(cells) if test(c)), None)  # the first cell that passes, or None
    parameters = find(lambda c: "parameters" in c.get("metadata", {}).get("tags", []))
    setup = find(lambda c: c["cell_type"] == "markdown" and re.match(r"##\s+Setup\b", _source(c)))
    exercises = find(lambda c: c["cell_type"] == "markdown" and re.match(r"##\s+Exercises\b", _source(c)))
    needs = [find(lambda c, name=name: name in _defines(c)) for name in PLAYGROUND_NEEDS]
    playground = find(lambda c: "playground" in _defines(c))
    answer = find(lambda c: _grade_id(c) == f"{EXERCISE}-answer")
    check = find(lambda c: _grade_id(c) == EXERCISE)
    missing = [what for what, index in [("a cell tagged `parameters`", parameters), ("a `## Setup` section", setup),
                                        ("a `## Exercises` section", exercises), ("`def playground`", playground),
                                        (f"{EXERCISE}'s answer cell", answer), (f"{EXERCISE}'s check cell", check)]
               + [(f"`def {n}`", i) for n, i in zip(PLAYGROUND_NEEDS, needs)] if index is None]
    assert not missing, f"{COPY} has no {', no '.join(missing)}: update tests/test_lab_learner.py's path through it"
    imports = [i for i in _section_cells(nb, exercises) if i < answer and _tree(cells[i]) and _tree(cells[i]).body
               and all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in _tree(cells[i]).body)]
    return {"parameters": [parameters], "setup": _section_cells(nb, setup), "helpers": sorted(set(needs)),
            "playground": [i for i in _section_cells(nb, playground) if i >= playground],
            "exercise imports": imports, "answer": [answer], "check": [check]}


def shows_something(cell: dict) -> bool:
    """Must the code cell show an output? When it ends with an expression that is not a call (a name, an f-string,
    a tuple...): Jupyter shows its value. A call may return None, which shows nothing."""
    tree = _tree(cell)
    last = tree.body[-1] if tree and tree.body else None
    return isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call) and not (
        isinstance(last.value, ast.Constant) and isinstance(last.value.value, str))


def test_the_learner_path_is_in_the_student_copy():
    "The cells the browser test runs are found in the student copy, in order, and the exercise's answers are right."
    from course_utils.checks import checks_module
    from course_utils.exercises import exercises_of
    nb = json.loads((SERVED / COPY).read_text(encoding="utf-8"))
    path = learner_path(nb)
    order = [i for step in path.values() for i in step]
    assert order == sorted(order) and len(order) == len(set(order)), f"the learner's cells out of order: {path}"
    assert "____" in _source(nb["cells"][path["answer"][0]]), "the exercise's answer cell is blank in a student copy"
    exercise = exercises_of(checks_module(LESSON))[EXERCISE]
    assert "\n" not in exercise._solution.strip(), "the test types one-line answers: choose a one-line exercise"
    for answer, right in ((WRONG[EXERCISE], False), (exercise._solution, True)):
        namespace: dict = {}
        exec(answer, namespace)
        assert bool(exercise.evaluate(namespace)) is right, f"{answer!r} should be {'right' if right else 'wrong'}"


# ---------------------------------------------------------------- JupyterLab and the browser

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab`'s server (`python -m tests.lab`) on SERVED, in the learner's environment, with autosave off in
    its own user settings; yields (base, token)."""
    folder = tmp_path_factory.mktemp("lab-learner")
    for name, settings in USER_SETTINGS.items():
        (folder / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "settings" / name).write_text(json.dumps(settings), encoding="utf-8")
    with lab_server(folder, SERVED, [sys.executable, "-m", "tests.lab"], LEARNER_ENVIRONMENT) as (base, token):
        yield base, token


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    "Headless Chromium at 1280 x 900 (skipped where it cannot be installed)."
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-lab-learner"), "the JupyterLab learner test", page_load_timeout=90)
    yield driver
    driver.quit()


# What the waits read, in one call and without forcing a layout (textContent, not innerText): reading the page
# must not starve JupyterLab, which attaches a long notebook's cells in the browser's idle time.
SNAPSHOT = """
const panel = document.querySelector('%s');
const items = [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')].map(e => e.textContent);
return {kernel: items.find(t => t.includes(' | ')) || '',
        dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.textContent),
        errors: panel ? [...panel.querySelectorAll(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
                        .map(e => e.textContent) : []};
""" % NOTEBOOK
# Cell `index` of the notebook (JupyterLab numbers the cells it attaches: data-windowed-list-index), or null.
CELL = f"return document.querySelector('{NOTEBOOK} .jp-Cell[data-windowed-list-index=\"' + arguments[0] + '\"]')"
TEXT = "return arguments[0] ? [...arguments[0].querySelectorAll(arguments[1])].map(e => e.textContent).join('\\n') : ''"


class Page:
    "The JupyterLab page in the browser, with the waits and reads a learner's steps need."

    def __init__(self, browser, base: str, token: str):
        self.browser, self.base, self.token, self.shots, self.count = browser, base, token, [], 0
        self.kernel_started = False  # from then on, the status bar must not say the kernel is in trouble
        self.start = time.monotonic()

    # reading the page
    def find(self, css: str, within=None) -> list:
        return (within or self.browser).find_elements("css selector", css)

    def snapshot(self) -> dict:
        "The kernel's status item in the status bar ('Python 3 (ipykernel) | Idle'), the open dialogs, the error outputs."
        return self.browser.execute_script(SNAPSHOT)

    def cell(self, index: int):
        "Cell `index` of the open notebook, once JupyterLab has attached it (else None)."
        return self.browser.execute_script(CELL, index)

    def text(self, index: int, css: str) -> str:
        "The text of the elements matching `css` in cell `index`, a line each."
        return self.browser.execute_script(TEXT, self.cell(index), css)

    def outputs(self, index: int) -> str:
        return self.text(index, ".jp-OutputArea-output")

    def kernel_status(self, snapshot: dict | None = None) -> str:
        "'Idle', 'Busy', 'Dead'...: the word after ' | ' in the status bar's kernel item ('' before there is one)."
        match = re.search(r"\|\s*(\w+)", (snapshot or self.snapshot())["kernel"])
        return match.group(1) if match else ""

    def idle(self) -> bool:
        return self.kernel_status() == "Idle"

    def trouble(self, snapshot: dict | None = None) -> str | None:
        """A dialog (the kernel died, say), a kernel in trouble in the status bar, or an error output on the page;
        None when all is well."""
        snapshot = snapshot or self.snapshot()
        if snapshot["dialogs"]: return f"a dialog is open: {snapshot['dialogs']}"
        status = self.kernel_status(snapshot)
        if self.kernel_started and KERNEL_TROUBLE.search(status): return f"the status bar says the kernel is {status}"
        if snapshot["errors"]: return "an error output on the page:\n" + snapshot["errors"][0][-2000:]
        return None

    # waiting
    def wait(self, condition: Callable[[], object], what: str | Callable[[], str], timeout: float = 120):
        """The first true value of `condition()`, polled until `timeout` seconds; fails at once on trouble (a dialog,
        a dead kernel, an error output) and on the timeout, each with a screenshot. `what` (or what it returns, read
        when it fails) says what was awaited."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        said = lambda: what() if callable(what) else what
        deadline = time.monotonic() + timeout
        while True:
            problem = self.trouble()
            if problem: self.fail(f"while waiting for {said()}: {problem}")
            try: value = condition()
            except (NoSuchElementException, StaleElementReferenceException): value = None
            if value: return value
            if time.monotonic() > deadline: self.fail(f"{said()}: not after {timeout} s (kernel: {self.kernel_status()!r})")
            time.sleep(0.25)

    def fail(self, message: str) -> None:
        shot = self.shoot("failure")
        pytest.fail(f"{message}\n(screenshot: {shot})", pytrace=False)

    # acting as a learner
    def shoot(self, step: str, element=None) -> Path:
        "Save the screen as _build/screenshots/lab-learner-NN-step.png, with `element` scrolled into the middle."
        if element is not None: self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"lab-learner-{len(self.shots) + 1:02d}-{step}.png"
        assert self.browser.save_screenshot(str(shot)), f"no screenshot {shot}"
        self.shots.append(shot)
        print(f"{time.monotonic() - self.start:6.1f} s  {shot.relative_to(ROOT)}")
        return shot

    def double_click(self, css: str, text: str, what: str) -> None:
        "Double-click the element matching `css` whose text is `text`, once it is there."
        from selenium.webdriver.common.action_chains import ActionChains
        item = self.wait(lambda: next((e for e in self.find(css) if e.text.strip() == text), None), what)
        ActionChains(self.browser).double_click(item).perform()

    def press(self, *keys: str, hold: str | None = None) -> None:
        "Press `keys` on the element that has the focus, with `hold` (a modifier) held down."
        from selenium.webdriver.common.action_chains import ActionChains
        chain = ActionChains(self.browser)
        if hold: chain.key_down(hold)
        chain.send_keys(*keys)
        if hold: chain.key_up(hold)
        chain.perform()

    def attached(self, index: int):
        "Cell `index`, scrolled into the middle of the notebook, once JupyterLab has attached it."
        cell = self.wait(lambda: self.cell(index), f"cell {index} on the page", 120)
        self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        return cell

    def type_into(self, index: int, text: str) -> None:
        "Click into cell `index`'s editor, select all it holds and type `text` in its place."
        from selenium.webdriver.common.keys import Keys
        self.find(".cm-content", self.attached(index))[0].click()
        self.press("a", hold=Keys.CONTROL)
        self.press(text)
        typed = lambda: self.text(index, ".cm-line")
        self.wait(lambda: typed() == text, lambda: f"the editor of cell {index} to read {text!r} (it reads {typed()!r})", 20)

    def run(self, index: int, shows: bool, timeout: float = 180) -> None:
        """Select cell `index` (a click on its prompt), press Shift+Enter and wait until it has run: its prompt shows
        the next execution count (any other count is a restarted kernel), the kernel is idle, and its output is
        on the page when `shows`."""
        from selenium.webdriver.common.keys import Keys
        self.find(".jp-InputArea-prompt", self.attached(index))[0].click()
        self.press(Keys.ENTER, hold=Keys.SHIFT)
        self.count += 1
        shown = self.wait(lambda: re.fullmatch(r"\[(\d+)\]:", self.text(index, ".jp-InputArea-prompt").strip()),
                          f"cell {index} to run", timeout)
        if int(shown.group(1)) != self.count:
            self.fail(f"cell {index} ran as [{shown.group(1)}], not [{self.count}]: the kernel restarted (or a cell ran twice)")
        self.wait(self.idle, f"the kernel to be idle after cell {index}", timeout)
        if shows: self.wait(lambda: self.outputs(index).strip(), f"the output of cell {index}", 60)


def _kernel_of(page: Page) -> dict:
    "The kernel of the student copy's session, from the REST API."
    sessions = [s for s in api(page.base, page.token, "/api/sessions") if s["path"].endswith(COPY)]
    assert len(sessions) == 1, f"one session for {COPY}, not: {sessions}"
    return api(page.base, page.token, f"/api/kernels/{sessions[0]['kernel']['id']}")


def _started_kernel(page: Page) -> dict | None:
    "The student copy's kernel once it is idle in the REST API and the status bar says Idle; else None."
    sessions = [s for s in api(page.base, page.token, "/api/sessions") if s["path"].endswith(COPY)]
    return sessions[0]["kernel"] if sessions and sessions[0]["kernel"]["execution_state"] == "idle" and page.idle() else None


@pytest.fixture
def checkpoints_cleared(lab):
    """Removes, after the test, the checkpoint JupyterLab creates when it opens the student copy (a copy of the file
    in `_student/.ipynb_checkpoints/`, as for any learner), and that folder if the test made it and left it empty."""
    base, token = lab
    folder = SERVED / STUDENT_FOLDER / ".ipynb_checkpoints"
    url = f"/api/contents/{COPY}/checkpoints"
    folder_was_there, before = folder.exists(), {c["id"] for c in api(base, token, url)}
    yield
    for checkpoint in api(base, token, url):
        if checkpoint["id"] not in before: api(base, token, f"{url}/{checkpoint['id']}", "DELETE")
    if not folder_was_there and folder.exists() and not any(folder.iterdir()): folder.rmdir()


def test_a_learner_works_in_jupyterlab(lab, browser, checkpoints_cleared):
    from selenium.webdriver.common.keys import Keys
    from course_utils.checks import checks_module
    from course_utils.exercises import exercises_of
    base, token = lab
    copy = SERVED / COPY
    nb = json.loads(copy.read_text(encoding="utf-8"))
    path = learner_path(nb)
    page = Page(browser, base, token)
    browser.set_window_size(1280, 900)

    # 1. the file browser: the folder, then the student copy
    browser.get(f"{base}/lab?reset&token={token}")
    page.wait(lambda: page.find(".jp-DirListing-item"), "JupyterLab's file browser", 120)
    page.double_click(".jp-DirListing-item .jp-DirListing-itemText", STUDENT_FOLDER, f"the folder {STUDENT_FOLDER} in the file browser")
    page.wait(lambda: any(e.text.strip() == f"{LESSON}.ipynb" for e in page.find(".jp-DirListing-item .jp-DirListing-itemText")),
              f"{LESSON}.ipynb in the file browser")
    page.shoot("file-browser")
    page.double_click(".jp-DirListing-item .jp-DirListing-itemText", f"{LESSON}.ipynb", f"{LESSON}.ipynb in the file browser")
    page.wait(lambda: page.cell(0) and any(t.text.strip() == f"{LESSON}.ipynb" for t in page.find(".lm-TabBar-tab.lm-mod-current")),
              f"{COPY} open in a tab", 120)
    kernel = page.wait(lambda: _started_kernel(page), "the kernel to start (idle in the REST API and the status bar)", 120)
    page.kernel_started = True
    page.shoot("student-copy-open")

    # 2. fast mode, typed into the parameters cell
    parameters = path["parameters"][0]
    page.type_into(parameters, "fast = True")
    page.run(parameters, shows=False)
    page.shoot("fast-mode", page.cell(parameters))

    # 3. the setup, and what the playground calls
    for index in path["setup"] + path["helpers"]:
        page.run(index, shows_something(nb["cells"][index]))
    page.shoot("setup-run", page.cell(path["setup"][-1]))

    # 4. the playground: its first answer, then another prompt at temperature 0
    for index in path["playground"]:
        page.run(index, shows_something(nb["cells"][index]))
    shown = next(i for i in path["playground"] if page.find(".widget-textarea", page.cell(i)))
    widget = page.cell(shown)
    answer = lambda: page.text(shown, ".widget-html-content").strip()
    first = page.wait(lambda: answer() if answer() and "Generating" not in answer() else None, "the playground's first answer")
    page.shoot("playground", widget)
    assert not first.startswith("["), f"the playground shows an error: {first}"
    textarea = page.find(".widget-textarea textarea", widget)[0]
    textarea.click()
    page.press("a", hold=Keys.CONTROL)
    page.press(NEW_PROMPT, Keys.TAB)
    slider = next(s for s in page.find(".widget-slider", widget) if "Temperature" in s.text)
    page.find(".noUi-handle", slider)[0].send_keys(Keys.HOME)
    page.wait(lambda: page.find(".widget-readout", slider)[0].text.strip() in ("0.0", "0.00"), "the temperature slider at 0", 20)
    page.wait(lambda: page.find(".widget-textarea textarea", widget)[0].get_attribute("value") == NEW_PROMPT, "the new prompt", 20)
    next(b for b in page.find("button.jupyter-button", widget) if b.text.strip() == "Generate").click()
    second = page.wait(lambda: answer() if answer() not in ("", first) and "Generating" not in answer() else None,
                       "the playground's answer to change after Generate", 60)
    page.wait(page.idle, "the kernel to be idle after Generate")
    page.shoot("playground-changed", widget)
    assert not second.startswith("["), f"the playground shows an error: {second}"

    # 5. the exercise: a wrong answer, then the solution
    for index in path["exercise imports"]:
        page.run(index, shows_something(nb["cells"][index]))
    answer_cell, check_cell = path["answer"][0], path["check"][0]
    solution = exercises_of(checks_module(LESSON))[EXERCISE]._solution.strip()
    for typed, verdict, step in ((WRONG[EXERCISE], "Not yet", "exercise-not-yet"), (solution, "Correct", "exercise-correct")):
        page.type_into(answer_cell, typed)
        page.run(answer_cell, shows=False)
        page.run(check_cell, shows=True)
        said = page.wait(lambda: next(iter(re.findall(r".*(?:Not yet|Correct).*", page.outputs(check_cell))), None),
                         lambda: f"a verdict in the check's output (it reads {page.outputs(check_cell)!r})", 30)
        page.shoot(step, page.cell(check_cell))
        assert verdict in said and ("Correct" if verdict == "Not yet" else "Not yet") not in said, \
            f"after `{typed}` the check should read {verdict!r}; the page reads: {said!r}"

    # the end: no error anywhere, the same kernel alive and idle, the student copy not written
    assert page.trouble() is None, page.trouble()
    now = _kernel_of(page)
    assert now["id"] == kernel["id"] and now["execution_state"] == "idle", f"the kernel at the start {kernel}, at the end {now}"
    saved = json.loads(copy.read_text(encoding="utf-8"))["cells"]  # what the learner typed is not in the file
    assert "fast = False" in _source(saved[parameters]) and "____" in _source(saved[answer_cell]) \
        and not any(c.get("outputs") for c in saved), f"{COPY} was written by JupyterLab (autosave should be off)"
