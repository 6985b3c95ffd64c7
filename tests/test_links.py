"""The URLs in answers (a paste's page, an image's file, an article's export) name the site
each request came to, however many sites one worker serves and whatever the last request
asked for."""

import io

from tests.conftest import Cms

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def listed_urls(client, **kwargs):
    response = client.post("/api/paste/recent", json={}, **kwargs)
    assert response.status_code == 200, response.json
    return [paste["url"] for paste in response.json["pastes"]]


def test_every_listed_paste_names_the_host_of_its_request(client, api):
    ids = [api.submit(f"paste {n}")["paste_id_repr"] for n in range(3)]
    for base in ("http://one.example", "https://two.example:8443/sub", "http://one.example"):
        assert listed_urls(client, base_url=base) == [f"{base}/paste/{i}" for i in ids[::-1]]


def test_forwarded_scheme_and_host_name_the_site_behind_the_proxy(make_app, make_user):
    client = make_app(PROXY_HOPS=1).test_client()
    paste_id = client.post("/api/paste/submit", json={"contents": "proxied"}).json["paste_id_repr"]
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "paste.example"}
    assert listed_urls(client, headers=forwarded) == [f"https://paste.example/paste/{paste_id}"]
    # The next request, through the proxy or not, gets its own site again.
    assert listed_urls(client) == [f"http://localhost/paste/{paste_id}"]
    details = client.post("/api/paste/details", json={"paste_id": paste_id}, headers=forwarded)
    assert details.json["url"] == f"https://paste.example/paste/{paste_id}"


def test_a_flood_of_hosts_leaves_every_url_right(client, api):
    paste_id = api.submit("many names")["paste_id_repr"]
    for n in range(300):  # more sites than a worker keeps templates for
        base = f"http://site{n}.example"
        assert listed_urls(client, base_url=base) == [f"{base}/paste/{paste_id}"]
    assert listed_urls(client, base_url="http://site0.example") == [
        f"http://site0.example/paste/{paste_id}"
    ]


def test_image_and_export_urls_name_the_host_of_their_request(client, make_user):
    cms = Cms(client, make_user("editor", is_admin=True)[1])
    image = cms.post("/v1/images", data={"file": (io.BytesIO(PNG), "photo.png")}).json
    article = cms.article(headerImageId=image["id"])
    for base in ("http://one.example", "https://two.example/blog"):
        images = cms.get("/v1/images", base_url=base).json["images"]
        assert [i["url"] for i in images] == [f"{base}/v1/images/{image['id']}/file"]
        listed = cms.get("/v1/articles", base_url=base).json["articles"]
        assert [a["headerImageUrl"] for a in listed] == [f"{base}/v1/images/{image['id']}/file"]
        exported = cms.get("/v1/export", base_url=base).json["articles"]
        assert [e["exportUrl"] for e in exported] == [f"{base}/v1/export/{article['hash']}"]
