"""/v1/images: uploads typed by their content, stored in the database, served publicly."""

import io

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100)
GIF = b"GIF89a" + bytes(50)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(40)
HTML = b"<!doctype html><script>alert(1)</script>"


def upload(cms, data, name="photo.png", content_type=None, **fields):
    file = (io.BytesIO(data), name, content_type) if content_type else (io.BytesIO(data), name)
    return cms.post("/v1/images", data={"file": file, **fields})


@pytest.mark.parametrize(
    ("data", "mime_type", "extension"),
    [(PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg"), (GIF, "image/gif", "gif"),
     (WEBP, "image/webp", "webp")],
)  # fmt: skip
def test_an_image_is_stored_and_served_with_its_type(client, cms_admin, data, mime_type, extension):
    response = upload(cms_admin, data, "upload.bin")
    assert response.status_code == 201
    image = response.json
    assert image["mimeType"] == mime_type
    assert image["sizeBytes"] == len(data)
    assert image["filename"] == f"{image['id']}.{extension}"
    assert image["originalFilename"] == "upload.bin"
    assert image["url"] == f"http://localhost/v1/images/{image['id']}/file"

    served = client.get(f"/v1/images/{image['id']}/file")  # public: no key
    assert served.status_code == 200
    assert served.data == data
    assert served.mimetype == mime_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    cache = served.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache


def test_a_file_whose_name_lies_is_judged_by_its_content(cms_admin, db_rows):
    before = db_rows()
    lying = upload(cms_admin, HTML, "innocent.png", "image/png")
    assert lying.status_code == 400
    assert lying.json["error"]["code"] == "VALIDATION_ERROR"
    assert "file" in lying.json["error"]["details"]
    assert db_rows() == before
    # And the other way round: a PNG named and sent as HTML is a PNG.
    honest = upload(cms_admin, PNG, "page.html", "text/html")
    assert honest.status_code == 201
    assert honest.json["mimeType"] == "image/png"


@pytest.mark.parametrize(
    ("fields", "failure_name", "field"),
    [
        ({}, "incomplete_params_failure", "file"),
        ({"file": "not a file"}, "invalid_params_failure", "file"),
        ({"file": (io.BytesIO(b""), "empty.png")}, "invalid_params_failure", "file"),
        ({"file": (io.BytesIO(b"GIF8"), "short.gif")}, "invalid_params_failure", "file"),
        (
            {"file": (io.BytesIO(PNG), "a.png"), "articleId": "0123456789abcdef"},
            "invalid_params_failure",
            "articleId",
        ),
        (
            {"file": (io.BytesIO(PNG), "a.png"), "articleId": "nope"},
            "invalid_params_failure",
            "articleId",
        ),
        (
            {"file": (io.BytesIO(PNG), "a.png"), "altText": "x" * 501},
            "invalid_params_failure",
            "altText",
        ),
    ],
)
def test_a_bad_upload_changes_nothing(cms_admin, db_rows, fields, failure_name, field):
    before = db_rows()
    response = cms_admin.post("/v1/images", data=fields)
    assert response.status_code == 400
    assert response.json["failure_name"] == failure_name
    assert field in response.json["error"]["details"]
    assert db_rows() == before


def test_an_image_over_the_size_limit_is_refused(make_app, make_user, db_rows):
    from tests.conftest import Cms

    app = make_app(MAX_IMAGE_SIZE=len(PNG) - 1)
    _, key = make_user("editor", is_admin=True)
    cms = Cms(app.test_client(), key)
    before = db_rows()
    response = upload(cms, PNG)
    assert response.status_code == 400
    assert "too large" in response.json["error"]["details"]["file"]
    assert db_rows() == before
    assert upload(cms, PNG[:-1]).status_code == 201


def test_images_are_listed_newest_first_and_by_article(cms_admin, cms_reader):
    article = cms_admin.article(status="published")
    first = upload(cms_admin, PNG, articleId=article["id"], altText="a cat").json
    second = upload(cms_admin, GIF).json
    third = upload(cms_admin, JPEG, articleId=article["id"]).json
    listed = cms_reader.get("/v1/images").json
    assert {i["id"] for i in listed["images"]} == {first["id"], second["id"], third["id"]}
    assert listed["pagination"] == {"page": 1, "perPage": 50, "total": 3, "totalPages": 1}
    assert cms_reader.get("/v1/images?perPage=1&page=2").json["pagination"]["totalPages"] == 3
    mine = cms_reader.get(f"/v1/images/article/{article['id']}").json["images"]
    assert {i["id"] for i in mine} == {first["id"], third["id"]}
    assert cms_reader.get("/v1/images/article/0123456789abcdef").json == {"images": []}
    shown = cms_reader.get(f"/v1/images/{first['id']}").json
    assert shown == {**first, "articleId": article["id"], "altText": "a cat"}


def test_a_header_image_must_exist_and_shows_its_url(cms_admin):
    image = upload(cms_admin, PNG).json
    article = cms_admin.article(headerImageId=image["id"])
    assert article["headerImageId"] == image["id"]
    assert article["headerImageUrl"] == image["url"]
    listed = cms_admin.get("/v1/articles").json["articles"][0]
    assert listed["headerImageUrl"] == image["url"]


def test_deleting_an_image_removes_it_from_articles(client, cms_admin):
    image = upload(cms_admin, PNG).json
    article = cms_admin.article(headerImageId=image["id"])
    assert cms_admin.delete(f"/v1/images/{image['id']}").json == {"success": True}
    assert client.get(f"/v1/images/{image['id']}/file").status_code == 404
    assert cms_admin.get(f"/v1/images/{image['id']}").status_code == 404
    shown = cms_admin.get(f"/v1/articles/{article['hash']}").json
    assert shown["headerImageId"] is None and shown["headerImageUrl"] is None


def test_deleting_an_article_keeps_its_images(cms_admin):
    article = cms_admin.article()
    image = upload(cms_admin, PNG, articleId=article["id"]).json
    cms_admin.delete(f"/v1/articles/{article['hash']}")
    assert cms_admin.get(f"/v1/images/{image['id']}").json["articleId"] is None


@pytest.mark.parametrize(
    "path", ["/v1/images/0123456789abcdef/file", "/v1/images/../../etc/passwd/file"]
)
def test_an_unknown_image_file_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "NOT_FOUND"


def test_only_an_admin_uploads_or_deletes(cms_admin, cms_reader, db_rows):
    image = upload(cms_admin, PNG).json
    before = db_rows()
    assert upload(cms_reader, PNG).status_code == 403
    assert cms_reader.delete(f"/v1/images/{image['id']}").status_code == 403
    assert db_rows() == before
