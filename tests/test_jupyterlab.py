"""JupyterLab as a learner gets it from `make lab`: the same command (tests/lab.py) starts headless on
loopback (as root too), answers, serves a lesson through the contents API and runs one of its cells in
a kernel started through the kernels API, over the kernel's websocket."""
import json
import time
import uuid
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
import websocket

from tests.browser import api, lab_server
from tests.lab import command
from tests.student_copies import lessons

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "A JupyterLab server started with `make lab`'s command line; yields (base url, token)."
    with lab_server(tmp_path_factory.mktemp("lab"), ROOT, command()) as (base, token):
        yield base, token


def test_lab_serves_the_lessons_and_the_student_copies(lab):
    base, token = lab
    with urlopen(Request(f"{base}/lab", headers={"Authorization": f"token {token}"}), timeout=30) as page:
        assert page.status == 200 and b"JupyterLab" in page.read()
    assert api(base, token, "/api/status")["started"]
    for folder in ("nbs", "_student"):
        listing = {item["name"] for item in api(base, token, f"/api/contents/{folder}")["content"]}
        assert {lesson.name for lesson in lessons()} <= listing, f"every lesson in {folder}/"


def _execute(ws, code: str) -> dict:
    "Run `code` through the kernel's websocket; the reply and the outputs."
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                                   "date": "", "version": "5.3"}, "parent_header": {}, "metadata": {}, "channel": "shell",
                        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                                    "allow_stdin": False, "stop_on_error": True}}))
    result, deadline = {"outputs": [], "reply": None, "idle": False}, time.monotonic() + 120
    while not (result["reply"] and result["idle"]):
        assert time.monotonic() < deadline, f"no answer from the kernel for {code!r}: {result}"
        message = json.loads(ws.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id: continue
        kind = message["msg_type"]
        if kind == "execute_reply": result["reply"] = message["content"]
        elif kind == "status" and message["content"]["execution_state"] == "idle": result["idle"] = True
        elif kind in ("execute_result", "display_data", "stream", "error"): result["outputs"].append(message)
    return result


def test_lab_opens_a_lesson_and_runs_a_cell(lab):
    base, token = lab
    lesson = lessons()[0]
    notebook = api(base, token, f"/api/contents/nbs/{lesson.name}?content=1")
    assert notebook["type"] == "notebook" and notebook["content"]["cells"], "the lesson opens through the contents API"
    cells = [c for c in notebook["content"]["cells"] if c["cell_type"] == "code"]
    setup = next(c for c in cells if "import course_utils" in c["source"] or "from course_utils" in c["source"])
    kernel = api(base, token, "/api/kernels", "POST", {"name": "python3", "path": "nbs"})
    try:
        ws = websocket.create_connection(f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/api/kernels/{kernel['id']}/channels"
                                         f"?token={token}", timeout=120)
        try:
            ran = _execute(ws, setup["source"])
            assert ran["reply"]["status"] == "ok", f"the lesson's cell failed in the kernel: {ran}"
            version = _execute(ws, "import course_utils\ncourse_utils.__version__")
            shown = [m["content"]["data"]["text/plain"] for m in version["outputs"] if m["msg_type"] == "execute_result"]
            assert shown and shown[0].strip("'") == __import__("course_utils").__version__
        finally:
            ws.close()
    finally:
        api(base, token, f"/api/kernels/{kernel['id']}", "DELETE")
