"""The console's site files, for admins: the files of the site that are neither a post nor
a page (a theme's `_config.yml`, say), as Qexo's admin edits them. Each page acts
through `services.content.site_files`, as /pub/save, /pub/delete and /pub/get_configs do; a
post's or a page's path saves that article, as it does there."""

from flask import flash, redirect, url_for

from pastecms.api import endpoint
from pastecms.errors import ConflictFailure, IncompleteParamsFailure, InvalidParamsFailure
from pastecms.schemas.qexo import FilePathIn, FileSaveIn, SearchIn
from pastecms.services.content import site_files
from pastecms.views.console import SECTIONS, Section, bp, console_page
from pastecms.views.envelopes import Page, WebPage, web_page

SECTIONS.append(Section("Site files", "console.files"))


def _listed() -> dict:
    return {"files": site_files.files(), "search": ""}


#: A refused save shows the list again, with the failure and what was typed.
save_form = WebPage(
    "console/files.html",
    retry=(IncompleteParamsFailure, InvalidParamsFailure, ConflictFailure),
    context=_listed,
)


@bp.get("/files")
@endpoint(web_page, load=SearchIn, location="query")
@console_page
def files(data, caller):
    """The stored files whose path contains `s`, and the form for a new one."""
    search = data["s"] or ""
    return Page(
        "console/files.html", files=site_files.files(search), search=search, form={}, failure=None
    )


@bp.get("/files/edit")
@endpoint(web_page, load=FilePathIn, location="query")
@console_page
def edit_file(data, caller):
    """One file's text in a form. `nonexistent_file_failure` when there is none."""
    stored = site_files.read(data["file"])
    return Page("console/file_edit.html", file=stored)


@bp.post("/files")
@endpoint(save_form, load=FileSaveIn)
@console_page
def save_file(data, caller):
    """Store a file (a post's or a page's path saves that article), as /pub/save does."""
    site_files.save(data["file"], data["content"])
    flash(f"{data['file']} is saved.", "console")
    return redirect(url_for("console.files"), code=303)


@bp.get("/files/delete")
@endpoint(web_page, load=FilePathIn, location="query")
@console_page
def confirm_file_deletion(data, caller):
    """The question before a file is deleted. `nonexistent_file_failure`."""
    return Page("console/file_delete.html", file=site_files.read(data["file"]))


@bp.post("/files/delete")
@endpoint(web_page, load=FilePathIn)
@console_page
def delete_file(data, caller):
    """Delete a file, as /pub/delete does. `nonexistent_file_failure`."""
    site_files.delete(data["file"])
    flash(f"{data['file']} is deleted.", "console")
    return redirect(url_for("console.files"), code=303)
