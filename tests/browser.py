"""What the browser and JupyterLab tests share: `make lab`'s server started on a free loopback port, its REST API,
and headless Chromium (Debian's, driven through ChromeDriver and selenium) that never reaches the network.

Used by tests/test_jupyterlab.py, tests/test_lab_first_screen.py, tests/test_lab_learner.py and tests/test_site_in_browser.py.
"""
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

# Every host name but the loopback resolves to nothing, besides the background-networking flags.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


def free_port() -> int:
    "A TCP port free on 127.0.0.1 now."
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api(base: str, token: str, path: str, method: str = "GET", body: dict | None = None) -> dict:
    "One call of a Jupyter server's REST API, its JSON answer as a dict."
    request = Request(f"{base}{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
                      headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


@contextlib.contextmanager
def lab_server(folder: Path, cwd: Path, command: list[str], environment: dict[str, str | None] | None = None):
    """Run `command` (a `jupyter lab` command line) in `cwd` on a free port with a fresh token, and runtime,
    workspace and user-settings folders under `folder`; yield (base URL, token) once it answers.
    `environment` changes the server's environment (and so its kernels'): a value sets a variable, None removes it."""
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(folder / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(folder / "settings")}
    for name, value in (environment or {}).items():
        if value is None: env.pop(name, None)
        else: env[name] = value
    line = command + [f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.open_browser=False",
                      f"--IdentityProvider.token={token}"]
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(line, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                api(base, token, "/api/status"); break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"`make lab`'s server did not answer:\n{(folder / 'server.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try: server.wait(timeout=20)
        except subprocess.TimeoutExpired: server.kill()
        log.close()


def chromium() -> tuple[str | None, str | None]:
    "The paths of Chromium and ChromeDriver, or None for each one missing."
    browser = next((p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium"), shutil.which("chromium-browser"),
                                shutil.which("google-chrome")) if p and Path(p).exists()), None)
    return browser, shutil.which("chromedriver")


def installable() -> bool:
    "Could `make setup` install Debian's chromium here (apt-get, root or password-less sudo, a candidate)?"
    if not shutil.which("apt-cache"): return False
    if os.getuid() != 0 and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode != 0: return False
    policy = subprocess.run(["apt-cache", "policy", "chromium"], capture_output=True, text=True).stdout
    return bool(re.search(r"Candidate: (?!\(none\))", policy))


def chromium_driver(profile: Path, test: str, page_load_timeout: int = 60, browser_logs: bool = False):
    """Headless Chromium with CHROMIUM_FLAGS and its own profile folder. Where Chromium is missing: a failure that
    says to run `make setup` if it could be installed here, else a skip that says why (`test` names what skips)."""
    binary, driver_path = chromium()
    if not (binary and driver_path):
        if installable():
            pytest.fail("Chromium or ChromeDriver is missing but can be installed here: run `make setup` "
                        "(it installs Debian's chromium and chromium-driver)", pytrace=False)
        pytest.skip("no Chromium here, and it cannot be installed (needs apt-get with root or sudo): "
                    f"install chromium and chromium-driver to run {test}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    if browser_logs: options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(page_load_timeout)
    return driver
