"""`api.compile_dump` answers exactly what marshmallow's own `Schema.dump` answers."""

import base64
import time

import pytest
from marshmallow import Schema, fields, post_dump

from pastecms.api import compile_dump
from pastecms.extensions import db
from pastecms.schemas.paste import (
    PasteListOut,
    PasteOut,
    PasteRefOut,
    PasteSubmittedOut,
)
from pastecms.services import paste as paste_service


@pytest.fixture
def stored_pastes(api, make_user):
    """Pastes of every shape: plain, protected, expiring, owned, with attachments."""
    _, api_key = make_user()
    data = base64.b64encode(b"\x89PNG...").decode("ascii")
    api.submit("plain")
    api.submit("secret", password="pw", title="locked", language="python")
    api.submit("soon", expiry_time=int(time.time()) + 3600)
    api.submit("mine", api_key=api_key)
    api.submit("files", attachments=[{"name": "a.png", "mime_type": "image/png", "data": data}])


def _read_pastes():
    return paste_service.recent(0, 20)


def _new_pastes():
    return [
        paste_service.submit("fresh", None),
        paste_service.submit(
            "fresh with a file",
            None,
            attachments=[{"file_name": "b.gif", "mime_type": "image/gif", "data": b"GIF89a"}],
        ),
    ]


@pytest.mark.parametrize(
    ("schema", "source"),
    [(PasteOut, _read_pastes), (PasteRefOut, _read_pastes), (PasteSubmittedOut, _new_pastes)],
)
def test_a_paste_dumps_as_marshmallow_dumps_it(app, stored_pastes, schema, source):
    with app.test_request_context("/api/paste/details", method="POST"):
        pastes = source()
        assert pastes
        for paste in pastes:
            expected = schema().dump(paste)
            got = compile_dump(schema())(paste)
            assert got == expected and list(got) == list(expected)
        db.session.rollback()


def test_a_page_dumps_as_marshmallow_dumps_it(app, stored_pastes):
    with app.test_request_context("/api/paste/recent", method="POST"):
        body = {"pastes": paste_service.top(0, 20)}
        assert compile_dump(PasteListOut())(body) == PasteListOut().dump(body)
        db.session.rollback()


def test_what_it_does_not_model_is_left_to_marshmallow():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {key: value.upper() for key, value in data.items()}

    schema = Hooked()
    assert compile_dump(schema)({"name": "x"}) == {"name": "X"}


def test_missing_values_defaults_and_many_follow_marshmallow():
    class Item(Schema):
        name = fields.String(data_key="title")
        size = fields.Integer(dump_default=0)
        flag = fields.Boolean()
        tags = fields.List(fields.String())

    items = [{"name": "a", "flag": 1, "tags": ["x", 2]}, {"size": "7"}, {"name": None}]
    assert compile_dump(Item(many=True))(items) == Item(many=True).dump(items)
