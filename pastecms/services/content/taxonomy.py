"""Tags and categories: names (and slugs) unique, lists paginated, categories ordered by
the site's own `display_order`. Their article counts are kept by the article service."""

import math
import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from pastecms.errors import (
    ConflictFailure,
    InvalidParamsFailure,
    NonexistentCategoryFailure,
    NonexistentTagFailure,
)
from pastecms.extensions import db
from pastecms.models import Category, Tag
from pastecms.models.content import DISPLAY_ORDER_MAX
from pastecms.queries import paged
from pastecms.services import clock
from pastecms.services.changes import UNSET
from pastecms.services.ids import new_id

MAX_PER_PAGE = 200
DEFAULT_COLOR = "#6B7280"


@dataclass
class PageInfo:
    page: int
    per_page: int
    total: int
    total_pages: int


@dataclass
class Page:
    """One page of a list, and where it stands in the whole."""

    items: list
    page_info: PageInfo


def paginate(query, page: int, per_page: int) -> Page:
    """`query`'s rows on `page`, `per_page` clamped to 1..200, with the total."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(paged(query, per_page, (page - 1) * per_page)))
    return Page(items, PageInfo(page, per_page, total, math.ceil(total / per_page)))


# -- tags -------------------------------------------------------------------------------


def tag_page(page: int = 1, per_page: int = 50) -> Page:
    """A page of tags, by name, each with its `article_count`."""
    return paginate(select(Tag).order_by(Tag.name), page, per_page)


def get_tag(tag_id: str) -> Tag:
    """The tag; `NonexistentTagFailure` when there is none."""
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise NonexistentTagFailure()
    return tag


def create_tag(name: str) -> Tag:
    """A new tag; `ConflictFailure` when the name is taken (exactly, case and all)."""
    _check_tag_name_free(name)
    tag = Tag(id=new_id(), name=name, article_count=0, published_count=0, created_at=clock.now())
    db.session.add(tag)
    db.session.flush()
    return tag


def rename_tag(tag_id: str, name: str) -> Tag:
    """The tag, renamed; raises `NonexistentTagFailure` and `ConflictFailure`."""
    tag = get_tag(tag_id)
    if name != tag.name:
        _check_tag_name_free(name)
        tag.name = name
        db.session.flush()
    return tag


def delete_tag(tag_id: str) -> None:
    """Delete the tag, and with it its place on every article;
    `NonexistentTagFailure` when there is none."""
    db.session.delete(get_tag(tag_id))
    db.session.flush()


def _check_tag_name_free(name: str) -> None:
    if db.session.scalar(select(Tag.id).where(Tag.name == name)) is not None:
        raise ConflictFailure("Tag with this name already exists")


# -- categories -------------------------------------------------------------------------


def category_page(page: int = 1, per_page: int = 50) -> Page:
    """A page of categories in display order, each with its `article_count`."""
    query = select(Category).order_by(Category.display_order, Category.created_at, Category.id)
    return paginate(query, page, per_page)


def get_category(category_id: str) -> Category:
    """The category; `NonexistentCategoryFailure` when there is none."""
    category = db.session.get(Category, category_id)
    if category is None:
        raise NonexistentCategoryFailure()
    return category


def create_category(
    name: str, slug: str, *, color: str = DEFAULT_COLOR, display_order: int | None = None
) -> Category:
    """A new category, after the last one unless `display_order` says where;
    `ConflictFailure` when the name or the slug is taken."""
    _check_category_free(name, slug)
    if display_order is None:
        last = db.session.scalar(select(func.max(Category.display_order)))
        # At the column's largest value already, the new one ties with the last and
        # sorts after it by creation: after the last either way, and never an overflow.
        display_order = 0 if last is None else min(last + 1, DISPLAY_ORDER_MAX)
    stamp = clock.now()
    category = Category(
        id=new_id(),
        name=name,
        slug=slug,
        color=color,
        display_order=display_order,
        article_count=0,
        published_count=0,
        created_at=stamp,
        updated_at=stamp,
    )
    db.session.add(category)
    db.session.flush()
    return category


def update_category(
    category_id: str, *, name=UNSET, slug=UNSET, color=UNSET, display_order=UNSET
) -> Category:
    """The category with the fields given changed; raises `NonexistentCategoryFailure`
    and `ConflictFailure` (name or slug taken by another)."""
    category = get_category(category_id)
    _check_category_free(
        name if name is not UNSET and name != category.name else None,
        slug if slug is not UNSET and slug != category.slug else None,
    )
    for field, value in (
        ("name", name),
        ("slug", slug),
        ("color", color),
        ("display_order", display_order),
    ):
        if value is not UNSET:
            setattr(category, field, value)
    category.updated_at = clock.now()
    db.session.flush()
    return category


def delete_category(category_id: str) -> None:
    """Delete the category; its articles stay, without one.
    `NonexistentCategoryFailure` when there is none."""
    db.session.delete(get_category(category_id))
    db.session.flush()


def reorder_categories(ordered_ids: list[str]) -> None:
    """Put the categories in this order; those not named follow, in their old order.

    Raises `InvalidParamsFailure` for an id given twice or naming no category.
    """
    if len(set(ordered_ids)) != len(ordered_ids):
        raise InvalidParamsFailure(
            "orderedIds: An id is given twice.", details={"orderedIds": "An id is given twice."}
        )
    current = list(
        db.session.scalars(
            select(Category.id).order_by(Category.display_order, Category.created_at, Category.id)
        )
    )
    unknown = set(ordered_ids) - set(current)
    if unknown:
        message = "No such category: " + ", ".join(sorted(unknown)) + "."
        raise InvalidParamsFailure(f"orderedIds: {message}", details={"orderedIds": message})
    named = set(ordered_ids)
    order = [*ordered_ids, *(category_id for category_id in current if category_id not in named)]
    stamp = clock.now()
    for position, category_id in enumerate(order):
        db.session.execute(
            update(Category)
            .where(Category.id == category_id, Category.display_order != position)
            .values(display_order=position, updated_at=stamp)
            .execution_options(synchronize_session=False)
        )


def category_for_name(name: str) -> Category:
    """The category of this name (or slug), created when there is none: an import
    names its category as Hexo does, by name."""
    found = db.session.scalar(
        select(Category).where(or_(Category.name == name, Category.slug == name))
    )
    if found is not None:
        return found
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "category"
    if db.session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        slug = f"{slug}-{new_id()[:6]}"
    return create_category(name[:100], slug[:100])


def _check_category_free(name: str | None, slug: str | None) -> None:
    conditions = []
    if name is not None:
        conditions.append(Category.name == name)
    if slug is not None:
        conditions.append(Category.slug == slug)
    if not conditions:
        return
    taken = db.session.scalar(select(Category.id).where(or_(*conditions)).limit(1))
    if taken is not None:
        raise ConflictFailure("Category with this name or slug already exists")


def move_category(category_id: str, steps: int) -> None:
    """Move the category `steps` places later in the display order (earlier when
    negative), as far as the ends allow; the others keep their order (`reorder_categories`).
    `NonexistentCategoryFailure` when there is none."""
    get_category(category_id)
    order = list(
        db.session.scalars(
            select(Category.id).order_by(Category.display_order, Category.created_at, Category.id)
        )
    )
    position = order.index(category_id)
    order.remove(category_id)
    order.insert(max(0, min(len(order), position + steps)), category_id)
    reorder_categories(order)
