"""The course website in a real browser: `_site/` (from `make docs`, which `make test` runs first; built here
when missing or older than the notebooks) is served on 127.0.0.1 and driven in headless Chromium through
Debian's ChromeDriver and selenium.

Every lesson page loads with its two Colab badges, its figures render at a non-zero size, it shows no
error output and logs no script error; the sidebar lists the lessons in order; the search box finds
each lesson by a word of its own (from its title when one is). Screenshots of the home page, the teachers'
page and a lesson (top, and at its first figure) are saved in `_build/screenshots/`.

Chromium never reaches the network: besides the background-networking flags, every host name but the
loopback resolves to nothing, so the badges' images (served by Colab) are simply not shown.
The test is skipped, saying so, only where Chromium cannot be installed (no apt-get, or neither root nor
sudo); where it could be, its absence is a failure that says to run `make setup`.
"""
import functools
import http.server
import json
import re
import threading
from pathlib import Path

import pytest

from tests import build_docs, colab_badges
from tests.browser import chromium_driver
from tests.student_copies import lessons

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_site"
SHOTS = ROOT / "_build" / "screenshots"
LESSONS = lessons()
def _site_is_current() -> bool:
    pages = [SITE / "nbs" / lesson.with_suffix(".html").name for lesson in LESSONS]
    if not all(p.exists() for p in pages): return False
    sources = [ROOT / "_quarto.yml"] + sorted((ROOT / "nbs").rglob("*.ipynb"))
    return min(p.stat().st_mtime for p in pages) >= max(s.stat().st_mtime for s in sources)


@pytest.fixture(scope="module")
def site():
    "The site's base URL, served from `_site/` on loopback."
    if not _site_is_current(): assert build_docs.main() == 0, "`make docs` failed"
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-profile"), "the browser test", browser_logs=True)
    yield driver
    driver.quit()


def _open(browser, url: str):
    browser.get(url)
    browser.execute_script("return document.readyState")  # get() returns once the page has loaded
    return browser


def _script_errors(browser) -> list[str]:
    "Severe console messages, except resources that could not load from outside (the badges' images)."
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE" and "net::ERR_" not in entry["message"] and "/favicon.ico" not in entry["message"]]


def _stored_figures(lesson: Path) -> int:
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    return sum(1 for cell in nb["cells"] for output in cell.get("outputs", [])
               if any(kind.startswith("image/") for kind in output.get("data", {})))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_page(site, browser, lesson):
    _open(browser, f"{site}/nbs/{lesson.with_suffix('.html').name}")
    assert browser.find_element("css selector", "h1.title").text.strip(), "the page has its title"
    links = [a.get_attribute("href") for a in browser.find_elements("css selector", "main a")]
    for target in (f"nbs/{lesson.name}", f"_student/{lesson.name}"):
        assert colab_badges.colab_url(target) in links, f"no Open-in-Colab badge for {target}"
    figures = browser.execute_script("""
        return [...document.querySelectorAll('main img')]
          .filter(img => !img.src.startsWith('https://colab.research.google.com/'))
          .map(img => { img.scrollIntoView(); const box = img.getBoundingClientRect();
                        return {src: img.src.slice(0, 40), complete: img.complete, natural: img.naturalWidth,
                                width: box.width, height: box.height}; });""")
    assert len(figures) >= _stored_figures(lesson), f"{len(figures)} images for {_stored_figures(lesson)} stored figures"
    for figure in figures:
        assert figure["complete"] and figure["natural"] > 0 and figure["width"] > 0 and figure["height"] > 0, f"a figure does not render: {figure}"
    text = browser.find_element("css selector", "main").text
    assert "Traceback (most recent call last)" not in text, "a traceback is shown"
    assert not browser.find_elements("css selector", ".cell-output-error, .output_error"), "an error output is shown"
    assert not _script_errors(browser), _script_errors(browser)


def test_sidebar_lists_the_lessons_in_order(site, browser):
    _open(browser, f"{site}/nbs/index.html")
    hrefs = [a.get_attribute("href") for a in browser.find_elements("css selector", "#quarto-sidebar a.sidebar-link[href]")]
    listed = [re.search(r"/nbs/(\d\d_[^/]+)\.html$", h).group(1) for h in hrefs if re.search(r"/nbs/\d\d_[^/]+\.html$", h)]
    assert listed == [lesson.stem for lesson in LESSONS], f"sidebar order {listed}"
    assert any(h.endswith("/nbs/teaching.html") for h in hrefs), "the teachers' page is in the sidebar"


def _search_word(lesson: Path) -> str:
    "A word of the lesson that no other page has (from its title when one is), as a learner would search it."
    entries = json.loads((SITE / "search.json").read_text(encoding="utf-8"))
    words = lambda text: re.findall(r"[a-z]{5,}", text.lower())
    page = f"nbs/{lesson.stem}.html"
    own = [w for e in entries if e["href"].split("#")[0] == page for w in words(e["title"] + " " + e["text"])]
    others = {w for e in entries if e["href"].split("#")[0] != page for w in words(e["title"] + " " + e["text"])}
    unique = [w for w in own if w not in others]
    assert unique, f"every word of {page} is on another page too"
    title = [w for w in words(next(e["title"] for e in entries if e["href"].split("#")[0] == page)) if w in unique]
    return max(title, key=len) if title else max(sorted(set(unique)), key=unique.count)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_search_finds_the_lesson(site, browser, lesson):
    from selenium.webdriver.support.ui import WebDriverWait
    word = _search_word(lesson)
    _open(browser, f"{site}/nbs/index.html")
    box = browser.find_element("css selector", "#quarto-search input")
    box.clear(); box.send_keys(word)
    results = ".smalldocs-search-results a.search-result"
    WebDriverWait(browser, 15).until(lambda b: b.find_elements("css selector", results))
    found = [a.get_attribute("href") for a in browser.find_elements("css selector", results)]
    assert any(re.search(rf"/nbs/{lesson.stem}\.html(#|$)", h) for h in found), f"searching {word!r} found {found}"


def test_screenshots(site, browser):
    "Pictures for a person to look at: the home page, the teachers' page, and the first lesson with figures (top, first figure)."
    SHOTS.mkdir(parents=True, exist_ok=True)
    _open(browser, f"{site}/")
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 15).until(lambda b: b.current_url.endswith("/nbs/index.html"))  # the home page forwards to the index
    assert browser.save_screenshot(str(SHOTS / "home.png"))
    _open(browser, f"{site}/nbs/teaching.html")
    assert browser.save_screenshot(str(SHOTS / "teaching.png"))
    lesson = next((l for l in LESSONS if _stored_figures(l)), LESSONS[0])
    _open(browser, f"{site}/nbs/{lesson.with_suffix('.html').name}")
    assert browser.save_screenshot(str(SHOTS / f"{lesson.stem}.png"))
    if _stored_figures(lesson):
        browser.execute_script("""const img = document.querySelector('main img[src^="data:"]');
            document.documentElement.style.scrollBehavior = 'auto';
            window.scrollTo(0, img.getBoundingClientRect().top + window.scrollY - 120);""")
        WebDriverWait(browser, 5).until(lambda b: b.execute_script("return window.scrollY") > 0)
        assert browser.save_screenshot(str(SHOTS / f"{lesson.stem}-figure.png"))
    assert all(p.stat().st_size > 10_000 for p in SHOTS.glob("*.png"))
