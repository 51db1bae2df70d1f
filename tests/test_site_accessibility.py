"""The course website, audited for accessibility (issue 24, "The site, audited").

- axe-core (the npm package pinned in tests/a11y/package-lock.json, installed by `make setup` with `npm ci`) is
  injected into every page of `_site/` in headless Chromium (one session for all pages, served on 127.0.0.1 as
  tests/test_site_in_browser.py serves it) and run with all its rules in the light theme, and with the rules that
  depend on colours in the dark theme (the one a reader gets whose system prefers dark): a violation of impact
  *serious* or *critical* fails the page's test, naming the rule, the elements and what to do. Every violation
  found, of any impact, is written to `_build/accessibility/axe.json` (page -> theme -> rule -> impact and count).
- Every figure a lesson shows has a text alternative that says what it shows: each code cell of a rendered notebook
  whose stored outputs hold an image carries Quarto's `#| fig-alt: "..."` option (the site's renderer puts it on
  the `<img>`), and every stored figure on the rendered pages has such an `alt`. Both checks read files, no browser.
- Keyboard: on a lesson page, pressing Tab alone reaches a sidebar link, the search box and both "Open in Colab"
  links, and each of them, focused, is inside the window and shows a focus indicator: an outline or a box shadow
  that it does not have unfocused.

Where axe-core is missing, the audit fails saying to run `make setup` if npm is here, else skips saying why;
Chromium's absence is handled as in tests/test_site_in_browser.py.
"""
import functools
import html.parser
import http.server
import json
import re
import shutil
import threading
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import yaml
from smalldocs.notebook import cell_options

from tests import build_docs, colab_badges
from tests.browser import chromium_driver
from tests.test_site_in_browser import QuietHandler, _site_is_current

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_site"
AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "_build" / "accessibility" / "axe.json"
FAILING = ("serious", "critical")  # axe's impacts that fail a page; moderate and minor are only reported
CONFIG = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
NOTEBOOKS = [rel for rel in CONFIG["project"]["render"] if rel.endswith(".ipynb")]
# every page of the site: the site's front page (it forwards to the course's index) and one per rendered source
PAGES = ["index.html"] + [str(Path(rel).with_suffix(".html")) for rel in CONFIG["project"]["render"]]
LESSON_PAGE = "nbs/01_pretrained.html"  # a lesson with both Colab badges and figures, for the keyboard test
GENERIC_ALT = re.compile(r"^(a |an |the )?(png|jpe?g|svg|image|img|picture|figure|fig|plot|chart|graph|output|"
                         r"matplotlib figure|<Figure size[^>]*>)\W*$", re.I)
MIN_ALT_WORDS = 8  # fewer words cannot say what a figure shows and what it tells


# ---------------------------------------------------------------- alt text, read from the files

def alt_problem(alt: object) -> str | None:
    "Why `alt` is not a text alternative that says what a figure shows, or None when it is one."
    if not isinstance(alt, str): return f"not a text but {type(alt).__name__} {alt!r}"
    text = " ".join(alt.split())
    if not text: return "empty"
    if GENERIC_ALT.match(text): return f"generic ({text!r})"
    if len(text.split()) < MIN_ALT_WORDS: return f"too short to say what the figure shows ({text!r})"
    return None


def figure_cells(notebook: Path) -> list[tuple[str, int, object]]:
    "(cell id, number of images, its `fig-alt` option or None) of each code cell whose stored outputs hold an image."
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code": continue
        images = sum(1 for out in cell.get("outputs", []) for mime in out.get("data", {}) if mime.startswith("image/"))
        if not images: continue
        options, _ = cell_options("\n".join(build_docs.directives(cell.source)))  # Quarto's `#|` options, as the site reads them
        found.append((cell.get("id", "?"), images, options.get("fig-alt")))
    return found


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_figure_cell_has_alt_text(notebook):
    missing = [f"cell {cid}: {'no fig-alt' if alt is None else alt_problem(alt)}"
               for cid, images, alt in figure_cells(ROOT / notebook) if alt is None or alt_problem(alt)]
    assert not missing, (f"{notebook}: {len(missing)} figure(s) without a text alternative ({'; '.join(missing)}). Add "
                         "a first line `#| fig-alt: \"...\"` to the cell that says what the figure shows (its kind, axes, "
                         "and what to see in it), then run `.venv/bin/nbdev_clean` and `make student`.")


class _Images(html.parser.HTMLParser):
    "The `alt` (None when absent) and the start of `src` of every `<img>` of a page."
    def __init__(self):
        super().__init__()
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            found = dict(attrs)
            self.images.append((found.get("src") or "", found.get("alt")))


def site_images(page: Path) -> list[tuple[str, str | None]]:
    "(src, alt) of every image of a rendered page."
    parser = _Images()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.images


@pytest.fixture(scope="module")
def built_site() -> Path:
    "`_site/`, built when missing or older than the notebooks (`make test` builds it first)."
    theme = [ROOT / "_quarto.yml"] + sorted((ROOT / "nbs").glob("*.css")) + sorted((ROOT / "nbs").glob("_*.html"))
    stale = not (SITE / "index.html").exists() or (SITE / "index.html").stat().st_mtime < max(f.stat().st_mtime for f in theme)
    if stale or not _site_is_current(): assert build_docs.main() == 0, "`make docs` failed"
    return SITE


def test_every_image_on_the_site_has_alt_text(built_site):
    problems = []
    for page in PAGES:
        for src, alt in site_images(built_site / page):
            if alt is None: problems.append(f"{page}: an image without alt ({src[:50]})")
            elif src.startswith("data:image/") and alt_problem(alt):  # a figure stored in a notebook
                problems.append(f"{page}: a figure whose alt is {alt_problem(alt)}")
    assert not problems, "\n".join(problems + ["Give each figure's cell a `#| fig-alt: \"...\"` line that says what it shows."])


def test_the_site_shows_every_stored_figure_with_its_alt(built_site):
    "The renderer puts each cell's `fig-alt` on its picture: as many described figures on each page as in its notebook."
    for notebook in NOTEBOOKS:
        wanted = Counter(" ".join(alt.split()) for _, images, alt in figure_cells(ROOT / notebook) if isinstance(alt, str)
                         for _ in range(images))
        page = built_site / Path(notebook).with_suffix(".html")
        shown = Counter(" ".join(alt.split()) for src, alt in site_images(page) if src.startswith("data:image/") and alt)
        assert shown == wanted, f"{page.relative_to(ROOT)}: the figures' alt texts differ from the notebook's fig-alt: {wanted - shown or shown - wanted}"


# ---------------------------------------------------------------- axe-core in Chromium

class AuditHandler(QuietHandler):
    "Serves `_site/`; `?stay` serves a page without its `<meta http-equiv=\"refresh\">`, so that the forwarding front page can be audited."
    def do_GET(self):
        path, _, query = self.path.partition("?")
        if query != "stay" or not path.endswith(".html"): return super().do_GET()
        page = Path(self.translate_path(path))
        body = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", page.read_text(encoding="utf-8"), flags=re.I).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site(built_site):
    "The site's base URL, served from `_site/` on loopback."
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(AuditHandler, directory=str(built_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def axe_source() -> str:
    "axe-core's script, or a failure (npm is here: run `make setup`) or a skip (no npm) that says what to do."
    if not AXE.is_file():
        if shutil.which("npm"):
            pytest.fail("axe-core is missing: run `make setup` (it runs `npm ci` in tests/a11y)", pytrace=False)
        pytest.skip("no npm here: install Node.js and npm, then run `make setup`, for the accessibility audit")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-profile"), "the accessibility audit")
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report():
    "Every violation found, of any impact, by page; written to `_build/accessibility/axe.json` at the end."
    found: dict[str, dict] = {}
    yield found
    if found:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")


AXE_RUN = """const [options, done] = [arguments[0], arguments[arguments.length - 1]];
axe.run(document, options)
  .then(result => done(result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 160)}))}))))
  .catch(error => done({error: String(error)}));"""
# The light theme gets every rule; the dark one (the reader's system asks for it) the rules that depend on colours.
THEMES = {"light": {"resultTypes": ["violations"]},
          "dark": {"resultTypes": ["violations"], "runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}}}


def axe_violations(browser, axe_source: str, url: str, theme: str = "light") -> list[dict]:
    "axe-core's violations on the page at `url`, shown in `theme` (the colour scheme the browser prefers)."
    from selenium.webdriver.support.ui import WebDriverWait
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": theme}]})
    browser.get(url)
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "return document.documentElement.classList.contains('quarto-dark')") == (theme == "dark"), f"the page is not {theme}")
    if not browser.execute_script("return !!window.axe"): browser.execute_script(axe_source)
    violations = browser.execute_async_script(AXE_RUN, THEMES[theme])
    assert not isinstance(violations, dict), f"axe-core failed on {url}: {violations['error']}"
    return violations


def describe(violation: dict) -> str:
    "One violation, as a failure says it: the rule, its impact, what it wants, and the first elements."
    nodes = violation["nodes"]
    lines = [f"- {violation['id']} ({violation['impact']}, {len(nodes)} element(s)): {violation['help']} ({violation['helpUrl']})"]
    for node in nodes[:3]:
        lines.append(f"    {node['target']}: {node['html']}")
        lines.append("      " + " ".join(node["summary"].split())[:300])
    return "\n".join(lines)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_serious_axe_violation(site, browser, axe_source, report, page, theme):
    violations = axe_violations(browser, axe_source, f"{site}/{page}?stay", theme)
    report.setdefault(page, {})[theme] = {v["id"]: {"impact": v["impact"], "elements": len(v["nodes"])} for v in violations}
    failing = [v for v in violations if v["impact"] in FAILING]
    assert not failing, (f"{page} ({theme} theme): {len(failing)} axe-core rule(s) of impact serious or critical fail:\n"
                         + "\n".join(describe(v) for v in failing)
                         + "\nFix them in the site's stylesheet (nbs/styles.css), _quarto.yml or tests/build_docs.py.")


def test_the_audit_covers_every_page(built_site):
    on_site = sorted(p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html"))
    assert on_site == sorted(PAGES), f"pages the audit misses: {sorted(set(on_site) - set(PAGES))}"


# ---------------------------------------------------------------- the keyboard alone

# Before any key is pressed: how each element that can take the focus looks without it (outline and shadow).
UNFOCUSED = """document.querySelectorAll('a[href], input, button, select, textarea, [tabindex]').forEach(el => {
  const style = getComputedStyle(el); el.__unfocused = [style.outlineStyle, style.outlineWidth, style.boxShadow].join(' | '); });"""
# After a key press: what has the focus, and whether a focus indicator shows (an outline or a shadow that the element
# does not have unfocused) inside the window.
FOCUSED = """const el = document.activeElement;
if (!el || el === document.body) return null;
const style = getComputedStyle(el), box = el.getBoundingClientRect();
const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0, shadow = style.boxShadow !== 'none';
const img = el.querySelector('img[alt]');
return {tag: el.tagName.toLowerCase(), href: el.getAttribute('href') || '',
        text: (el.innerText || el.getAttribute('aria-label') || el.title || (img ? img.alt : '')).trim().slice(0, 60),
        sidebar: !!el.closest('#quarto-sidebar'), search: el.matches('#quarto-search input'),
        indicator: (outline || shadow) && el.__unfocused !== [style.outlineStyle, style.outlineWidth, style.boxShadow].join(' | '),
        inWindow: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth};"""


def tab_through(browser, wanted: dict, most: int = 300) -> list[dict]:
    """Press Tab from the top of the page until each of `wanted` (name -> test of a focus stop) has been focused,
    or `most` times; return the stops (what had the focus after each press)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    browser.execute_script(UNFOCUSED)
    stops: list[dict] = []
    for _ in range(most):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        stop = browser.execute_script(FOCUSED)
        if stop: stops.append(stop)
        if all(any(test(s) for s in stops) for test in wanted.values()): break
    return stops


def test_keyboard_reaches_sidebar_search_and_colab_links(site, browser):
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    browser.get(f"{site}/{LESSON_PAGE}")
    lesson = Path(LESSON_PAGE).with_suffix(".ipynb").name
    colab = {"the lesson's Colab link": colab_badges.colab_url(f"nbs/{lesson}"),
             "the student copy's Colab link": colab_badges.colab_url(f"_student/{lesson}")}
    wanted = {"a sidebar link": lambda s: s["sidebar"] and s["tag"] == "a", "the search box": lambda s: s["search"],
              **{name: (lambda s, url=url: s["href"] == url) for name, url in colab.items()}}
    stops = tab_through(browser, wanted)
    reached = {name: next((s for s in stops if test(s)), None) for name, test in wanted.items()}
    missed = [name for name, stop in reached.items() if stop is None]
    assert not missed, (f"Tab never reaches {', '.join(missed)} on {LESSON_PAGE} in {len(stops)} presses; "
                        f"it went through {[s['text'] or s['tag'] for s in stops][:40]}...")
    unseen = [f"{name} ({stop['text'] or stop['href']}): "
              + ("no focus indicator (no outline or shadow that it lacks unfocused)" if not stop["indicator"] else "outside the window")
              for name, stop in reached.items() if not stop["indicator"] or not stop["inWindow"]]
    assert not unseen, f"focused but not visible on {LESSON_PAGE}: {unseen}"
