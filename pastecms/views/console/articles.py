"""The console's articles, tags and categories: the CMS API's content, in the browser.

The same services as /v1, with the same rights: any signed-in user may list their own
articles and read what the drafts rule lets them read (`article.may_read`), and only an
admin writes, as /v1 refuses anyone else with `forbidden_failure`. A non-admin's pages
show no write controls and their posts are refused the same way.
"""

from flask import Response, flash, redirect, request, url_for

from pastecms.api import endpoint, streamed_list
from pastecms.errors import (
    ConflictFailure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
    NonexistentArticleFailure,
    NonexistentCategoryFailure,
    NonexistentTagFailure,
)
from pastecms.schemas.cms import STATUSES, ArticlePathIn, ExportedOut, IdPathIn
from pastecms.schemas.console_articles import (
    ArticleFilterIn,
    ArticleFormIn,
    CategoryFormIn,
    ImportFormIn,
    MoveFormIn,
    PageFormIn,
    TagFormIn,
)
from pastecms.services.content import article as article_service
from pastecms.services.content import image as image_service
from pastecms.services.content import markdown, transfer
from pastecms.services.content import taxonomy as taxonomy_service
from pastecms.views.console import SECTIONS, Section, bp, console_page
from pastecms.views.envelopes import Page, WebPage, web_page
from pastecms.views.links import article_export_url, image_url
from pastecms.views.signin import signed_in_user

SECTIONS.append(Section("Articles", "console.articles", admin=False))
SECTIONS.append(Section("Tags and categories", "console.taxonomy", admin=True))

PER_PAGE = 20
TAGS_PER_PAGE = 100
#: Categories a page lists at most (the service's largest page).
LIST_ALL = taxonomy_service.MAX_PER_PAGE
BY_HASH = {"path": ArticlePathIn, "path_failure": NonexistentArticleFailure}
_FORM_FAILURES = (IncompleteParamsFailure, InvalidParamsFailure, ConflictFailure)
EXPORTED = ExportedOut()


def _for_an_admin() -> bool:
    """Whether the signed-in user is an admin: a form shown again after a refusal is
    built before rights are checked, so only an admin's shows the site's categories."""
    user = signed_in_user()
    return user is not None and user.is_admin


def _categories() -> list:
    """The categories, in display order, for an admin's forms."""
    return taxonomy_service.category_page(1, LIST_ALL).items if _for_an_admin() else []


def _editor_context() -> dict:
    """What the editor shows besides the form, when it is shown again after a refusal."""
    return {
        "categories": _categories(),
        "article": None,
        "article_hash": (request.view_args or {}).get("hash"),
        "preview": None,
        "statuses": STATUSES,
    }


def _taxonomy_context(page: int = 1) -> dict:
    """The taxonomy page's lists: a page of tags, and every category in display order."""
    if not _for_an_admin():
        return {"tags": None, "categories": []}
    return {
        "tags": taxonomy_service.tag_page(page, TAGS_PER_PAGE),
        "categories": _categories(),
    }


editor_form = WebPage("console/article_edit.html", retry=_FORM_FAILURES, context=_editor_context)
import_form = WebPage("console/article_import.html", retry=_FORM_FAILURES)
taxonomy_form = WebPage(
    "console/taxonomy.html",
    retry=(*_FORM_FAILURES, NonexistentTagFailure, NonexistentCategoryFailure),
    context=_taxonomy_context,
)


# -- the list ---------------------------------------------------------------------------


@bp.get("/articles")
@endpoint(web_page, load=ArticleFilterIn, location="query")
@console_page(admin=False)
def articles(data, caller):
    """A page of articles (an admin's: all; anyone else's: their own), newest
    publication first, filtered by status, tag, category and text."""
    # Anyone but an admin sees their own articles only: the console is where authors
    # manage what they wrote. `search` applies the drafts rule (`readable_by`) as well.
    found = article_service.search(
        caller,
        order=(("published_at", True), ("updated_at", True)),
        author_id=None if caller.is_admin else caller.user_id,
        status=data["status"],
        tag=data["tag"],
        category=data["category"],
        text=data["q"],
        limit=PER_PAGE,
        offset=(data["page"] - 1) * PER_PAGE,
    )
    return Page(
        "console/articles.html",
        articles=found.articles,
        total=found.total,
        page=data["page"],
        per_page=PER_PAGE,
        filters={key: value for key, value in data.items() if key != "page" and value},
        categories=taxonomy_service.category_page(1, LIST_ALL).items,
        statuses=STATUSES,
    )


# -- the editor -------------------------------------------------------------------------


def _form_of(article) -> dict:
    """The editor's fields, filled from a stored article."""
    return {
        "title": article.title,
        "slug": article.slug or "",
        "description": article.description or "",
        "content": article.content,
        "tags": ", ".join(article.tag_names),
        "category_id": article.category_id or "",
        "status": article.status,
    }


def _form_typed(data: dict) -> dict:
    """The editor's fields as they were typed (after an upload or a preview)."""
    return {
        **{name: data[name] or "" for name in ("title", "slug", "description", "content")},
        "tags": ", ".join(data["tags"]),
        "category_id": data["category_id"] or "",
        "status": data["status"],
    }


def _editor(article, form: dict, *, preview: str | None = None) -> Page:
    return Page(
        "console/article_edit.html",
        article=article,
        article_hash=article.hash if article is not None else None,
        form=form,
        preview=preview,
        categories=taxonomy_service.category_page(1, LIST_ALL).items,
        statuses=STATUSES,
        failure=None,
    )


def _with_image(data: dict, article_id: str | None) -> dict:
    """Store the editor's chosen image (for the article being edited, if any), and
    the typed fields with its Markdown added at the end of the content."""
    upload = data["image"]
    image = image_service.upload(
        upload["data"],
        original_filename=upload["filename"],
        article_id=article_id,
        alt_text=data["alt_text"],
    )
    alt = data["alt_text"] or (upload["filename"] or "image").rsplit(".", 1)[0]
    alt = "".join(" " if char in "[]\\\r\n" else char for char in alt).strip() or "image"
    form = _form_typed(data)
    content = form["content"].rstrip("\n")
    form["content"] = f"{content}\n\n![{alt}]({image_url(image.id)})\n".lstrip("\n")
    return form


def _save_fields(data: dict) -> dict:
    return {
        "description": data["description"],
        "status": data["status"],
        "tags": data["tags"],
        "category_id": data["category_id"],
        "slug": data["slug"],
    }


@bp.get("/articles/new")
@endpoint(web_page)
@console_page
def articles_new(data, caller):
    """An empty editor (admins only, as /v1 creates articles for admins only)."""
    return _editor(None, {"status": article_service.DRAFT})


@bp.post("/articles/new")
@endpoint(editor_form, load=ArticleFormIn, location="form_and_files")
@console_page
def articles_create(data, caller):
    """Save a new article (`article.create`), or preview it, or upload an image into it
    (the editor again, nothing else stored). Refusals show the editor again, named."""
    if data["action"] == "preview":
        return _editor(None, _form_typed(data), preview=markdown.to_html(data["content"]))
    if data["action"] == "upload":
        return _editor(None, _with_image(data, None))
    article = article_service.create(
        data["title"], data["content"], author_id=caller.user_id, **_save_fields(data)
    )
    flash(f"Saved “{article.title}”.", "console")
    return redirect(url_for("console.articles_edit", hash=article.hash), code=303)


@bp.get("/articles/<hash>")
@endpoint(web_page, **BY_HASH)
@console_page(admin=False)
def articles_edit(data, caller):
    """An article: the editor for an admin; for anyone else, when the drafts rule lets
    them read it, the article rendered, with no controls but its export."""
    article = article_service.get(data["hash"], caller)
    if not caller.is_admin:
        return Page(
            "console/article_view.html",
            article=article,
            rendered=markdown.to_html(article.content),
        )
    return _editor(article, _form_of(article))


@bp.post("/articles/<hash>")
@endpoint(editor_form, **BY_HASH, load=ArticleFormIn, location="form_and_files")
@console_page
def articles_update(data, caller):
    """Save the editor's fields over the article (`article.update`; to published it is
    stamped only when it never was), or preview, or upload an image into it."""
    article = article_service.get(data["hash"], caller)
    if data["action"] == "preview":
        return _editor(article, _form_typed(data), preview=markdown.to_html(data["content"]))
    if data["action"] == "upload":
        return _editor(article, _with_image(data, article.id))
    article_service.update(
        data["hash"], title=data["title"], content=data["content"], **_save_fields(data)
    )
    flash("Saved.", "console")
    return redirect(url_for("console.articles_edit", hash=data["hash"]), code=303)


@bp.post("/articles/<hash>/publish")
@endpoint(web_page, **BY_HASH)
@console_page
def articles_publish(data, caller):
    """Publish now (`article.publish`: the publication date moves to now)."""
    article = article_service.publish(data["hash"])
    flash(f"Published “{article.title}”.", "console")
    return redirect(url_for("console.articles_edit", hash=data["hash"]), code=303)


@bp.post("/articles/<hash>/unpublish")
@endpoint(web_page, **BY_HASH)
@console_page
def articles_unpublish(data, caller):
    """Make a draft again (`article.unpublish`: the publication date is kept)."""
    article = article_service.unpublish(data["hash"])
    flash(f"“{article.title}” is a draft again.", "console")
    return redirect(url_for("console.articles_edit", hash=data["hash"]), code=303)


@bp.get("/articles/<hash>/delete")
@endpoint(web_page, **BY_HASH)
@console_page
def articles_confirm_delete(data, caller):
    """The question before a delete, naming the article."""
    return Page("console/article_delete.html", article=article_service.get(data["hash"], caller))


@bp.post("/articles/<hash>/delete")
@endpoint(web_page, **BY_HASH)
@console_page
def articles_delete(data, caller):
    """Delete the article (its images stay, as /v1 leaves them); then the list."""
    article_service.delete_article(data["hash"])
    flash("The article has been deleted.", "console")
    return redirect(url_for("console.articles"), code=303)


# -- import and export ------------------------------------------------------------------


@bp.post("/articles/import")
@endpoint(import_form, load=ImportFormIn, location="form_and_files")
@console_page
def articles_import(data, caller):
    """Create an article from a Markdown file, as /v1/import/markdown does
    (`transfer.import_article`); `conflict_failure` for a file imported before."""
    article = transfer.import_file(data, caller.user_id)
    flash(f"Imported “{article.title}”.", "console")
    return redirect(url_for("console.articles_edit", hash=article.hash), code=303)


@bp.get("/articles/export")
@endpoint(web_page)
@console_page(admin=False)
def articles_export_all(data, caller):
    """Every article the caller may read, as GET /v1/export answers it, as a download."""
    exported = transfer.export_all(caller)
    with_urls = ({**entry, "export_url": article_export_url(entry["hash"])} for entry in exported)
    headers = {"Content-Disposition": "attachment; filename=articles.json"}
    return streamed_list(with_urls, EXPORTED, key="articles", count_key="total", headers=headers)


@bp.get("/articles/<hash>/export")
@endpoint(web_page, **BY_HASH)
@console_page(admin=False)
def articles_export(data, caller):
    """One article as its Markdown file, as GET /v1/export/{hash} answers it."""
    filename, text = transfer.export_one(data["hash"], caller)
    response = Response(text, mimetype="text/markdown")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


# -- tags and categories ----------------------------------------------------------------


def _back(message: str):
    flash(message, "console")
    return redirect(url_for("console.taxonomy"), code=303)


@bp.get("/taxonomy")
@endpoint(web_page, load=PageFormIn, location="query")
@console_page
def taxonomy(data, caller):
    """Tags (by name, a page at a time) and categories (in display order), with their
    counts and their forms."""
    return Page("console/taxonomy.html", failure=None, **_taxonomy_context(data["page"]))


@bp.post("/taxonomy/tags")
@endpoint(taxonomy_form, load=TagFormIn)
@console_page
def taxonomy_tag_create(data, caller):
    """A new tag; `conflict_failure` for a name taken."""
    tag = taxonomy_service.create_tag(data["name"])
    return _back(f"Tag “{tag.name}” created.")


@bp.post("/taxonomy/tags/<id>")
@endpoint(taxonomy_form, path=IdPathIn, path_failure=NonexistentTagFailure, load=TagFormIn)
@console_page
def taxonomy_tag_rename(data, caller):
    """Rename a tag; `conflict_failure` for a name taken."""
    tag = taxonomy_service.rename_tag(data["id"], data["name"])
    return _back(f"Tag renamed to “{tag.name}”.")


@bp.post("/taxonomy/tags/<id>/delete")
@endpoint(taxonomy_form, path=IdPathIn, path_failure=NonexistentTagFailure)
@console_page
def taxonomy_tag_delete(data, caller):
    """Delete a tag: its articles lose it."""
    taxonomy_service.delete_tag(data["id"])
    return _back("Tag deleted.")


@bp.post("/taxonomy/categories")
@endpoint(taxonomy_form, load=CategoryFormIn)
@console_page
def taxonomy_category_create(data, caller):
    """A new category, last unless a place is given; `conflict_failure` for a name or
    slug taken."""
    category = taxonomy_service.create_category(
        data["name"], data["slug"], color=data["color"], display_order=data["display_order"]
    )
    return _back(f"Category “{category.name}” created.")


@bp.post("/taxonomy/categories/<id>")
@endpoint(
    taxonomy_form, path=IdPathIn, path_failure=NonexistentCategoryFailure, load=CategoryFormIn
)
@console_page
def taxonomy_category_update(data, caller):
    """Rename a category, change its slug, colour or place (`displayOrder`)."""
    changes = {key: data[key] for key in ("name", "slug", "color")}
    if data["display_order"] is not None:
        changes["display_order"] = data["display_order"]
    category = taxonomy_service.update_category(data["id"], **changes)
    return _back(f"Category “{category.name}” saved.")


@bp.post("/taxonomy/categories/<id>/move")
@endpoint(taxonomy_form, path=IdPathIn, path_failure=NonexistentCategoryFailure, load=MoveFormIn)
@console_page
def taxonomy_category_move(data, caller):
    """Move a category one place up or down (the order /v1's reorder sets)."""
    taxonomy_service.move_category(data["id"], -1 if data["direction"] == "up" else 1)
    return _back("Order saved.")


@bp.post("/taxonomy/categories/<id>/delete")
@endpoint(taxonomy_form, path=IdPathIn, path_failure=NonexistentCategoryFailure)
@console_page
def taxonomy_category_delete(data, caller):
    """Delete a category: its articles stay, without one."""
    taxonomy_service.delete_category(data["id"])
    return _back("Category deleted.")
