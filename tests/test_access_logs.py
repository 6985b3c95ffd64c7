"""What the access logs keep of a request's target: never a key, a token or a password,
which clients may send in the query string (Qexo's widgets send `token`). gunicorn's
shipped format prints the target the app masked (`tests/test_live_nginx.py` reads both
gunicorn's and nginx's logs through the deployed stack)."""

import pytest
from werkzeug.test import EnvironBuilder

from pastecms import LOGGED_TARGET, logged_target


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        (b"", "/pub/friends"),
        (b"token=abc&s=x", "/pub/friends?token=***&s=x"),
        (b"s=x&TOKEN=abc", "/pub/friends?s=x&TOKEN=***"),
        (
            b"api_key=abc&password=pw&refresh_token=r",
            "/pub/friends?api_key=***&password=***&refresh_token=***",
        ),
        (b"tok%65n=abc", "/pub/friends?tok%65n=***"),
        (b"page=2&s=token%3Dabc", "/pub/friends?page=2&s=token%3Dabc"),
        (b"token", "/pub/friends?token"),
        (b"+Token+=abc&page=1", "/pub/friends?+Token+=***&page=1"),
        (b"page=1&limit=5", "/pub/friends?page=1&limit=5"),
    ],
)
def test_secret_query_parameters_are_masked(query, logged):
    assert logged_target("/pub/friends", query) == logged


def test_every_request_carries_its_masked_target_for_the_server_log(app):
    """The app leaves it in the WSGI environ, where gunicorn's access log reads it."""
    environ = EnvironBuilder("/pub/get_friends/", query_string="token=SECRET&s=kept").get_environ()
    app(environ, lambda status, headers: None)
    assert environ[LOGGED_TARGET] == "/pub/get_friends/?token=***&s=kept"
