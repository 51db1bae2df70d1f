"""course_utils.service (the model service) and course_utils.model_apis (its client, data handling, redaction, decisions).

The exercises' checkers are tested in nbs/checks/06_model_apis.ipynb.

Every request goes to 127.0.0.1 (in-process ASGI, or uvicorn on a loopback port); loops are bounded."""
import base64
import concurrent.futures
import hashlib
import io
import logging
import secrets
import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from course_utils import model_apis as m
from course_utils import service as s

KEY = secrets.token_urlsafe(24)
AUTH = {"Authorization": f"Bearer {KEY}"}


def fake_labeller(image, top_k):
    return [("tabby", 0.6), ("tiger cat", 0.3), ("Egyptian cat", 0.05)][:top_k]


def fake_vector(text: str) -> np.ndarray:
    "A deterministic 8-dimensional unit vector per text, so answers can be matched to their request."
    values = np.frombuffer(hashlib.sha256(text.encode()).digest()[:8], dtype=np.uint8).astype(np.float32) - 127.5
    return values / np.linalg.norm(values)


def fake_embedder(texts):
    time.sleep(0.002)  # let concurrent requests overlap
    return np.stack([fake_vector(t) for t in texts])


def photo(height=40, width=60, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def file_base64(image: Image.Image, kind: str) -> str:
    buffer = io.BytesIO(); image.save(buffer, format=kind)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def app():
    return s.create_app(KEY, max_body_bytes=50_000, labeller=fake_labeller, embedder=fake_embedder)


@pytest.fixture(scope="module")
def api(app):
    with TestClient(app) as client: yield client


def label_body(image=None, **extra):
    return {"image": {"content": m.encode_image(photo() if image is None else image)}, **extra}


# --- data handling -------------------------------------------------------------------------------

def test_encode_decode_round_trip_png_is_exact_and_jpeg_is_close():
    image = photo(50, 80)
    assert (s.decode_image(m.encode_image(image, format="png")) == image).all()
    smooth = np.tile(np.linspace(0, 255, 80, dtype=np.uint8)[None, :, None], (50, 1, 3))
    assert np.abs(s.decode_image(m.encode_image(smooth)).astype(int) - smooth).mean() < 3


def test_encode_image_shrinks_keeping_the_aspect_ratio():
    decoded = s.decode_image(m.encode_image(photo(300, 600), max_side=100))
    assert decoded.shape == (50, 100, 3)
    assert s.decode_image(m.encode_image(photo(30, 60), max_side=100)).shape == (30, 60, 3)  # never enlarges


@pytest.mark.parametrize("image, kwargs, error, words", [
    ([[0, 0, 0]], {}, TypeError, "NumPy array"),
    (np.zeros((20, 20), np.uint8), {}, ValueError, "RGB"),
    (np.zeros((20, 20, 3), np.float32), {}, TypeError, "astype(np.uint8)"),
    (np.zeros((20, 20, 3), np.uint8), {"format": "GIF"}, ValueError, "JPEG"),
    (np.zeros((20, 20, 3), np.uint8), {"max_side": 4}, ValueError, "max_side"),
    (np.zeros((20, 20, 3), np.uint8), {"quality": 0}, ValueError, "quality"),
])
def test_encode_image_rejects_bad_input_clearly(image, kwargs, error, words):
    with pytest.raises(error, match=__import__("re").escape(words)): m.encode_image(image, **kwargs)


def test_decode_image_rejects_bad_input_clearly():
    with pytest.raises(ValueError, match="non-empty"): s.decode_image("")
    with pytest.raises(ValueError, match="base64"): s.decode_image("not base64!")
    with pytest.raises(ValueError, match="JPEG or PNG"): s.decode_image(base64.b64encode(b"hello").decode())
    with pytest.raises(ValueError, match="send a JPEG or PNG"): s.decode_image(file_base64(Image.new("RGB", (20, 20)), "GIF"))
    with pytest.raises(ValueError, match="too small"): s.decode_image(file_base64(Image.new("RGB", (4, 4)), "PNG"))
    with pytest.raises(s.ImageTooLarge, match="shrink"): s.decode_image(m.encode_image(photo(), format="PNG"), max_pixels=100)
    gray = s.decode_image(file_base64(Image.new("L", (20, 10)), "PNG"))
    assert gray.shape == (10, 20, 3) and gray.dtype == np.uint8


# --- privacy -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("mail ana.lopez+shop@example.co.uk now", "mail [EMAIL] now"),
    ("Bob.SMITH@Mail.Example.com.", "[EMAIL]."),
    ("call +1 (555) 123-4567.", "call [PHONE]."),
    ("call 555.123.4567 or 555-123-4567", "call [PHONE] or [PHONE]"),
    ("tel +33 6 12 34 56 78", "tel [PHONE]"),
    ("tel 020 7946 0958", "tel [PHONE]"),
    ("tel +44 (0)20 7946 0958!", "tel [PHONE]!"),
    ("tel 0033612345678", "tel [PHONE]"),
    ("on 2026-11-23 at 12:30", "on 2026-11-23 at 12:30"),
    ("on 23/11/2026, cost 1,299.00", "on 23/11/2026, cost 1,299.00"),
    ("version 1.2.3, 3 days, year 2026, order 1234 5678", "version 1.2.3, 3 days, year 2026, order 1234 5678"),
    ("card 4111 1111 1111 1111", "card 4111 1111 1111 1111"),  # 16 digits: not a phone (exercise 1 adds cards)
    ("", ""),
])
def test_redact(text, expected):
    assert m.redact(text) == expected


def test_redact_extra_patterns_and_errors():
    assert m.redact("id AB-123456 and a@b.io", {"CUSTOMER": r"\bAB-\d{6}\b"}) == "id [CUSTOMER] and [EMAIL]"
    with pytest.raises(TypeError, match="string"): m.redact(None)
    with pytest.raises(ValueError, match="not a valid regular expression"): m.redact("x", {"CARD": "("})
    with pytest.raises(ValueError, match="CAPITALS"): m.redact("x", {"card": r"\d"})


def test_mask_secret_shows_at_most_the_last_four_characters():
    assert m.mask_secret(KEY) == "****" + KEY[-4:] and KEY not in m.mask_secret(KEY)
    assert m.mask_secret("short-key") == "****" and m.mask_secret(None) == m.mask_secret("") == "<none>"


# --- the service -----------------------------------------------------------------------------------

def test_create_app_needs_a_long_enough_key(monkeypatch):
    monkeypatch.delenv(m.API_KEY_VARIABLE, raising=False)
    with pytest.raises(ValueError, match=m.API_KEY_VARIABLE): s.create_app(labeller=fake_labeller, embedder=fake_embedder)
    with pytest.raises(ValueError, match="at least 16"): s.create_app("short", labeller=fake_labeller, embedder=fake_embedder)
    monkeypatch.setenv(m.API_KEY_VARIABLE, KEY)
    assert s.create_app(labeller=fake_labeller, embedder=fake_embedder) is not None
    with pytest.raises(ValueError, match="fail_rate"): s.create_app(KEY, fail_rate=1.5, labeller=fake_labeller)
    with pytest.raises(ValueError, match="max_body_bytes"): s.create_app(KEY, max_body_bytes=10, labeller=fake_labeller)


def test_health_needs_no_key(api):
    assert api.get("/health").json()["status"] == "ok"


def test_label_detection_answers_like_cloud_vision(api):
    response = api.post("/v1/label-detection", json=label_body(maxResults=2), headers=AUTH)
    assert response.status_code == 200
    assert response.json()["labelAnnotations"] == [{"description": "tabby", "score": 0.6}, {"description": "tiger cat", "score": 0.3}]
    assert response.headers["server-timing"].startswith("model;dur=")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key-wrong-key-wrong"}, {"Authorization": KEY},
                                     {"Authorization": f"Basic {KEY}"}, {"X-API-Key": KEY}])
def test_wrong_or_missing_key_gives_401_with_a_clear_message(api, headers):
    for path, body in (("/v1/label-detection", label_body()), ("/v1/embeddings", {"input": ["hi"]})):
        response = api.post(path, json=body, headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["error"]["message"]
        assert KEY not in response.text


@pytest.mark.parametrize("body, words", [
    ({"image": {"content": "x"}, "maxResults": 0}, "maxResults"),
    ({"image": {"content": "x"}, "maxResults": 21}, "maxResults"),
    ({"image": {"content": "x"}, "maxResults": "five"}, "maxResults"),
    ({"maxResults": 3}, "image"),
    ({"image": {"content": ""}}, "content"),
    ({"image": {"content": "x"}, "colour": "red"}, "colour"),
    ({"image": "x"}, "image"),
])
def test_malformed_label_requests_give_422(api, body, words):
    response = api.post("/v1/label-detection", json=body, headers=AUTH)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("invalid request") and words in message


def test_not_json_gives_422(api):
    response = api.post("/v1/label-detection", content=b"{not json", headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422 and "error" in response.json()


@pytest.mark.parametrize("content, words", [("@@@", "base64"), (base64.b64encode(b"hello").decode(), "JPEG or PNG")])
def test_bad_image_bytes_give_400(api, content, words):
    response = api.post("/v1/label-detection", json={"image": {"content": content}}, headers=AUTH)
    assert response.status_code == 400 and words in response.json()["error"]["message"]


def test_too_many_pixels_gives_413(api):
    small_file_huge_image = file_base64(Image.new("1", (5000, 5000)), "PNG")  # 25 M pixels in a few KB
    response = api.post("/v1/label-detection", json={"image": {"content": small_file_huge_image}}, headers=AUTH)
    assert response.status_code == 413 and "shrink it" in response.json()["error"]["message"]


def test_oversized_body_gives_413_declared_or_streamed(api):
    big = label_body(photo(400, 400), maxResults=1)  # a noisy JPEG, about 100 KB of base64 > 50,000 bytes
    response = api.post("/v1/label-detection", json=big, headers=AUTH)
    assert response.status_code == 413 and "larger than 50,000 bytes" in response.json()["error"]["message"]
    chunks = (b"x" * 10_000 for _ in range(10))  # no Content-Length: the limit is enforced while reading
    response = api.post("/v1/embeddings", content=chunks, headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["status"] == 413


@pytest.mark.parametrize("body", [{"input": []}, {"input": [""]}, {"input": "hello"}, {"input": ["x"] * 65},
                                  {"input": ["x" * 2001]}, {"texts": ["hi"]}])
def test_malformed_embedding_requests_give_422(api, body):
    response = api.post("/v1/embeddings", json=body, headers=AUTH)
    assert response.status_code == 422 and response.json()["error"]["status"] == 422


def test_embeddings_answer_in_order(api):
    texts = ["first", "second", "third"]
    data = api.post("/v1/embeddings", json={"input": texts}, headers=AUTH).json()["data"]
    assert [d["index"] for d in data] == [0, 1, 2]
    assert np.allclose([d["embedding"] for d in data], fake_embedder(texts), atol=1e-6)


def test_fail_rate_answers_503_as_json():
    app = s.create_app(KEY, fail_rate=0.5, seed=0, labeller=fake_labeller, embedder=fake_embedder)
    with TestClient(app) as api:
        statuses = [api.post("/v1/embeddings", json={"input": ["hi"]}, headers=AUTH).status_code for _ in range(40)]
        failed = api.post("/v1/embeddings", json={"input": ["hi"]}, headers=AUTH)
    assert set(statuses) == {200, 503} and 8 <= statuses.count(503) <= 32
    if failed.status_code == 503: assert "retry later" in failed.json()["error"]["message"]


# --- the client, against a mocked transport ----------------------------------------------------------

def scripted(statuses, headers=None):
    "A mock transport answering with `statuses` in turn (an exception instance is raised instead); records requests."
    requests, script = [], list(statuses)
    def handler(request):
        requests.append(request)
        step = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(step, Exception): raise step
        if step == 200:
            return httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0, 0.0]}],
                                             "labelAnnotations": [{"description": "tabby", "score": 0.9}]},
                                  headers={"Server-Timing": "model;dur=12.5"})
        return httpx.Response(step, json={"error": {"status": step, "message": f"status {step} message"}}, headers=headers or {})
    return httpx.MockTransport(handler), requests


def client_for(transport, **options):
    client = m.ModelClient("http://127.0.0.1:9", api_key=KEY, transport=transport, **options)
    client.delays = []
    client.sleep = client.delays.append  # no real waiting in the tests
    return client


@pytest.mark.parametrize("transient", [500, 502, 503, 504, 429, httpx.ConnectError("refused"),
                                       httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")])
def test_transient_errors_are_retried_with_exponential_backoff(transient):
    transport, requests = scripted([transient, transient, transient, 200])
    client = client_for(transport, retries=3, backoff=0.1)
    assert client.embed(["hello"])["source"] == "service"
    assert len(requests) == 4 and client.counters["retries"] == 3 and client.counters["ok"] == 1
    assert client.server_ms == [12.5] and len(client.latencies_ms) == 1
    for attempt, delay in enumerate(client.delays):
        assert 0.05 * 2 ** attempt <= delay <= 0.1 * 2 ** attempt  # exponential, with jitter in [half, full]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_not_retried_nor_hidden_by_the_fallback(status):
    transport, requests = scripted([status])
    client = client_for(transport, fallback=True)
    with pytest.raises(m.ModelAPIError, match=f"HTTP {status}: status {status} message") as error:
        client.embed(["hello"])
    assert error.value.status == status and len(requests) == 1
    assert client.counters["client_errors"] == 1 and client.counters["retries"] == client.counters["fallbacks"] == 0


def test_retry_after_is_honoured_and_capped():
    transport, _ = scripted([429, 503, 200], headers={"Retry-After": "30"})
    client = client_for(transport, backoff=0.1, max_backoff=1.0)
    client.embed(["hello"])
    assert all(0.5 <= delay <= 1.0 for delay in client.delays) and len(client.delays) == 2


def test_service_unavailable_without_fallback():
    transport, requests = scripted([httpx.ConnectError("refused")])
    client = client_for(transport, retries=2, fallback=False)
    with pytest.raises(m.ServiceUnavailable, match="failed 3 times, last with ConnectError"): client.embed(["hi"])
    assert len(requests) == 3 and client.counters["network_errors"] == 3


def test_fallback_when_the_service_keeps_failing(monkeypatch):
    import course_utils.pretrained as pretrained
    monkeypatch.setattr(pretrained, "embed", lambda texts: fake_embedder(texts))
    monkeypatch.setattr(pretrained, "classify_image", lambda image, top_k: [("tabby", 0.7)][:top_k])
    transport, _ = scripted([503])
    client = client_for(transport, retries=1)
    result = client.embed(["call me at +1 555 123 4567"])
    assert result["source"] == "fallback" and result["sent"] == ["call me at [PHONE]"]
    assert np.allclose(result["embeddings"], fake_embedder(["call me at [PHONE]"]))
    labels = client.detect_labels(photo(), max_results=1)
    assert labels == {"labels": [{"description": "tabby", "score": 0.7}], "source": "fallback"}
    metrics = client.metrics()
    assert metrics["fallbacks"] == 2 and metrics["server_errors"] == 4 and metrics["error_rate"] == 1.0


def test_client_redacts_before_sending_and_sends_the_key_only_in_a_header():
    transport, requests = scripted([200])
    client = client_for(transport)
    client.embed(["write to ana@example.com"])
    sent = requests[0]
    assert b"ana@example.com" not in sent.content and b"[EMAIL]" in sent.content
    assert KEY not in str(sent.url) and sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(client) and m.mask_secret(KEY) in repr(client)


def test_client_validates_its_options(monkeypatch):
    monkeypatch.delenv(m.API_KEY_VARIABLE, raising=False)
    with pytest.raises(ValueError, match=m.API_KEY_VARIABLE): m.ModelClient("http://127.0.0.1:9")
    for url in ("127.0.0.1:9", "ftp://example.org", None):
        with pytest.raises(ValueError, match="base_url"): m.ModelClient(url, api_key=KEY)
    with pytest.raises(ValueError, match="unencrypted"): m.ModelClient("http://api.example.org", api_key=KEY)
    assert m.ModelClient("https://api.example.org", api_key=KEY).base_url == "https://api.example.org"
    with pytest.raises(ValueError, match="retries"): m.ModelClient("http://127.0.0.1:9", api_key=KEY, retries=-1)
    with pytest.raises(ValueError, match="timeout"): m.ModelClient("http://127.0.0.1:9", api_key=KEY, timeout=0)
    with pytest.raises(ValueError, match="backoff"): m.ModelClient("http://127.0.0.1:9", api_key=KEY, backoff=3, max_backoff=1)
    client = client_for(scripted([200])[0])
    with pytest.raises(TypeError, match="wrap a single text"): client.embed("hello")
    with pytest.raises(ValueError, match="non-empty"): client.embed(["ok", " "])


def test_no_key_in_any_log_line(caplog):
    transport, _ = scripted([503, httpx.ConnectError("refused"), 200, 401])
    client = client_for(transport)
    with caplog.at_level(logging.DEBUG):
        client.embed(["hello"])
        with pytest.raises(m.ModelAPIError): client.embed(["hello"])
    assert "-> 200" in caplog.text and "retry 1/3" in caplog.text and m.mask_secret(KEY) in caplog.text
    assert KEY not in caplog.text


# --- the real server on a loopback port ----------------------------------------------------------------

@pytest.mark.parametrize("host", ["0.0.0.0", "8.8.8.8", "example.org", "192.168.1.10"])
def test_model_server_binds_loopback_only(app, host):
    with pytest.raises(ValueError, match="127.0.0.1"): s.ModelServer(app, host=host)


def test_model_server_starts_serves_and_stops(app):
    server = s.ModelServer(app)
    with pytest.raises(RuntimeError, match="start"): server.url
    with server:
        assert server.running and server.url.startswith("http://127.0.0.1:")
        url = server.url
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    assert not server.running and "stopped" in repr(server)
    with pytest.raises(httpx.ConnectError): httpx.get(f"{url}/health", timeout=5)


def test_model_server_on_ipv6_loopback(app):
    import socket
    if not socket.has_ipv6: pytest.skip("no IPv6 on this machine")
    try:
        with s.ModelServer(app, host="::1") as server:
            assert server.url.startswith("http://[::1]:")
            assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
    except OSError as error: pytest.skip(f"IPv6 loopback unavailable: {error}")


def test_200_concurrent_requests_none_lost_or_mismatched(app):
    texts = [f"request {i}: {secrets.token_hex(4)}" for i in range(200)]
    start = time.monotonic()
    with s.ModelServer(app) as server, m.ModelClient(server.url, api_key=KEY, timeout=20, fallback=False) as client:
        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            answers = list(pool.map(lambda text: client.embed([text], redact_personal_data=False), texts))
    assert time.monotonic() - start < 60
    assert len(answers) == 200 and all(a["source"] == "service" for a in answers)
    for text, answer in zip(texts, answers):
        assert answer["sent"] == [text] and np.allclose(answer["embeddings"][0], fake_vector(text), atol=1e-6)
    assert client.counters["calls"] == client.counters["ok"] == 200 and client.counters["retries"] == 0


def test_service_killed_mid_run_the_client_falls_back_and_every_call_returns(app, monkeypatch):
    import course_utils.pretrained as pretrained
    monkeypatch.setattr(pretrained, "embed", lambda texts: fake_embedder(texts))
    server = s.ModelServer(app).start()
    client = m.ModelClient(server.url, api_key=KEY, retries=2, backoff=0.01, timeout=5)
    ten_done, sources = threading.Event(), []
    def learner():
        for i in range(40):
            sources.append(client.embed([f"text {i}"])["source"])
            if i == 9: ten_done.set()
    thread = threading.Thread(target=learner)
    thread.start()
    assert ten_done.wait(30)
    server.stop()
    thread.join(60)
    assert not thread.is_alive() and len(sources) == 40
    assert sources[:10] == ["service"] * 10 and sources[-1] == "fallback"
    assert client.counters["fallbacks"] == sources.count("fallback") >= 1


def test_real_models_end_to_end_then_fallback_after_stop():
    from skimage import data as photos
    cats = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}
    with s.ModelServer(s.create_app(KEY)) as server:
        client = m.ModelClient(server.url, api_key=KEY, backoff=0.01, timeout=60)
        served = client.detect_labels(photos.chelsea())
        vectors = client.embed(["A cat sleeps.", "A kitten naps."])
    assert served["source"] == "service" and cats & {l["description"] for l in served["labels"]}
    assert vectors["embeddings"].shape == (2, 384) and float(vectors["embeddings"][0] @ vectors["embeddings"][1]) > 0.5
    down = client.detect_labels(photos.chelsea())
    assert down["source"] == "fallback" and down["labels"] == served["labels"]


# --- decisions and latency ---------------------------------------------------------------------------

ROUTES = {"pets": {"tabby", "tiger cat", "Egyptian cat"}, "kitchen": {"espresso", "cup"}}


def test_decide_sums_related_labels_and_applies_the_threshold():
    labels = [{"description": "tabby", "score": 0.35}, {"description": "tiger cat", "score": 0.3}, {"description": "cup", "score": 0.2}]
    assert m.decide(labels, ROUTES) == {"route": "pets", "score": 0.65, "evidence": ["tabby (0.35)", "tiger cat (0.30)"]}
    assert m.decide(labels, ROUTES, threshold=0.7)["route"] == "human review"
    assert m.decide([("cup", 0.9)], ROUTES, default="nobody")["route"] == "kitchen"
    assert m.decide([("rocket", 0.9)], ROUTES, default="nobody") == {"route": "nobody", "score": 0.0, "evidence": []}


def test_decide_takes_the_best_of_independent_labels():
    vision = [{"description": "Whiskers", "score": 0.55}, {"description": "Felidae", "score": 0.52}, {"description": "Cat", "score": 0.5}]
    routes = {"pets": {"Cat", "Felidae", "Whiskers"}}
    assert m.decide(vision, routes, threshold=0.8)["route"] == "pets"  # summed: 1.57, capped at 1
    assert m.decide(vision, routes, threshold=0.8, combine="max") == {
        "route": "human review", "score": 0.55, "evidence": ["Whiskers (0.55)", "Felidae (0.52)", "Cat (0.50)"]}
    assert m.decide([("rocket", 0.9)], routes, combine="max")["score"] == 0
    with pytest.raises(ValueError, match="combine"): m.decide(vision, routes, combine="mean")


def test_cloud_vision_request_and_labels():
    body = m.cloud_vision_request("QUJD", max_results=3)
    assert body == {"requests": [{"image": {"content": "QUJD"}, "features": [{"type": "LABEL_DETECTION", "maxResults": 3}]}]}
    response = {"responses": [{"labelAnnotations": [{"mid": "/m/01yrx", "description": "Cat", "score": 0.98, "topicality": 0.98}]}]}
    assert m.cloud_vision_labels(response) == [{"description": "Cat", "score": 0.98}]
    assert m.cloud_vision_labels({"responses": [{}]}) == []
    with pytest.raises(ValueError, match="responses"): m.cloud_vision_labels({"labelAnnotations": []})
    with pytest.raises(ValueError, match="quota"): m.cloud_vision_labels({"responses": [{"error": {"code": 8, "message": "quota exceeded"}}]})


def test_precision_recall():
    scores, truth = [0.9, 0.8, 0.4, 0.7, 0.1], [True, True, True, False, False]
    assert m.precision_recall(scores, truth, 0.5) == {"threshold": 0.5, "precision": 0.667, "recall": 0.667, "to people": 2}
    assert m.precision_recall(scores, truth, 0.95) == {"threshold": 0.95, "precision": 1.0, "recall": 0.0, "to people": 5}
    with pytest.raises(ValueError, match="same length"): m.precision_recall([0.5], [True, False], 0.5)
    with pytest.raises(ValueError, match="threshold"): m.precision_recall(scores, truth, 1.5)


def test_label_cache_answers_repeats_from_memory_but_never_keeps_a_fallback():
    answers = iter([{"labels": [], "source": "fallback"}, {"labels": [], "source": "service"}])
    calls = []
    cache = m.LabelCache(lambda image, **options: calls.append(options) or next(answers))
    image = photo()
    assert cache(image)["source"] == "fallback" and cache(image)["source"] == "service"  # the fallback was not kept
    assert cache(image)["source"] == "service" and len(calls) == 2 and (cache.hits, cache.misses) == (1, 2)
    with pytest.raises(TypeError, match="wraps a function"): m.LabelCache("not a function")


def test_photo_variants_are_seeded_rgb_photos():
    first, again = m.photo_variants(photo(60, 80), 3, seed=1), m.photo_variants(photo(60, 80), 3, seed=1)
    assert len(first) == 3 and all(a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8 for a in first)
    assert all((a == b).all() for a, b in zip(first, again))
    assert m.photo_variants(np.zeros((40, 50), np.uint8), 1)[0].shape[2] == 3  # grey photos become RGB


def test_decide_rejects_bad_input():
    with pytest.raises(TypeError, match="description"): m.decide(["tabby"], ROUTES)
    with pytest.raises(ValueError, match="between 0 and 1"): m.decide([("tabby", 1.5)], ROUTES)
    with pytest.raises(ValueError, match="routes"): m.decide([("tabby", 0.5)], {})
    with pytest.raises(ValueError, match="threshold"): m.decide([("tabby", 0.5)], ROUTES, threshold=0)


def test_latency_summary():
    summary = m.latency_summary(range(0, 101))
    assert summary == {"count": 101, "mean": 50.0, "p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert m.latency_summary([120.0, 80.0]) == {"count": 2, "mean": 100.0, "p50": 100.0, "p95": 118.0, "p99": 119.6, "max": 120.0}
    with pytest.raises(ValueError, match="make some requests"): m.latency_summary([])
    with pytest.raises(ValueError, match="non-negative"): m.latency_summary([1, -2])


# --- hosted LLMs (offline: request building and reply parsing only) ------------------------------------

def test_get_secret_reads_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_TEST_SECRET", "value")
    assert m.get_secret("COURSE_TEST_SECRET") == "value"
    monkeypatch.delenv("COURSE_TEST_SECRET")
    assert m.get_secret("COURSE_TEST_SECRET") is None
    with pytest.raises(ValueError, match="name"): m.get_secret("")


REPLIES = {"anthropic": {"content": [{"type": "text", "text": "Hello"}]},
           "openai": {"choices": [{"message": {"role": "assistant", "content": "Hello"}}]},
           "gemini": {"candidates": [{"content": {"parts": [{"text": "Hello"}]}}]}}


@pytest.mark.parametrize("provider", sorted(m.HOSTED_LLMS))
def test_hosted_llm_request_and_answer(provider):
    request = m.hosted_llm_request(provider, "Say hello", api_key=KEY)
    assert request["url"].startswith("https://" + m.HOSTED_LLMS[provider]["host"]) and KEY not in request["url"]
    assert KEY in str(request["headers"]) and "Say hello" in str(request["json"])
    assert m.hosted_llm_answer(provider, REPLIES[provider]) == "Hello"
    with pytest.raises(ValueError, match="unexpected reply"): m.hosted_llm_answer(provider, {"error": "quota"})


def test_hosted_llm_request_rejects_bad_input():
    with pytest.raises(ValueError, match="provider"): m.hosted_llm_request("acme", "hi", KEY)
    with pytest.raises(ValueError, match="prompt"): m.hosted_llm_request("openai", " ", KEY)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"): m.hosted_llm_request("openai", "hi", "")
    with pytest.raises(ValueError, match="provider"): m.hosted_llm_answer("acme", {})


def test_exercises_live_in_the_checks_module_not_in_the_lesson_module():
    from course_utils.checks import model_apis as checks
    from course_utils.exercises import Exercise
    assert not any(isinstance(value, Exercise) for value in vars(m).values())
    assert checks.LESSON == "06_model_apis" and checks.redact is m.redact


def test_stored_lesson_outputs_hold_no_key():
    "The lesson generates a key per run and must never print it: no bearer token or key-like string in its outputs."
    import json, re
    from pathlib import Path
    notebook = json.loads((Path(__file__).resolve().parent.parent / "nbs" / "06_model_apis.ipynb").read_text())
    texts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts += ["".join(value) for kind, value in output.get("data", {}).items() if kind.startswith("text/")]
    outputs = "\n".join(texts)
    assert "labelAnnotations" in outputs, "the lesson's outputs are stored (make outputs)"
    assert not re.search(r"Bearer [A-Za-z0-9_\-]{16,}", outputs)
    assert not re.search(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])", outputs), "a token_urlsafe(32)-like string"
