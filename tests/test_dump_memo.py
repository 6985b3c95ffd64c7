"""Listed pastes are dumped once and remembered: what a list shows must still follow every
change to a paste, and the memo must stay bounded."""

from marshmallow import Schema, fields

from pastecms.schemas.fields import Remembered


def recent(api):
    return api.post("/api/paste/recent", {}).json["pastes"]


def test_a_listed_paste_shows_its_new_view_count(api):
    paste = api.submit("counted")
    assert recent(api)[0]["views"] == 0
    api.details(paste["paste_id_repr"])
    api.details(paste["paste_id_repr"])
    assert recent(api)[0]["views"] == 2


def test_a_listed_paste_hides_its_contents_once_protected(api, make_user):
    _, key = make_user("alice")
    paste = api.submit("soon secret", api_key=key)
    assert recent(api)[0]["contents"] == "soon secret"
    api.post(
        "/api/paste/set_password",
        {"paste_id": paste["paste_id_repr"], "password": "hunter22", "api_key": key},
    )
    listed = recent(api)[0]
    assert listed["contents"] is None
    assert listed["is_password_protected"] is True
    api.post(
        "/api/paste/set_password",
        {"paste_id": paste["paste_id_repr"], "password": None, "api_key": key},
    )
    assert recent(api)[0]["contents"] == "soon secret"


def test_a_listed_paste_url_follows_the_host_asked(api, client):
    api.submit("anywhere")
    first = client.post("/api/paste/recent", json={}, base_url="http://one.example")
    second = client.post("/api/paste/recent", json={}, base_url="http://two.example")
    assert first.json["pastes"][0]["url"].startswith("http://one.example/paste/")
    assert second.json["pastes"][0]["url"].startswith("http://two.example/paste/")


class Item:
    def __init__(self, name, count, revision, size=10):
        self.name, self.count, self.revision, self.size = name, count, revision, size


class ItemOut(Schema):
    name = fields.String()
    count = fields.Integer()


def remembered(max_bytes=1000):
    return Remembered(
        ItemOut,
        revision=lambda item: item.revision,
        fresh=("count",),
        size=lambda item: item.size,
        max_bytes=max_bytes,
    )


class ListOut(Schema):
    items = fields.List(remembered())


def test_a_remembered_dump_equals_marshmallows_own():
    items = [Item(f"n{n}", n, n) for n in range(5)]
    plain = Schema.from_dict({"items": fields.List(fields.Nested(ItemOut))})()
    schema = ListOut()
    assert schema.dump({"items": items}) == plain.dump({"items": items})
    # Dumped again from the memo, with the fresh field read anew.
    items[0].count = 99
    assert schema.dump({"items": items}) == plain.dump({"items": items})


def test_an_object_is_dumped_anew_under_a_new_revision():
    field = remembered()
    item = Item("before", 1, revision="r1")
    assert field.serialize("x", {"x": item}) == {"name": "before", "count": 1}
    item.name = "after"  # a change the revision does not tell
    assert field.serialize("x", {"x": item})["name"] == "before"
    item.revision = "r2"
    assert field.serialize("x", {"x": item})["name"] == "after"


def test_the_memo_is_bounded_by_bytes():
    field = remembered(max_bytes=640)  # objects over 10 bytes are never remembered
    large = Item("large", 1, revision="large", size=11)
    field.serialize("x", {"x": large})
    large.name = "changed"
    assert field.serialize("x", {"x": large})["name"] == "changed"

    items = [Item(f"n{n}", n, revision=n, size=10) for n in range(65)]  # 650 bytes
    for item in items:
        field.serialize("x", {"x": item})
    items[0].name = "evicted"  # the oldest was dropped to stay under 640 bytes
    items[-1].name = "kept"
    assert field.serialize("x", {"x": items[0]})["name"] == "evicted"
    assert field.serialize("x", {"x": items[-1]})["name"] == "n64"
