"""`Idempotency-Key` on paste/submit: a retry gets the first paste back, with the same
deactivation token, instead of a duplicate; the key is its caller's and bound to the request
it first came with, and a retry shows only what its caller may read now."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from pastecms.extensions import db
from pastecms.models import IdempotencyKey, utcnow
from pastecms.services.identity.auth import Caller
from pastecms.services.pastes import idempotency
from pastecms.services.pastes import paste as paste_service

SUBMIT = "/api/paste/submit"


def submit(client, key=None, contents="retried", **fields):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(SUBMIT, json={"contents": contents, **fields}, headers=headers)


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def move_clock(monkeypatch, **delta):
    """Make the key rules and the purge believe `delta` has passed."""
    real = utcnow
    for module in (idempotency, paste_service):
        monkeypatch.setattr(module, "utcnow", lambda: real() + timedelta(**delta))


def test_a_retry_gets_the_first_paste_and_its_token(client, db_rows):
    first = submit(client, "key-1", title="once")
    assert first.status_code == 200
    stored = db_rows()

    retry = submit(client, "key-1", title="once")
    assert retry.status_code == 200
    assert retry.json == first.json
    assert db_rows() == stored
    assert len(stored["pastes"]) == 1
    # The token is kept encrypted, and still deactivates the paste.
    assert first.json["deactivation_token"] not in repr(stored)
    deactivated = client.post(
        "/api/paste/deactivate",
        json={
            "paste_id": retry.json["paste_id_repr"],
            "deactivation_token": retry.json["deactivation_token"],
        },
    )
    assert deactivated.status_code == 200


def test_other_keys_and_no_key_make_new_pastes(client, db_rows):
    ids = {submit(client, key).json["paste_id_repr"] for key in ("key-1", "key-2", None, None)}
    assert len(ids) == 4
    assert len(db_rows()["pastes"]) == 4


def test_a_key_belongs_to_its_caller(app, make_user):
    anonymous = [submit(client_at(app, f"192.0.2.{n}"), "shared").json for n in (1, 2)]
    assert anonymous[0]["paste_id_repr"] != anonymous[1]["paste_id_repr"]

    _, alice = make_user("alice")
    _, bob = make_user("bob")
    # A user's key is theirs from any address, and no one else's.
    at_home = submit(client_at(app, "192.0.2.1"), "shared", api_key=alice).json
    on_the_road = submit(client_at(app, "198.51.100.1"), "shared", api_key=alice).json
    bobs = submit(client_at(app, "192.0.2.1"), "shared", api_key=bob).json
    assert at_home["paste_id_repr"] == on_the_road["paste_id_repr"]
    assert bobs["paste_id_repr"] not in {at_home["paste_id_repr"], anonymous[0]["paste_id_repr"]}


def test_a_key_expires_and_purge_removes_it(client, runner, monkeypatch, db_rows):
    first = submit(client, "key-1").json
    move_clock(monkeypatch, days=1, seconds=1)
    later = submit(client, "key-1").json
    assert later["deactivation_token"] != first["deactivation_token"]
    assert len(db_rows()["idempotency_keys"]) == 1  # the expired key was taken over

    move_clock(monkeypatch, days=2, seconds=2)
    assert runner.invoke(args=["pastes", "purge"]).exit_code == 0
    assert db_rows()["idempotency_keys"] == []


def test_a_retry_after_its_paste_is_purged_finds_it_gone(client, runner, db_rows):
    first = submit(client, "key-1").json
    client.post(
        "/api/paste/deactivate",
        json={
            "paste_id": first["paste_id_repr"],
            "deactivation_token": first["deactivation_token"],
        },
    )
    assert runner.invoke(args=["pastes", "purge"]).exit_code == 0
    assert db_rows()["pastes"] == []
    # The key outlives its paste (to its own lifetime): the retry posts nothing again.
    again = submit(client, "key-1")
    assert again.status_code == 404
    assert again.json["failure_name"] == "nonexistent_paste_failure"
    assert db_rows()["pastes"] == []


def test_a_retry_uses_up_no_quota(make_app):
    app = make_app(QUOTA_ANONYMOUS="100 per hour", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    client = app.test_client()
    for _ in range(3):
        assert submit(client, "key-1", contents="x" * 60).status_code == 200


BAD_KEYS = [
    ("", None, 200),  # an empty header is no key
    ("k" * 256, "invalid_params_failure", 400),
    ("two words", "invalid_params_failure", 400),
    ("caf\u00e9", "invalid_params_failure", 400),
    ("tab\there", "invalid_params_failure", 400),
]


@pytest.mark.parametrize(("key", "failure_name", "status"), BAD_KEYS)
def test_a_malformed_key_is_refused_and_stores_nothing(client, db_rows, key, failure_name, status):
    before = db_rows()
    response = client.post(
        SUBMIT,
        json={"contents": "x"},
        headers=[("Idempotency-Key", key.encode().decode("latin-1"))],
    )
    assert response.status_code == status
    if failure_name is None:
        assert db_rows()["idempotency_keys"] == []
        return
    assert response.json["failure_name"] == failure_name
    assert "Idempotency-Key" in response.json["details"]
    assert db_rows() == before


@pytest.mark.parametrize("claims", [True, False], ids=["claimed", "database-only"])
def test_two_requests_racing_with_one_key_make_one_paste(make_app, monkeypatch, db_rows, claims):
    # Both requests look the key up before either stores its paste: the race a client's
    # retry, sent while the first attempt is still running, can start. The key's claim
    # sends the second away (409), unless the first was done by then; without claims
    # (limits off), the database makes the second wait and answer with the first paste.
    app = make_app(RATELIMIT_ENABLED=claims)
    both_looked = threading.Barrier(2)
    real_find = idempotency.find
    looked = threading.local()

    def find_then_wait(stored_under):
        found = real_find(stored_under)
        if not getattr(looked, "once", False):
            looked.once = True
            both_looked.wait(timeout=30)
        return found

    monkeypatch.setattr(idempotency, "find", find_then_wait)

    def attempt(_):
        return submit(app.test_client(), "raced").json

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(attempt, range(2)))

    made = [answer for answer in answers if answer["success"]]
    waiting = [answer for answer in answers if not answer["success"]]
    assert made, answers
    assert all(answer == made[0] for answer in made)
    assert [answer["failure_name"] for answer in waiting] == (
        ["idempotency_key_in_use_failure"] * len(waiting)
    )
    if not claims:
        assert not waiting
    rows = db_rows()
    assert len(rows["pastes"]) == 1 and len(rows["idempotency_keys"]) == 1


PROTECTED = {"contents": "A's secret notes", "title": "private", "password": "correct horse"}


def test_a_key_sent_with_another_request_shows_nothing_of_the_first(app, make_user, db_rows):
    # The finding: A posts a protected paste with a key; anyone else at A's address (a
    # shared NAT, say) who sends the same key with any body must not get it.
    first = submit(client_at(app, "192.0.2.1"), "upload-1", **PROTECTED)
    assert first.status_code == 200
    stored = db_rows()

    reused = submit(client_at(app, "192.0.2.1"), "upload-1", contents="anything")
    assert reused.status_code == 422
    assert reused.json["failure_name"] == "idempotency_key_reused_failure"
    assert reused.json["failure"] == "idempotency_key_reused_failure"
    assert PROTECTED["contents"] not in reused.text
    assert first.json["deactivation_token"] not in reused.text
    assert first.json["paste_id_repr"] not in reused.text
    assert db_rows() == stored

    # Another caller's key of the same name is another key: a paste of their own.
    _, bob = make_user("bob")
    bobs = submit(client_at(app, "192.0.2.1"), "upload-1", contents="bob's", api_key=bob)
    assert bobs.status_code == 200
    assert bobs.json["paste_id_repr"] != first.json["paste_id_repr"]
    assert bobs.json["contents"] == "bob's"
    assert PROTECTED["contents"] not in bobs.text
    assert first.json["deactivation_token"] not in bobs.text


CHANGED = [
    {"contents": "other"},
    {"title": "other"},
    {"language": "python"},
    {"password": "another password"},
    {"password": None},
    {"expiry_time": 4102444800},
    {"max_views": 2},
    {"attachments": [{"name": "a.txt", "data": "YWJj"}]},
]


@pytest.mark.parametrize("change", CHANGED, ids=lambda change: next(iter(change)))
def test_the_same_key_with_another_request_is_refused(client, db_rows, change):
    sent = {"title": "t", "password": "a password", "max_views": 5}
    first = submit(client, "key-1", **sent)
    assert first.status_code == 200
    stored = db_rows()

    changed = submit(client, "key-1", **{**sent, **change})
    assert changed.status_code == 422
    assert changed.json["failure_name"] == "idempotency_key_reused_failure"
    assert first.json["deactivation_token"] not in changed.text
    assert db_rows() == stored


def test_what_the_server_fills_in_is_the_same_request(client):
    # Defaults and their explicit values, an empty password and none: one request.
    first = submit(client, "key-1", password="")
    retry = submit(client, "key-1", title="Untitled", language="text", password=None)
    assert retry.status_code == 200
    assert retry.json["paste_id_repr"] == first.json["paste_id_repr"]


def test_the_same_key_by_two_users_makes_two_pastes(app, make_user):
    _, alice = make_user("alice")
    _, bob = make_user("bob")
    client = app.test_client()
    alices = submit(client, "shared", contents="same", api_key=alice).json
    bobs = submit(client, "shared", contents="same", api_key=bob).json
    assert alices["paste_id_repr"] != bobs["paste_id_repr"]
    assert alices["deactivation_token"] != bobs["deactivation_token"]
    # Each retry gets its own caller's paste back, with that caller's token.
    assert submit(client, "shared", contents="same", api_key=alice).json == alices
    assert submit(client, "shared", contents="same", api_key=bob).json == bobs


def deactivate(client, paste):
    return client.post(
        "/api/paste/deactivate",
        json={
            "paste_id": paste["paste_id_repr"],
            "deactivation_token": paste["deactivation_token"],
        },
    )


def assert_gone(response, first):
    assert response.status_code == 404
    assert response.json["failure_name"] == "nonexistent_paste_failure"
    assert first["deactivation_token"] not in response.text
    assert first["contents"] not in response.text


def test_a_retry_after_deactivation_finds_the_paste_gone(client, db_rows):
    first = submit(client, "key-1", contents="taken back").json
    assert deactivate(client, first).status_code == 200
    stored = db_rows()
    assert_gone(submit(client, "key-1", contents="taken back"), first)
    assert db_rows() == stored  # and no new paste either


def test_a_retry_after_expiry_finds_the_paste_gone(client, monkeypatch):
    expiry = int((utcnow() + timedelta(hours=1)).timestamp())
    first = submit(client, "key-1", contents="short-lived", expiry_time=expiry).json
    move_clock(monkeypatch, hours=2)
    assert_gone(submit(client, "key-1", contents="short-lived", expiry_time=expiry), first)


def test_a_retry_after_the_paste_burned_finds_it_gone(app, client, db_rows):
    first = submit(client, "key-1", contents="read once", burn_after_read=True).json
    read = client.post("/api/paste/details", json={"paste_id": first["paste_id_repr"]})
    assert read.json["contents"] == "read once"
    assert_gone(submit(client, "key-1", contents="read once", burn_after_read=True), first)
    assert db_rows()["pastes"] == []
    # The key keeps nothing of the burned paste: neither its id nor its token.
    with app.app_context():
        (kept,) = db.session.execute(select(IdempotencyKey.paste_id, IdempotencyKey.token))
    assert tuple(kept) == (None, None)


def test_a_retry_of_a_protected_paste_shows_no_contents(client):
    first = submit(client, "key-1", **PROTECTED)
    assert first.json["contents"] == PROTECTED["contents"]  # the poster's own answer
    retry = submit(client, "key-1", **PROTECTED)
    assert retry.status_code == 200
    assert retry.json["paste_id_repr"] == first.json["paste_id_repr"]
    assert retry.json["deactivation_token"] == first.json["deactivation_token"]
    assert retry.json["is_password_protected"] is True
    assert retry.json["contents"] is None
    assert PROTECTED["contents"] not in retry.text


def test_a_retry_of_a_counted_paste_neither_shows_nor_uses_up_a_view(client):
    first = submit(client, "key-1", contents="two reads", max_views=2).json
    retry = submit(client, "key-1", contents="two reads", max_views=2)
    assert retry.status_code == 200
    assert retry.json["contents"] is None
    assert retry.json["views"] == 0
    for _ in range(2):
        read = client.post("/api/paste/details", json={"paste_id": first["paste_id_repr"]})
        assert read.json["contents"] == "two reads"


def test_a_retry_while_the_first_request_runs_is_told_to_wait(app, db_rows):
    client = client_at(app, "192.0.2.1")
    before = db_rows()
    with app.app_context(), idempotency.attempt(Caller(address="192.0.2.1"), "key-1", {}):
        in_flight = submit(client, "key-1", contents="first")
        # Another caller's key of the same name is not held.
        elsewhere = submit(client_at(app, "192.0.2.2"), "key-1", contents="first")
    assert in_flight.status_code == 409
    assert in_flight.json["failure_name"] == "idempotency_key_in_use_failure"
    assert int(in_flight.headers["Retry-After"]) > 0
    assert elsewhere.status_code == 200
    assert len(db_rows()["pastes"]) == len(before["pastes"]) + 1
    # Once the first request is over, the key is free.
    assert submit(client, "key-1", contents="first").status_code == 200
