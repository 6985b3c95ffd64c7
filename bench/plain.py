"""Plain code: two of pastecms's answers written as the plainest code on the design card's
packages would write them (`make bench-instructions` counts them beside the bare route).

A Flask app on pastecms's database (PASTECMS_DATABASE_URI, seeded by the benchmark) with
Flask-SQLAlchemy, and a Flask-Limiter that limits nothing but whose hooks run on every
request, as pastecms's do. Two routes, written as the plainest code on those packages
would write them:

- POST /api/paste/details: the JSON body's `paste_id` (a plain row id here), one
  UPDATE ... RETURNING counting the view, the commit, the row as JSON;
- POST /api/paste/recent: one SELECT of the 20 newest live pastes with their contents,
  as JSON.

No input or output schema, no failure envelope, no id cipher, no limit counted, no
security headers, no request id. Against `details`, the distance is what pastecms's own
work costs (the packages alone already cost `plain details`); against `recent`, what the
read model saves over the obvious code (rows dumped by Flask's JSON provider).
"""

import os

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, Table, bindparam, select, update

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["PASTECMS_DATABASE_URI"]
db = SQLAlchemy(app)
Limiter(get_remote_address, app=app, default_limits=[], storage_uri="memory://")

with app.app_context():
    _PASTES = Table("pastes", MetaData(), autoload_with=db.engine)

_COUNT_VIEW = (
    update(_PASTES)
    .where(_PASTES.c.id == bindparam("paste_id"), _PASTES.c.is_active.is_(True))
    .values(views=_PASTES.c.views + 1)
    .returning(*_PASTES.columns)
)
_RECENT = (
    select(*_PASTES.columns)
    .where(_PASTES.c.is_active.is_(True))
    .order_by(_PASTES.c.post_time.desc(), _PASTES.c.id.desc())
    .limit(20)
)


@app.post("/api/paste/details")
def details():
    paste_id = request.get_json()["paste_id"]
    row = db.session.connection().execute(_COUNT_VIEW, {"paste_id": paste_id}).first()
    db.session.commit()
    if row is None:
        return {"success": False}, 404
    return dict(row._mapping)


@app.post("/api/paste/recent")
def recent():
    rows = db.session.connection().execute(_RECENT).all()
    db.session.commit()
    return [dict(row._mapping) for row in rows]
