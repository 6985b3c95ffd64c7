"""/pub under concurrent load on a real gunicorn with several workers: likes and page
views are counted in SQL, so none is lost or doubled, and a runaway custom field does
not stop the server.

The counting tests are about the database (its locks and transactions under concurrent
writers): `make test` runs them on every database; the custom field's is not, and runs
once with the other live tests."""

import json
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live import gunicorn

pytestmark = pytest.mark.live

CLIENTS = 100
FORM = "application/x-www-form-urlencoded"


def call(base_url, path, *, form=None, headers=None) -> dict:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(
        base_url + path,
        data=data,
        headers={"Content-Type": FORM if data else "text/plain", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.load(response)


@pytest.fixture
def server(live_env, make_user, tmp_path):
    token = make_user("admin", is_admin=True)[1]
    env = live_env(
        PROXY_HOPS=1,
        RATELIMIT_TALK_LIKES="100000 per minute",
        STATISTIC_DOMAINS='["blog.example"]',
        CUSTOM_FIELDS_EXECUTE="true",
        CUSTOM_FIELDS_CPU_SECONDS=1,
        CUSTOM_FIELDS_TIMEOUT=20,
    )
    with gunicorn(env, tmp_path / "gunicorn.log", workers=4) as base_url:
        yield base_url, token


def together(count, work):
    """Run work(n) for n in range(count) on 16 threads, the first 16 released at once."""
    start = threading.Barrier(16)

    def run(n):
        if n < 16:
            start.wait(timeout=60)
        return work(n)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(run, range(count)))


def new_talk(base_url, token) -> str:
    saved = call(base_url, "/pub/save_talk/", form={"token": token, "content": "hello"})
    assert saved["status"] is True, saved
    return saved["id"]


def the_talk(base_url, address) -> dict:
    page = call(base_url, "/pub/talks/?page=1&limit=5", headers={"X-Forwarded-For": address})
    (talk,) = page["data"]
    return talk


@pytest.mark.database
def test_concurrent_likes_from_100_clients_count_100(server):
    base_url, token = server
    talk_id = new_talk(base_url, token)

    def like(n):
        answer = call(
            base_url,
            "/pub/like_talk/",
            form={"id": talk_id},
            headers={"X-Forwarded-For": f"10.9.{n // 250}.{n % 250}"},
        )
        return answer["status"], answer.get("action")

    assert together(CLIENTS, like) == [(True, True)] * CLIENTS
    talk = the_talk(base_url, "10.9.0.7")
    assert (talk["like"], talk["liked"]) == (CLIENTS, True)
    assert the_talk(base_url, "192.0.2.1")["liked"] is False


@pytest.mark.database
def test_a_double_click_never_counts_twice(server):
    base_url, token = server
    talk_id = new_talk(base_url, token)
    for round_ in range(20):
        address = f"10.8.0.{round_}"

        def click(_, address=address):
            headers = {"X-Forwarded-For": address}
            return call(base_url, "/pub/like_talk/", form={"id": talk_id}, headers=headers)

        start = threading.Barrier(2)

        def clicked(n, click=click, start=start):
            start.wait(timeout=60)
            return click(n)["status"]

        with ThreadPoolExecutor(max_workers=2) as pool:
            assert list(pool.map(clicked, range(2))) == [True, True]
        talk = the_talk(base_url, address)
        # Whatever the interleaving: counted at most once, and the count agrees with
        # whether this client likes it.
        assert talk["liked"] in (True, False)
        assert talk["like"] == sum(
            the_talk(base_url, f"10.8.0.{n}")["liked"] for n in range(round_ + 1)
        )


@pytest.mark.database
def test_concurrent_page_views_add_100(server):
    base_url, _ = server

    def visit(n):
        headers = {"Referer": "https://blog.example/post/", "X-Forwarded-For": f"10.7.0.{n % 40}"}
        return call(base_url, "/pub/statistic/", headers=headers)["page_pv"]

    seen = together(CLIENTS, visit)
    assert sorted(seen) == list(range(1, CLIENTS + 1))
    last = call(
        base_url,
        "/pub/statistic/",
        headers={"Referer": "https://blog.example/", "X-Forwarded-For": "10.7.0.1"},
    )
    assert (last["site_pv"], last["site_uv"]) == (CLIENTS + 1, 40)


def test_a_runaway_custom_field_leaves_the_server_serving(server):
    base_url, token = server
    stored = call(
        base_url,
        "/pub/set_custom/",
        form={"token": token, "name": "spin", "content": "while True:\n    pass"},
    )
    assert stored["status"] is True
    with ThreadPoolExecutor(max_workers=2) as pool:
        spinning = pool.submit(call, base_url, f"/pub/get_custom/?token={token}&key=spin")
        # Other workers answer meanwhile.
        assert call(base_url, "/pub/friends/")["status"] is True
        answer = spinning.result(timeout=60)
    assert (answer["status"], answer["failure_name"]) == (False, "sandbox_timeout_failure")
    assert call(base_url, "/pub/friends/")["status"] is True
