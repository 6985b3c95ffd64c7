"""Site content: articles, tags, categories, images, settings (the CMS face, issue 14).

Revision ID: 0002
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0003"
branch_labels = None
depends_on = None


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


IMAGE_ARTICLE_FK = "fk_images_article_id_articles"


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("published_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_categories_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )
    op.create_index(op.f("ix_categories_display_order"), "categories", ["display_order"])

    op.create_table(
        "tags",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("published_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )

    # Images and articles name each other. SQLite takes a constraint naming a table yet
    # to come (and cannot add one later without copying the table); PostgreSQL gets the
    # image's article constraint once articles exist.
    image_article = []
    if _is_sqlite():
        image_article.append(
            sa.ForeignKeyConstraint(
                ["article_id"], ["articles.id"], name=IMAGE_ARTICLE_FK, ondelete="SET NULL"
            )
        )
    op.create_table(
        "images",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("article_id", sa.String(length=16), nullable=True),
        sa.Column("filename", sa.String(length=64), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=500), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
        *image_article,
    )
    op.create_index(op.f("ix_images_article_id"), "images", ["article_id"])
    op.create_index(op.f("ix_images_created_at"), "images", ["created_at"])

    op.create_table(
        "articles",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=26), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sort_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.String(length=16), nullable=True),
        sa.Column("header_image_id", sa.String(length=16), nullable=True),
        sa.Column("slide_mode", sa.Boolean(), nullable=False),
        sa.Column("slide_duration", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_articles_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_articles_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["header_image_id"],
            ["images.id"],
            name=op.f("fk_articles_header_image_id_images"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("hash", name=op.f("uq_articles_hash")),
        sa.UniqueConstraint("slug", name=op.f("uq_articles_slug")),
    )
    op.create_index(op.f("ix_articles_author_id"), "articles", ["author_id"])
    op.create_index(op.f("ix_articles_header_image_id"), "articles", ["header_image_id"])
    # One index per list filter: the filter first, then the order, read backwards.
    op.create_index("ix_article_list", "articles", ["sort_time", "created_at", "id"])
    op.create_index(
        "ix_article_status_list", "articles", ["status", "sort_time", "created_at", "id"]
    )
    op.create_index(
        "ix_article_category_list", "articles", ["category_id", "sort_time", "created_at", "id"]
    )
    op.create_index(
        "ix_article_category_status_list",
        "articles",
        ["category_id", "status", "sort_time", "created_at", "id"],
    )

    if not _is_sqlite():
        op.create_foreign_key(
            IMAGE_ARTICLE_FK, "images", "articles", ["article_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "article_tags",
        sa.Column("article_id", sa.String(length=16), nullable=False),
        sa.Column("tag_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sort_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_tags_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_article_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "tag_id", name=op.f("pk_article_tags")),
    )
    # A tag's articles in list order, all of them or by status.
    op.create_index(
        "ix_article_tag_list", "article_tags", ["tag_id", "sort_time", "created_at", "article_id"]
    )
    op.create_index(
        "ix_article_tag_status_list",
        "article_tags",
        ["tag_id", "status", "sort_time", "created_at", "article_id"],
    )

    op.create_table(
        "article_totals",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_article_totals")),
    )

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )


def downgrade():
    op.drop_table("settings")
    op.drop_table("article_totals")
    op.drop_index("ix_article_tag_status_list", table_name="article_tags")
    op.drop_index("ix_article_tag_list", table_name="article_tags")
    op.drop_table("article_tags")
    if not _is_sqlite():
        op.drop_constraint(IMAGE_ARTICLE_FK, "images", type_="foreignkey")
    op.drop_index("ix_article_category_status_list", table_name="articles")
    op.drop_index("ix_article_category_list", table_name="articles")
    op.drop_index("ix_article_status_list", table_name="articles")
    op.drop_index("ix_article_list", table_name="articles")
    op.drop_index(op.f("ix_articles_header_image_id"), table_name="articles")
    op.drop_index(op.f("ix_articles_author_id"), table_name="articles")
    op.drop_table("articles")
    op.drop_index(op.f("ix_images_created_at"), table_name="images")
    op.drop_index(op.f("ix_images_article_id"), table_name="images")
    op.drop_table("images")
    op.drop_table("tags")
    op.drop_index(op.f("ix_categories_display_order"), table_name="categories")
    op.drop_table("categories")
