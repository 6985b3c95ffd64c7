"""The console's article, tag and category forms, checked by the CMS API's own field
types and limits (`schemas.cms`), so a form takes exactly what /v1 takes."""

from marshmallow import EXCLUDE, ValidationError, fields, post_load, validate, validates_schema

from pastecms.schemas.cms import (
    _COLOR,
    _SLUG,
    INT32,
    MAX_CONTENT,
    MAX_DESCRIPTION,
    MAX_MARKDOWN,
    MAX_TAG,
    MAX_TAGS,
    MAX_TITLE,
    STATUSES,
    ContentId,
    ImageFile,
    MarkdownImportIn,
)
from pastecms.schemas.fields import BLANK, InputSchema, Integer, Text
from pastecms.schemas.web import OptionalCount, newlines

SLUG_RULE = "Use letters, digits, '.-_~'."
EDITOR_ACTIONS = ("save", "preview", "upload")


class FormIn(InputSchema):
    """A console form: the CSRF token and the buttons' names are not fields."""

    class Meta:
        unknown = EXCLUDE


class Optional(Text):
    """A text input that may be left empty: empty (or only spaces) is None."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if isinstance(value, str) and not value.strip():
            value = None
        return super().deserialize(value, attr, data, **kwargs)


class TagNames(fields.Field):
    """Tags typed as one line, separated by commas: the names, trimmed, empty ones
    dropped, each and all within the API's limits."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > MAX_TAGS * (MAX_TAG + 2):
            raise ValidationError(f"At most {MAX_TAGS} tags of {MAX_TAG} characters.")
        names = [name.strip() for name in value.split(",") if name.strip()]
        if len(names) > MAX_TAGS:
            raise ValidationError(f"At most {MAX_TAGS} tags.")
        for name in names:
            Text(max_length=MAX_TAG).deserialize(name)
        return list(dict.fromkeys(names))


class OptionalImage(ImageFile):
    """The editor's image input: None when no file was chosen."""

    def _deserialize(self, value, attr, data, **kwargs):
        upload = super()._deserialize(value, attr, data, **kwargs)
        return upload if upload["data"] or upload["filename"] else None


class ArticleFormIn(FormIn):
    """The editor. `action` is the button pressed: save, preview (render, store
    nothing) or upload (store the chosen image, add it to the content, store nothing
    else). A title and content are needed only to save."""

    action = Text(max_length=16, load_default="save", validate=validate.OneOf(EDITOR_ACTIONS))
    title = Text(max_length=MAX_TITLE, load_default="")
    slug = Optional(
        max_length=200,
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(_SLUG, error=SLUG_RULE),
    )
    description = Optional(max_length=MAX_DESCRIPTION, allow_none=True, load_default=None)
    content = Text(max_length=MAX_CONTENT, load_default="")
    tags = TagNames(load_default=list)
    category_id = ContentId(allow_none=True, load_default=None)
    status = Text(max_length=16, load_default="draft", validate=validate.OneOf(STATUSES))
    image = OptionalImage(allow_none=True, load_default=None)
    alt_text = Optional(max_length=500, allow_none=True, load_default=None)

    @post_load
    def unix_line_endings(self, data, **kwargs):
        data["content"] = newlines(data["content"])
        return data

    @validates_schema
    def needed(self, data, **kwargs):
        action = data.get("action")
        if action == "save":
            blank = {
                name: [BLANK] for name in ("title", "content") if not data.get(name, "").strip()
            }
            if blank:
                raise ValidationError(blank)
        if action == "upload" and data.get("image") is None:
            raise ValidationError({"image": ["Choose an image to upload."]})


class ArticleFilterIn(FormIn):
    """The list's filters and page."""

    status = Optional(
        max_length=16, allow_none=True, load_default=None, validate=validate.OneOf(STATUSES)
    )
    tag = Optional(max_length=MAX_TAG, allow_none=True, load_default=None)
    category = Optional(max_length=100, allow_none=True, load_default=None)
    q = Optional(max_length=200, allow_none=True, load_default=None)
    page = Integer(minimum=1, maximum=INT32, load_default=1)


class ImportFormIn(FormIn):
    """A Markdown file with front matter (as Hexo writes it), read as /v1/import/markdown
    reads its `content`."""

    file = ImageFile(required=True)

    @post_load
    def parse(self, data, **kwargs):
        raw = data["file"]["data"]
        if len(raw) > MAX_MARKDOWN * 4:
            raise ValidationError({"file": ["The file is too large."]})
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"file": ["Not a UTF-8 text file."]}) from None
        # As /v1/import/markdown reads it: its refusals name the front matter's fields.
        return MarkdownImportIn().load({"content": newlines(text)})


class TagFormIn(FormIn):
    name = Text(max_length=MAX_TAG, required=True)


class CategoryFormIn(FormIn):
    """A new category, or a category's new name, slug, colour and place."""

    name = Text(max_length=100, required=True)
    slug = Text(max_length=100, required=True, validate=validate.Regexp(_SLUG, error=SLUG_RULE))
    color = Text(
        max_length=7,
        load_default="#6B7280",
        validate=validate.Regexp(_COLOR, error="Must be a #rrggbb color."),
    )
    # Empty: leave the order as it is (or, for a new one, after the last).
    display_order = OptionalCount(minimum=-INT32, maximum=INT32, allow_none=True, load_default=None)


class MoveFormIn(FormIn):
    direction = Text(max_length=8, required=True, validate=validate.OneOf(("up", "down")))


class PageFormIn(FormIn):
    page = Integer(minimum=1, maximum=INT32, load_default=1)
