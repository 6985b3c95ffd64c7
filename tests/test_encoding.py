"""JSON responses: orjson's bytes, Flask's JSON where orjson declines."""

import json
from datetime import UTC, datetime


def test_paste_bodies_are_compact_utf8_json_in_wire_order(api):
    contents = 'naïve café — 漢字 \U0001f600\n\t"quoted" \\ </script>'
    paste = api.submit(contents, title="Ünïcode")
    response = api.details(paste["paste_id_repr"])
    raw = response.data
    assert raw.endswith(b"}\n")
    assert b'": ' not in raw and b'", "' not in raw  # compact
    assert "漢字".encode() in raw  # UTF-8, not \u escapes
    body = json.loads(raw)
    assert body["contents"] == contents and body["title"] == "Ünïcode"
    assert list(body)[:3] == ["success", "message", "paste_id_repr"]


def test_values_orjson_refuses_go_through_flasks_encoder(app):
    with app.app_context():
        # Integer keys and a lone surrogate: orjson raises, Flask's encoder copes.
        response = app.json.response({1: "one", "text": "\ud800"})
        assert json.loads(response.data) == {"1": "one", "text": "\ud800"}
        # Dates keep Flask's HTTP-date form rather than orjson's ISO 8601.
        response = app.json.response({"at": datetime(2026, 11, 24, tzinfo=UTC)})
        assert response.json == {"at": "Tue, 24 Nov 2026 00:00:00 GMT"}


def test_debug_mode_keeps_indented_bodies(make_app):
    app = make_app(DEBUG=True)
    with app.app_context():
        assert b'\n  "a": 1' in app.json.response({"a": 1}).data
