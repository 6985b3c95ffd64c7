"""/v1/tags and /v1/categories: the CMS's tags and categories (seed 002)."""

from pastecms.api import ADMIN, REQUIRED, endpoint
from pastecms.errors import (
    ConflictFailure,
    ForbiddenFailure,
    NonexistentCategoryFailure,
    NonexistentTagFailure,
)
from pastecms.schemas.cms import (
    CategoryCreateIn,
    CategoryListOut,
    CategoryOut,
    CategoryReorderIn,
    CategoryUpdateIn,
    IdPathIn,
    PageIn,
    SuccessOut,
    TagIn,
    TagListOut,
    TagOut,
)
from pastecms.services.changes import UNSET
from pastecms.services.content import taxonomy
from pastecms.views.envelopes import cms

bp = cms.blueprint("cms_taxonomy", __name__, url_prefix="/v1")

TAG = {"path": IdPathIn, "path_failure": NonexistentTagFailure}
CATEGORY = {"path": IdPathIn, "path_failure": NonexistentCategoryFailure}
ADMIN_WRITE = {"caller": ADMIN, "failures": (ForbiddenFailure, ConflictFailure)}


@bp.get("/tags")
@endpoint(cms, load=PageIn, dump=TagListOut, caller=REQUIRED)
def list_tags(data, caller):
    """A page of tags by name, each with its `articleCount` (`perPage` 1..200)."""
    return taxonomy.tag_page(data["page"], data["per_page"])


@bp.get("/tags/<id>")
@endpoint(cms, **TAG, dump=TagOut, caller=REQUIRED)
def get_tag(data, caller):
    """One tag; `nonexistent_tag_failure` when there is none."""
    return taxonomy.get_tag(data["id"])


@bp.post("/tags")
@endpoint(cms, load=TagIn, dump=TagOut, status=201, **ADMIN_WRITE)
def create_tag(data, caller):
    """Create a tag; `conflict_failure` when the name is taken (exactly)."""
    return taxonomy.create_tag(data["name"])


@bp.put("/tags/<id>")
@endpoint(cms, **TAG, load=TagIn, dump=TagOut, **ADMIN_WRITE)
def rename_tag(data, caller):
    """Rename a tag; `conflict_failure` when the name is taken."""
    return taxonomy.rename_tag(data["id"], data["name"])


@bp.delete("/tags/<id>")
@endpoint(cms, **TAG, dump=SuccessOut, caller=ADMIN, failures=(ForbiddenFailure,))
def delete_tag(data, caller):
    """Delete a tag: its articles lose it."""
    taxonomy.delete_tag(data["id"])
    return {"success": True}


@bp.get("/categories")
@endpoint(cms, load=PageIn, dump=CategoryListOut, caller=REQUIRED)
def list_categories(data, caller):
    """A page of categories in display order, each with its `articleCount`."""
    return taxonomy.category_page(data["page"], data["per_page"])


@bp.patch("/categories/reorder")
@endpoint(cms, load=CategoryReorderIn, dump=SuccessOut, caller=ADMIN, failures=(ForbiddenFailure,))
def reorder_categories(data, caller):
    """Put the categories in the order of `orderedIds`; those not named follow.

    `invalid_params_failure` for an id given twice or naming no category.
    """
    taxonomy.reorder_categories(data["ordered_ids"])
    return {"success": True}


@bp.get("/categories/<id>")
@endpoint(cms, **CATEGORY, dump=CategoryOut, caller=REQUIRED)
def get_category(data, caller):
    """One category; `nonexistent_category_failure` when there is none."""
    return taxonomy.get_category(data["id"])


@bp.post("/categories")
@endpoint(cms, load=CategoryCreateIn, dump=CategoryOut, status=201, **ADMIN_WRITE)
def create_category(data, caller):
    """Create a category (last in order unless `displayOrder` is given);
    `conflict_failure` when the name or slug is taken."""
    return taxonomy.create_category(
        data["name"], data["slug"], color=data["color"], display_order=data["display_order"]
    )


@bp.put("/categories/<id>")
@endpoint(cms, **CATEGORY, load=CategoryUpdateIn, dump=CategoryOut, **ADMIN_WRITE)
def update_category(data, caller):
    """Change the fields sent; `conflict_failure` when the name or slug is taken."""
    return taxonomy.update_category(
        data["id"],
        name=data.get("name", UNSET),
        slug=data.get("slug", UNSET),
        color=data.get("color", UNSET),
        display_order=data.get("display_order", UNSET),
    )


@bp.delete("/categories/<id>")
@endpoint(cms, **CATEGORY, dump=SuccessOut, caller=ADMIN, failures=(ForbiddenFailure,))
def delete_category(data, caller):
    """Delete a category: its articles stay, without one."""
    taxonomy.delete_category(data["id"])
    return {"success": True}
