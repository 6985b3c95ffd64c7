"""`Idempotency-Key` on paste/submit: a retry gets the first paste back, with the same
deactivation token, instead of a duplicate."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from pastecms.models import utcnow
from pastecms.services import idempotency
from pastecms.services import paste as paste_service

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


def test_purging_a_paste_forgets_its_key(client, runner, db_rows):
    first = submit(client, "key-1").json
    client.post(
        "/api/paste/deactivate",
        json={
            "paste_id": first["paste_id_repr"],
            "deactivation_token": first["deactivation_token"],
        },
    )
    assert runner.invoke(args=["pastes", "purge"]).exit_code == 0
    assert db_rows()["idempotency_keys"] == []
    # A new paste (SQLite may give it the purged one's id; never its token).
    again = submit(client, "key-1").json
    assert again["deactivation_token"] != first["deactivation_token"]


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


def test_two_requests_racing_with_one_key_make_one_paste(app, monkeypatch, db_rows):
    # Both requests look the key up before either stores its paste: the race a client's
    # retry, sent while the first attempt is still running, can start.
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

    assert answers[0]["success"] and answers[1]["success"], answers
    assert answers[0]["paste_id_repr"] == answers[1]["paste_id_repr"]
    assert answers[0]["deactivation_token"] == answers[1]["deactivation_token"]
    rows = db_rows()
    assert len(rows["pastes"]) == 1 and len(rows["idempotency_keys"]) == 1
