"""/pub talks: the widget's page with likes, likes toggling per client, the admin's edits."""

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from pastecms.services.site import talks as talks_service

HEX32 = re.compile(r"[0-9a-f]{32}\Z")


def save(admin_pub, **fields):
    fields.setdefault("content", "The weather is great today!")
    return admin_pub.ok(admin_pub.post("save_talk", fields))


def test_a_new_talk_answers_its_id_and_appears_as_the_widget_reads_it(admin_pub, pub, monkeypatch):
    monkeypatch.setattr(talks_service, "utcnow", lambda: datetime(2024, 1, 7, 3, 50, tzinfo=UTC))
    saved = save(admin_pub, tags='["Life", "Essay"]', values='{"location": "Beijing"}')
    assert set(saved) == {"msg", "status", "id"} and saved["msg"] == "Saved successfully!"
    assert HEX32.match(saved["id"])
    page = pub.ok(pub.get("talks", page=1, limit=5))
    assert page == {
        "status": True,
        "msg": "Retrieved successfully!",
        "count": 1,
        "data": [
            {
                "id": saved["id"],
                "content": "The weather is great today!",
                "time": "1704599400",
                "tags": ["Life", "Essay"],
                "like": 0,
                "liked": False,
                "values": {"location": "Beijing"},
            }
        ],
    }


def test_tags_and_values_default_to_empty_and_take_json_bodies(admin_pub, pub):
    save(admin_pub, time=1_700_000_000)
    response = admin_pub.client.post(
        "/pub/save_talk",
        json={
            "token": admin_pub.token,
            "content": "json",
            "tags": ["a"],
            "values": {"k": [1]},
            "time": 1_700_000_001,
        },
    )
    admin_pub.ok(response)
    newest, first = pub.ok(pub.get("talks"))["data"]
    assert (first["tags"], first["values"]) == ([], {})
    assert (newest["tags"], newest["values"]) == (["a"], {"k": [1]})


def test_pages_are_newest_first_with_the_total_count(admin_pub, pub):
    ids = [save(admin_pub, content=f"talk {n}", time=1_700_000_000 + n)["id"] for n in range(7)]
    first = pub.ok(pub.get("talks", page="1", limit="3"))
    second = pub.ok(pub.get("talks", page=2, limit=3))
    third = pub.ok(pub.get("talks", page=3, limit=3))
    assert first["count"] == second["count"] == 7
    listed = [talk["id"] for talk in first["data"] + second["data"] + third["data"]]
    assert listed == ids[::-1]
    # Defaults: page 1, five talks; 0 reads as the default, as in Qexo.
    assert len(pub.ok(pub.get("talks"))["data"]) == 5
    assert len(pub.ok(pub.get("talks", page=0, limit=0))["data"]) == 5
    assert pub.ok(pub.get("talks", page=9))["data"] == []


def test_limit_is_clamped_and_deep_pages_refused(make_app, admin_token):
    from tests.qexo import Pub

    app = make_app(MAX_PAGE_SIZE=2, MAX_PAGE_NUM=5)
    admin = Pub(app.test_client(), admin_token)
    for n in range(3):
        save(admin, content=f"{n}")
    assert len(admin.ok(admin.get("talks", limit=100))["data"]) == 2
    assert admin.failed(admin.get("talks", page=6)) == "invalid_params_failure"


@pytest.mark.parametrize(
    ("params", "failure_name"),
    [({"page": "two"}, "invalid_params_failure"), ({"limit": "-1"}, "invalid_params_failure")],
)
def test_bad_page_parameters_are_named(pub, params, failure_name):
    assert pub.failed(pub.get("talks", **params)) == failure_name


def test_a_like_toggles_per_client(admin_pub, pub):
    talk_id = save(admin_pub)["id"]
    liked = pub.ok(pub.post("like_talk", {"id": talk_id}))
    assert liked == {"msg": "Liked successfully!", "action": True, "status": True}
    (talk,) = pub.ok(pub.get("talks"))["data"]
    assert (talk["like"], talk["liked"]) == (1, True)
    # Another client sees the count, not the like.
    (seen,) = pub.ok(pub.get("talks", address="198.51.100.9"))["data"]
    assert (seen["like"], seen["liked"]) == (1, False)
    pub.ok(pub.post("like_talk", {"id": talk_id}, address="198.51.100.9"))
    withdrawn = pub.ok(pub.post("like_talk", {"id": talk_id}))
    assert withdrawn == {"msg": "Unliked successfully!", "action": False, "status": True}
    (talk,) = pub.ok(pub.get("talks"))["data"]
    assert (talk["like"], talk["liked"]) == (1, False)


def test_a_dashed_or_upper_case_id_names_the_same_talk(admin_pub, pub):
    talk_id = save(admin_pub)["id"]
    dashed = str(__import__("uuid").UUID(talk_id)).upper()
    assert pub.ok(pub.post("like_talk", {"id": dashed}))["action"] is True


@pytest.mark.parametrize(
    ("talk_id", "failure_name"),
    [
        ("0" * 32, "nonexistent_talk_failure"),
        ("not-a-talk", "invalid_params_failure"),
        ("", "incomplete_params_failure"),
    ],
)
def test_liking_no_talk_is_named_and_changes_nothing(
    admin_pub, pub, db_rows, talk_id, failure_name
):
    save(admin_pub)
    before = db_rows()
    assert pub.failed(pub.post("like_talk", {"id": talk_id})) == failure_name
    assert db_rows() == before


def test_likes_are_rate_limited_per_client(make_app, admin_token):
    from tests.qexo import Pub

    admin = Pub(make_app(RATELIMIT_TALK_LIKES="2 per minute").test_client(), admin_token)
    talk_id = save(admin)["id"]
    visitor = Pub(admin.client)
    for _ in range(2):
        visitor.ok(visitor.post("like_talk", {"id": talk_id}))
    assert visitor.failed(visitor.post("like_talk", {"id": talk_id})) == "rate_limit_failure"


def test_concurrent_likes_from_many_clients_all_count(app, admin_pub):
    talk_id = save(admin_pub)["id"]
    start = threading.Barrier(16)

    def like(n: int) -> bool:
        from tests.qexo import Pub

        visitor = Pub(app.test_client())
        if n < 16:
            start.wait(timeout=30)
        return visitor.ok(visitor.post("like_talk", {"id": talk_id}, address=f"10.0.0.{n}"))[
            "action"
        ]

    with ThreadPoolExecutor(max_workers=16) as pool:
        actions = list(pool.map(like, range(100)))
    assert actions == [True] * 100
    (talk,) = admin_pub.ok(admin_pub.get("talks"))["data"]
    assert talk["like"] == 100


def test_a_double_click_never_counts_twice(app, admin_pub):
    talk_id = save(admin_pub)["id"]
    for _ in range(10):
        start = threading.Barrier(2)

        def click(_, start=start):
            from tests.qexo import Pub

            start.wait(timeout=30)
            return Pub(app.test_client()).post("like_talk", {"id": talk_id}).json["status"]

        with ThreadPoolExecutor(max_workers=2) as pool:
            assert list(pool.map(click, range(2))) == [True, True]
        (talk,) = admin_pub.ok(admin_pub.get("talks"))["data"]
        assert talk["like"] in (0, 1)
        assert talk["liked"] == (talk["like"] == 1)


def test_editing_changes_the_given_fields(admin_pub, pub):
    talk_id = save(admin_pub, tags='["Life"]')["id"]
    pub.ok(pub.post("like_talk", {"id": talk_id}))
    edited = admin_pub.post(
        "save_talk",
        {"id": talk_id, "content": "Updated content", "time": "1704599400", "values": "{}"},
    )
    assert admin_pub.ok(edited) == {"msg": "Modified successfully!", "status": True}
    (talk,) = pub.ok(pub.get("talks"))["data"]
    assert talk["content"] == "Updated content"
    assert (talk["time"], talk["tags"], talk["like"]) == ("1704599400", ["Life"], 1)


@pytest.mark.parametrize(
    ("fields", "failure_name"),
    [
        ({"tags": "Life"}, "invalid_params_failure"),
        ({"tags": '"Life"'}, "invalid_params_failure"),
        ({"tags": "[1, 2]"}, "invalid_params_failure"),
        ({"tags": json.dumps(["t"] * 33)}, "invalid_params_failure"),
        ({"values": "[]"}, "invalid_params_failure"),
        ({"values": "{broken"}, "invalid_params_failure"),
        ({"values": '{"a": "\\u0000"}'}, "invalid_params_failure"),
        ({"values": '{"a": NaN}'}, "invalid_params_failure"),
        ({"values": "[" * 50 + "]" * 50}, "invalid_params_failure"),
        ({"time": "1704599400.5"}, "invalid_params_failure"),
        ({"time": "170459940"}, "invalid_params_failure"),
        ({"content": ""}, "incomplete_params_failure"),
        ({"id": "f" * 32}, "nonexistent_talk_failure"),
    ],
)
def test_a_bad_talk_is_refused_and_nothing_is_stored(admin_pub, db_rows, fields, failure_name):
    save(admin_pub)
    before = db_rows()
    response = admin_pub.post("save_talk", {"content": "x", **fields})
    assert admin_pub.failed(response) == failure_name
    assert db_rows() == before


def test_deleting_a_talk_takes_its_likes_and_the_count_down(admin_pub, pub):
    keep = save(admin_pub, content="keep")["id"]
    gone = save(admin_pub, content="gone")["id"]
    pub.ok(pub.post("like_talk", {"id": gone}))
    assert admin_pub.ok(admin_pub.post("del_talk", {"id": gone})) == {
        "msg": "Deleted successfully!",
        "status": True,
    }
    page = pub.ok(pub.get("talks"))
    assert (page["count"], [talk["id"] for talk in page["data"]]) == (1, [keep])
    assert admin_pub.failed(admin_pub.post("del_talk", {"id": gone})) == "nonexistent_talk_failure"


def test_the_admin_list_summarises_and_searches(admin_pub, pub):
    talk_id = save(
        admin_pub,
        content="<p>The weather is <b>great</b> today, really!</p>",
        tags='["Life", "Essay"]',
        values='{"location": "北京"}',
        time="1767781800",
    )["id"]
    save(admin_pub, content="Another one", time="1767781700")
    pub.ok(pub.post("like_talk", {"id": talk_id}))
    everything = admin_pub.ok(admin_pub.get("get_all_talks"))
    assert everything["msg"] == "Retrieved successfully!"
    assert everything["data"][0] == {
        "content": "The weather is great...",
        "tags": "Life, Essay",
        "time": "2026-01-07 10:30:00",
        "like": 1,
        "id": talk_id,
    }
    assert len(everything["data"]) == 2
    for needle in ("WEATHER", "essay", "北京"):
        found = admin_pub.ok(admin_pub.get("get_all_talks", s=needle))["data"]
        assert [talk["id"] for talk in found] == [talk_id], needle
