"""Checking a paste's password (bcrypt, slow on purpose) holds no write, so on SQLite no
write lock, through it."""

import pytest

from pastecms.services import secret

DETAILS = "/api/paste/details"
PASSWORD = "open sesame"


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
