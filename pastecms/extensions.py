"""Extensions, created unbound here and bound to an app in `create_app()`."""

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects keep their values after a commit: `@endpoint` commits before it dumps the
# view's result, and re-reading what was just written would cost a query per object.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
csrf = CSRFProtect()
# Rate limits: one Flask-Limiter per app, made in `create_app()` (`pastecms.ratelimit`).


def bind_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to `app`, once: for the `db` commands and the tests, which
    migrate. Serving never does, so Flask-Migrate, Alembic and Mako are imported only
    here, never in a server's workers (each starts about 4 MiB smaller)."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    Migrate(
        app,
        db,
        # In the package (a link to migrations/), so that an installed wheel can upgrade
        # its own database.
        directory=os.path.join(app.root_path, "migrations"),
        # Batch mode lets later migrations alter tables on SQLite too.
        render_as_batch=True,
    )
