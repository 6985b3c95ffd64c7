"""The shipped deployment, end to end: real nginx in front of real gunicorn.

nginx runs in the foreground on a free loopback port with its own temporary prefix (never
as the system service), from a config rendered out of deploy/nginx/pastecms.conf itself:
only the upstream address, the listen lines, the static root and the log directory are
swapped, so the file that ships is the file under test. gunicorn runs with
deploy/gunicorn.conf.py and PASTECMS_PROXY_HOPS=1, as the systemd unit runs it.

Client addresses: Linux answers on all of 127.0.0.0/8, so the test connects from addresses
of its own choosing (127.x.y.z). nginx sees that address, while gunicorn always sees nginx
at 127.0.0.1; the rate limiter, keyed on the client address the app resolved, shows which
one the app believed.
"""

import contextlib
import gzip
import http.client
import json
import os
import random
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.live import ROOT, SITE, STATIC, find_nginx, gunicorn, nginx

pytestmark = pytest.mark.live

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
SUBMITS_PER_MINUTE = 3
MIB = 1024 * 1024
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def nginx_binary() -> str:
    found = find_nginx()
    if found is None:
        message = "nginx is not installed (Debian: apt-get install nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the deployment test")
        pytest.skip(message)
    return found


class Client:
    """HTTP to nginx from a chosen loopback address."""

    def __init__(self, port: int, source: str = "127.0.0.1"):
        self.port = port
        self.source = source

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post_json(self, path, payload, headers=None):
        body = json.dumps(payload).encode()
        status, headers, raw = self.request(
            "POST", path, body, {"Content-Type": "application/json", **(headers or {})}
        )
        return status, headers, raw


def _json(raw: bytes) -> dict:
    return json.loads(raw)


def _failure_name(status_headers_raw) -> str:
    _, headers, raw = status_headers_raw
    assert headers["Content-Type"].startswith("application/json")
    body = _json(raw)
    assert body["success"] is False and body["failure"] == body["failure_name"]
    return body["failure_name"]


def test_nginx_serves_the_app_as_shipped(live_env, nginx_binary, tmp_path):
    storage = os.environ.get("PASTECMS_TEST_RATELIMIT_STORAGE_URI", "memory://")
    env = live_env(
        PROXY_HOPS=1,
        RATELIMIT_SUBMIT=f"{SUBMITS_PER_MINUTE} per minute",
        RATELIMIT_STORAGE_URI=storage,
    )
    app_log = tmp_path / "gunicorn.log"
    # nginx outlives gunicorn (the outer stack), to show its own 502 at the end.
    with contextlib.ExitStack() as outer, contextlib.ExitStack() as inner:
        # One worker: with in-memory limits, each worker would count on its own.
        app_url = inner.enter_context(gunicorn(env, app_log, config_file=GUNICORN_CONF))
        port = outer.enter_context(nginx(nginx_binary, app_url, tmp_path))
        client = Client(port)
        _check_submit_and_read_back(client, app_log)
        _check_oversized_bodies(client, app_log)
        _check_spoofed_forwarded_for(port)
        _check_static_files(client, app_log)
        _check_acme_challenges_are_served(client, app_log, webroot=tmp_path)
        _check_oversized_request_lines_and_headers(port)
        _check_slow_clients_never_reach_a_worker(port)
        _check_floods_are_refused_at_the_edge(port, app_log)
        _check_no_secret_reaches_the_access_logs(client, app_log, tmp_path)

        inner.close()  # gunicorn stops; nginx stays up
        answer = client.post_json("/api/paste/recent", {})
        assert answer[0] == 502
        assert _failure_name(answer) == "undefined_failure"
        assert re.fullmatch(r"[0-9a-f]{32}", answer[1]["X-Request-Id"])


def _check_no_secret_reaches_the_access_logs(client: Client, app_log: Path, logs: Path) -> None:
    """Keys, tokens and passwords sent in a query string (Qexo's widgets send `token`)
    are masked in gunicorn's and nginx's access logs; the rest of the target is kept."""
    secrets_sent = {
        "/pub/get_friends/?token=KEY-IN-THE-QUERY&s=kept": "KEY-IN-THE-QUERY",
        "/api/auth/token/access/renew?token=REFRESH-IN-THE-QUERY": "REFRESH-IN-THE-QUERY",
        "/archive?page=2&password=PASSWORD-IN-THE-QUERY": "PASSWORD-IN-THE-QUERY",
    }
    for target in secrets_sent:
        status, _, _ = client.request("GET", target)
        assert status < 500
    assert _logged(app_log, '"GET /pub/get_friends/?token=***&s=kept HTTP/1.0"')
    nginx_log = logs / "pastecms.access.log"
    deadline = time.monotonic() + 10
    while "PASSWORD" not in nginx_log.read_text() and "/archive?***" not in nginx_log.read_text():
        assert time.monotonic() < deadline, nginx_log.read_text()[-2000:]
        time.sleep(0.05)
    for secret in secrets_sent.values():
        assert secret not in app_log.read_text()
        assert secret not in nginx_log.read_text()
    assert '"GET /pub/get_friends/?*** HTTP/1.1"' in nginx_log.read_text()


def _logged(app_log: Path, text: str, timeout: float = 10.0) -> bool:
    """Whether `text` shows up in gunicorn's log: it writes the access line after the
    response has gone, so nginx's client may see the answer first."""
    deadline = time.monotonic() + timeout
    while text not in app_log.read_text():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _check_submit_and_read_back(client: Client, app_log: Path) -> None:
    """Submit and read back, with the body gzipped for a client that asks."""
    contents = "print('through nginx')\n" * 100
    status, _, raw = client.post_json("/api/paste/submit", {"contents": contents})
    assert status == 200, raw
    paste_id = _json(raw)["paste_id_repr"]
    status, headers, raw = client.post_json(
        "/api/paste/details", {"paste_id": paste_id}, {"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    details = _json(gzip.decompress(raw))
    assert details["contents"] == contents and details["views"] == 1
    # The app adopted nginx's request id (32 hex digits), and gunicorn logged it.
    request_id = headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert _logged(app_log, f"rid={request_id}")


def _check_oversized_bodies(client: Client, app_log: Path) -> None:
    # Over client_max_body_size: nginx's own JSON 413; the app never sees the request.
    oversized = b'{"contents": "' + b"x" * (16 * MIB) + b'"}'
    answer = client.request(
        "POST", "/api/paste/submit", oversized, {"Content-Type": "application/json"}
    )
    assert answer[0] == 413
    assert _failure_name(answer) == "payload_too_large_failure"
    assert answer[1]["X-Request-Id"] not in app_log.read_text()
    # Under it but over the paste limit: the app's own 413 passes through untouched.
    answer = client.post_json("/api/paste/submit", {"contents": "y" * (2 * MIB)})
    assert answer[0] == 413
    assert _failure_name(answer) == "payload_too_large_failure"
    assert _logged(app_log, f"rid={answer[1]['X-Request-Id']}")


def _check_spoofed_forwarded_for(port: int) -> None:
    """A client's own X-Forwarded-For changes nothing."""
    a, b, c = random.sample(range(2, 250), 3)
    spoofer = Client(port, f"127.{a}.{b}.{c}")
    # From one address, requests claiming to come from different ones share one limit...
    claims = ["203.0.113.7", "198.51.100.9", "10.0.0.1, 192.0.2.1", "192.0.2.200"]
    for claimed in claims[:SUBMITS_PER_MINUTE]:
        status, _, raw = spoofer.post_json(
            "/api/paste/submit", {"contents": "spoof"}, {"X-Forwarded-For": claimed}
        )
        assert status == 200, raw
    answer = spoofer.post_json(
        "/api/paste/submit", {"contents": "spoof"}, {"X-Forwarded-For": claims[-1]}
    )
    assert answer[0] == 429
    assert _failure_name(answer) == "rate_limit_failure"
    # ...while another real address has its own: the app keys on the address nginx saw,
    # not on nginx's own, which every request shares.
    neighbour = Client(port, f"127.{a}.{b}.{c + 1}")
    status, _, raw = neighbour.post_json("/api/paste/submit", {"contents": "neighbour"})
    assert status == 200, raw


def _check_static_files(client: Client, app_log: Path) -> None:
    """Static files come from nginx, straight from pastecms/static."""
    status, headers, raw = client.request("GET", "/static/style.css")
    assert status == 200
    assert raw == (STATIC / "style.css").read_bytes()
    assert headers["Content-Type"].startswith("text/css")
    assert "/static/" not in app_log.read_text()


def _check_acme_challenges_are_served(client: Client, app_log: Path, webroot: Path) -> None:
    """certbot --webroot (Deploy step 7) can prove the domain: nginx serves its challenge
    files from the webroot (rendered here as the test's prefix), never the app."""
    challenge = webroot / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "token-123").write_text("token-123.thumbprint")
    status, headers, raw = client.request("GET", "/.well-known/acme-challenge/token-123")
    assert (status, raw) == (200, b"token-123.thumbprint")
    assert headers["Content-Type"].startswith("text/plain")
    assert "acme-challenge" not in app_log.read_text()


def send_raw(port: int, data: bytes, source: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    """Send bytes as they are (headers http.client would refuse to write) and read the
    whole answer; the server closes the connection after an error."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=30, source_address=(source, 0)
    ) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


def _loopback_address() -> str:
    return "127.{}.{}.{}".format(*random.sample(range(2, 250), 3))


def _check_oversized_request_lines_and_headers(port: int) -> None:
    """On /api, too long a request line or too large headers are JSON failures, whether
    nginx refuses them (line, header size) or gunicorn does (header count); pages keep
    nginx's own answers."""
    long_path = "/api/paste/recent?" + "x" * 9000
    answer = send_raw(port, f"GET {long_path} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    assert answer[0] == 414
    assert _failure_name(answer) == "invalid_params_failure"
    page = send_raw(port, f"GET /{'x' * 9000} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    assert page[0] == 414 and page[1]["Content-Type"].startswith("text/html")

    big_header = "X-Big: " + "y" * 9000
    for path, status, kind in (
        ("/api/paste/recent", 431, "application/json"),
        ("/", 400, "text/html"),
    ):
        answer = send_raw(port, f"GET {path} HTTP/1.1\r\nHost: a\r\n{big_header}\r\n\r\n".encode())
        assert answer[0] == status and answer[1]["Content-Type"].startswith(kind), answer[:2]
    answer = send_raw(
        port, f"GET /api/paste/recent HTTP/1.1\r\nHost: a\r\n{big_header}\r\n\r\n".encode()
    )
    assert _failure_name(answer) == "invalid_params_failure"

    # Many small headers pass nginx; gunicorn (100 at most) refuses them, in JSON too.
    many = "".join(f"X-Header-{n}: {n}\r\n" for n in range(150))
    request = f"POST /api/paste/recent HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n{many}\r\n"
    answer = send_raw(port, request.encode())
    assert answer[0] == 431
    assert _failure_name(answer) == "invalid_params_failure"


def _check_slow_clients_never_reach_a_worker(port: int) -> None:
    """Clients trickling their headers are held by nginx, not by gunicorn's one worker:
    a request sent meanwhile is answered."""
    tricklers = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(3)]
    try:
        for sock in tricklers:
            sock.sendall(b"POST /api/paste/recent HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        status, _, raw = Client(port).post_json("/api/paste/recent", {})
        assert status == 200, raw
    finally:
        for sock in tricklers:
            sock.close()


def _check_floods_are_refused_at_the_edge(port: int, app_log: Path) -> None:
    """Past nginx's per-address rates (the API and pages: 10 a second, bursts of 20;
    posted forms: 1 a second, bursts of 5), requests are refused before any worker sees
    them, on the API as rate_limit_failure."""
    flooder = Client(port, _loopback_address())
    answers = [flooder.post_json("/api/paste/nothing", {}) for _ in range(100)]
    refused = [answer for answer in answers if answer[0] == 429]
    assert refused, "100 requests at once passed a 10-a-second limit"
    assert _failure_name(refused[0]) == "rate_limit_failure"
    assert refused[0][1]["Retry-After"] == "1"
    assert refused[0][1]["X-Request-Id"] not in app_log.read_text()
    # Another address is not held back.
    assert Client(port, _loopback_address()).post_json("/api/paste/recent", {})[0] == 200

    poster = Client(port, _loopback_address())
    statuses = [
        poster.request("POST", "/", b"contents=x", {"Content-Type": FORM})[0] for _ in range(20)
    ]
    assert 429 in statuses
    # Pages are counted apart from posts: a reader is not held back by its own posts,
    # only by reading faster than any person.
    statuses = [poster.request("GET", "/")[0] for _ in range(100)]
    assert statuses[:20] == [200] * 20 and 429 in statuses


# One worker runs threaded, several run sync (pastecms/gunicorn_conf.py): both refuse so.
@pytest.mark.parametrize("workers", [1, 2])
def test_gunicorn_itself_refuses_oversized_requests_in_json(live_env, tmp_path, workers):
    """Without nginx in front (a misconfigured proxy, a local run), gunicorn's own limits
    answer JSON too."""
    log = tmp_path / "gunicorn.log"
    with gunicorn(live_env(), log, config_file=GUNICORN_CONF, workers=workers) as url:
        port = int(url.rsplit(":", 1)[1])
        long_line = f"GET /api/paste/recent?{'x' * 9000} HTTP/1.1\r\nHost: a\r\n\r\n"
        many = "".join(f"X-Header-{n}: {n}\r\n" for n in range(150))
        many_headers = f"GET /api/paste/recent HTTP/1.1\r\nHost: a\r\n{many}\r\n"
        for request, status in ((long_line, 414), (many_headers, 431)):
            answer = send_raw(port, request.encode())
            assert answer[0] == status
            assert _failure_name(answer) == "invalid_params_failure"
    kind = "ThreadWorker" if workers == 1 else "SyncWorker"
    assert f"Using worker: pastecms.gunicorn_worker.{kind}" in log.read_text()


def test_one_worker_answers_others_while_it_checks_a_password(live_env, tmp_path):
    """A wrong guess costs a bcrypt check; with one worker (limits counted in memory)
    every other client used to wait behind it. Each request now holds a thread only."""
    env = live_env(BCRYPT_ROUNDS=15, RATELIMIT_ENABLED="false")  # a check takes seconds
    with gunicorn(env, tmp_path / "gunicorn.log", config_file=GUNICORN_CONF, workers=1) as url:
        client = Client(int(url.rsplit(":", 1)[1]))
        status, _, raw = client.post_json(
            "/api/paste/submit", {"contents": "secret", "password": "correct horse battery"}
        )
        assert status == 200
        guess = {"paste_id": _json(raw)["paste_id_repr"], "password": "wrong guess"}
        with ThreadPoolExecutor(max_workers=1) as pool:
            guessing = pool.submit(client.post_json, "/api/paste/details", guess)
            time.sleep(0.3)  # the guess reaches the worker first
            assert client.request("GET", "/healthz")[0] == 200
            answered_while_guessing = not guessing.done()
            assert guessing.result()[0] == 401
        assert answered_while_guessing


def test_the_tls_example_sends_strict_transport_security():
    tls_example = SITE.read_text().split("# TLS:", 1)[1].split("server_tokens", 1)[0]
    assert re.search(
        r'# add_header Strict-Transport-Security "max-age=\d{7,}" always;', tls_example
    )
