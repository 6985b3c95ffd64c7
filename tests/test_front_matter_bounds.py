"""Front matter from the network cannot pin a worker: anchors that refer to themselves,
aliases that multiply (a "billion laughs") and deep nesting are a named 400 at once, on
both routes that read a Hexo file (`POST /v1/import/markdown` and `/pub/save`), and store
nothing."""

import threading
import time

import pytest

#: A request that takes longer than this has not been bounded: the answer must come in
#: milliseconds, and the slowest CI machine is far from a second.
BUDGET_S = 1.0


def _laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['l0: &l0 "lol"']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines)


HOSTILE = {
    "a category that contains itself": "categories: &a [*a]",
    "tags that contain themselves": "tags: &a [*a]",
    "a mapping that contains itself": "title: T\ndescription: &a {again: *a}",
    "a billion laughs": "title: T\n" + _laughs() + "\ncategories: *l9",
    "a billion laughs nobody reads": "title: T\n" + _laughs(),
    "very deep flow nesting": "title: T\ncategories: " + "[" * 400 + "x" + "]" * 400,
    "very deep block nesting": "title: T\ncategories:\n"
    + "".join("  " * depth + "-\n" for depth in range(300))
    + "  " * 300
    + "- x\n",
    "a huge front matter": "title: T\nignored: " + "a" * 200_000,
}


def _within(seconds: float, request):
    """`request()`'s answer, or a failed test (never a hung run) when it takes longer."""
    answer: list = []
    worker = threading.Thread(target=lambda: answer.append(request()), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"no answer within {seconds} s: the parse is unbounded"
    assert answer, "the request raised instead of answering"
    return answer[0], time.monotonic() - started


@pytest.mark.parametrize("front_matter", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_front_matter_is_refused_at_once_by_the_cms(cms_admin, db_rows, front_matter):
    before = db_rows()
    text = f"---\n{front_matter}\n---\nBody"
    response, took = _within(
        BUDGET_S, lambda: cms_admin.post("/v1/import/markdown", {"content": text})
    )
    assert response.status_code == 400, response.json
    assert response.json["failure_name"] == "invalid_params_failure"
    assert "content" in response.json["error"]["details"]
    assert took < BUDGET_S
    assert db_rows() == before


@pytest.mark.parametrize("front_matter", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_front_matter_is_refused_at_once_by_pub_save(admin_pub, db_rows, front_matter):
    before = db_rows()
    text = f"---\n{front_matter}\n---\nBody"
    response, took = _within(
        BUDGET_S,
        lambda: admin_pub.post("save", {"file": "source/_posts/bad.md", "content": text}),
    )
    assert admin_pub.failed(response) == "invalid_params_failure"
    assert "front matter" in response.json["msg"]
    assert took < BUDGET_S
    assert db_rows() == before


@pytest.mark.parametrize(
    ("front_matter", "category", "tags"),
    [
        # A few aliases are ordinary YAML, and a Hexo file may use them.
        ("title: T\ntags: [&t one, two, *t]\ncategories: *t", "one", ["one", "two"]),
        ("title: T\ncategories: [[Notes, Daily]]", "Notes", []),
    ],
)
def test_ordinary_anchors_and_nesting_still_import(cms_admin, front_matter, category, tags):
    text = f"---\n{front_matter}\n---\nBody"
    response = cms_admin.post("/v1/import/markdown", {"content": text})
    assert response.status_code == 201, response.json
    assert response.json["category"]["name"] == category
    assert response.json["tags"] == tags
