"""Health checks."""

from marshmallow import Schema, fields


class HealthOut(Schema):
    status = fields.String(metadata={"enum": ["ok"]})
    database = fields.Boolean(metadata={"description": "The database answered a query."})
