"""Guessing a secret is slow: wrong paste passwords (details, the unlock form) and failed
logins are limited per target and per client address, a client over its limit costs no
bcrypt, and no write is held while bcrypt runs."""

import os
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import bcrypt
import pytest

from pastecms.services import secret

DETAILS = "/api/paste/details"
LOGIN = "/api/authentication/login"
PASSWORD = "open sesame"


@pytest.fixture
def guarded(make_app):
    # A prefix of its own keeps these counters apart from other runs sharing Redis.
    return make_app(RATELIMIT_FAILED_ATTEMPTS="3 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)


@pytest.fixture
def bcrypt_runs(monkeypatch):
    """Every password comparison bcrypt makes while the test goes on."""
    calls = []
    real = secret.check_password

    def counted(password, password_hash):
        calls.append(password)
        return real(password, password_hash)

    monkeypatch.setattr(secret, "check_password", counted)
    return calls


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def protected_paste(app) -> str:
    response = app.test_client().post(
        "/api/paste/submit", json={"contents": "the secret", "password": PASSWORD}
    )
    return response.json["paste_id_repr"]


def guess_details(client, paste_id, password):
    return client.post(DETAILS, json={"paste_id": paste_id, "password": password})


def guess_form(client, paste_id, password):
    return client.post(f"/paste/{paste_id}", data={"password": password})


@pytest.mark.parametrize("guess", [guess_details, guess_form])
def test_a_paste_is_shut_after_its_wrong_passwords_whatever_the_address(
    guarded, bcrypt_runs, db_rows, guess
):
    paste_id = protected_paste(guarded)
    for n in range(3):
        assert (
            guess(from_address(guarded, f"192.0.2.{n}"), paste_id, f"guess {n}").status_code == 401
        )
    before, compared = db_rows(), len(bcrypt_runs)

    # Even the right password waits now, and costs no bcrypt.
    refused = guess(from_address(guarded, "198.51.100.7"), paste_id, PASSWORD)
    assert refused.status_code == 429
    assert "rate_limit_failure" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert len(bcrypt_runs) == compared
    assert db_rows() == before

    # Another paste is open to the same address.
    other = protected_paste(guarded)
    assert guess(from_address(guarded, "198.51.100.7"), other, PASSWORD).status_code == 200


@pytest.mark.parametrize("guess", [guess_details, guess_form])
def test_an_address_is_shut_after_its_wrong_passwords_whatever_the_paste(guarded, guess):
    guesser = from_address(guarded, "192.0.2.1")
    for _ in range(3):
        assert guess(guesser, protected_paste(guarded), "wrong").status_code == 401
    paste_id = protected_paste(guarded)
    assert guess(guesser, paste_id, PASSWORD).status_code == 429
    assert guess(from_address(guarded, "192.0.2.2"), paste_id, PASSWORD).status_code == 200


def test_right_passwords_and_missing_ones_never_use_up_the_limit(guarded):
    paste_id = protected_paste(guarded)
    client = guarded.test_client()
    for _ in range(5):
        assert guess_details(client, paste_id, PASSWORD).status_code == 200
        assert client.post(DETAILS, json={"paste_id": paste_id}).status_code == 401
    assert guess_details(client, paste_id, "wrong").status_code == 401


@pytest.mark.parametrize("guess", [guess_details, guess_form])
def test_no_write_is_held_while_bcrypt_runs(app, monkeypatch, pastes_are_writable, guess):
    paste_id = protected_paste(app)
    seen = []
    real = secret.check_password

    def probed(password, password_hash):
        seen.append(pastes_are_writable())
        return real(password, password_hash)

    monkeypatch.setattr(secret, "check_password", probed)
    assert guess(app.test_client(), paste_id, "wrong").status_code == 401
    assert guess(app.test_client(), paste_id, PASSWORD).status_code == 200
    assert seen == [True, True]


@pytest.fixture
def slow_bcrypt(monkeypatch):
    """bcrypt at production speed (about 0.2 s), so guesses sent together overlap; returns
    the comparisons made."""
    calls = []
    real = secret.check_password

    def slow(password, password_hash):
        calls.append(password)
        time.sleep(0.2)
        return real(password, password_hash)

    monkeypatch.setattr(secret, "check_password", slow)
    return calls


def together(count, send):
    """`send(n)` for n in range(count), from as many threads released at once; the statuses."""
    start = threading.Barrier(count)

    def one(n):
        start.wait(timeout=30)
        return send(n).status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(one, range(count)))


@pytest.mark.parametrize("guess", [guess_details, guess_form])
def test_guesses_sent_together_are_limited_as_if_sent_in_turn(guarded, slow_bcrypt, guess):
    # Checked before and counted after a comparison, guesses racing each other would all
    # pass the limit's check before the first was counted.
    paste_id = protected_paste(guarded)
    statuses = together(
        12, lambda n: guess(from_address(guarded, f"192.0.2.{n}"), paste_id, f"guess {n}")
    )
    assert len(slow_bcrypt) <= 3
    assert statuses[401] == len(slow_bcrypt)
    assert statuses[429] == 12 - len(slow_bcrypt)


def test_logins_sent_together_are_limited_as_if_sent_in_turn(guarded, make_user, slow_bcrypt):
    make_user("alice", password="correct horse")
    statuses = together(
        12, lambda n: login(from_address(guarded, f"192.0.2.{n}"), "alice", f"guess {n}")
    )
    assert len(slow_bcrypt) <= 3
    assert statuses == Counter({401: len(slow_bcrypt), 429: 12 - len(slow_bcrypt)})


def test_an_address_guessing_many_targets_at_once_is_limited(guarded, slow_bcrypt):
    pastes = [protected_paste(guarded) for _ in range(8)]
    guesser = from_address(guarded, "192.0.2.1")
    statuses = together(8, lambda n: guess_details(guesser, pastes[n], "wrong"))
    assert len(slow_bcrypt) <= 3
    assert statuses[429] == 8 - len(slow_bcrypt)


# logins


def login(client, username, password):
    return client.post(LOGIN, json={"username": username, "password": password})


def test_an_account_is_shut_after_its_failed_logins_whatever_the_address(
    guarded, make_user, bcrypt_runs
):
    make_user("alice", password="correct horse")
    for n in range(3):
        assert (
            login(from_address(guarded, f"192.0.2.{n}"), "alice", f"guess {n}").status_code == 401
        )
    compared = len(bcrypt_runs)
    # Whatever the case the name is typed in.
    refused = login(from_address(guarded, "198.51.100.7"), "ALICE", "correct horse")
    assert refused.status_code == 429
    assert refused.json["failure_name"] == "rate_limit_failure"
    assert len(bcrypt_runs) == compared


def test_an_address_is_shut_after_its_failed_logins_whatever_the_account(guarded, make_user):
    make_user("alice", password="correct horse")
    guesser = from_address(guarded, "192.0.2.1")
    # Names that do not exist count too: they are guesses all the same.
    for name in ("bob", "carol", "alice"):
        assert login(guesser, name, "guess").status_code in (401, 404)
    assert login(guesser, "alice", "correct horse").status_code == 429
    assert login(from_address(guarded, "192.0.2.2"), "alice", "correct horse").status_code == 200


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own priority is Linux's")
def test_bcrypt_runs_at_a_lower_priority_than_the_requests(app, monkeypatch):
    # On a busy machine the kernel then serves readers before a guesser's bcrypt checks.
    priorities = []

    def watched(real):
        def run(*args):
            priorities.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return real(*args)

        return run

    monkeypatch.setattr(bcrypt, "checkpw", watched(bcrypt.checkpw))
    monkeypatch.setattr(bcrypt, "hashpw", watched(bcrypt.hashpw))
    with app.app_context():
        hashed = secret.hash_password(PASSWORD)
        assert secret.check_password(PASSWORD, hashed)
        assert not secret.check_password("a wrong guess", hashed)
    requests_priority = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert len(priorities) == 3
    assert min(priorities) > requests_priority
