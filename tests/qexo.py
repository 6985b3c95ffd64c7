"""Requests as Qexo's widgets and scripts send them to /pub."""

import urllib.parse

FORM = "application/x-www-form-urlencoded"


def form_body(fields: dict) -> str:
    """A form body as the widgets build it: every value through encodeURIComponent, so a
    space is %20, not +."""
    return "&".join(
        f"{name}={urllib.parse.quote(str(value), safe='')}" for name, value in fields.items()
    )


def _from(address: str | None) -> dict:
    return {"REMOTE_ADDR": address} if address else {}


class Pub:
    """A client of /pub. `get` sends what the widgets send (trailing slash, Content-Type
    text/plain, no body); `post` a form; `token` is added when the client has one."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def _with_token(self, fields: dict) -> dict:
        return {"token": self.token, **fields} if self.token is not None else dict(fields)

    def get(self, endpoint: str, headers: dict | None = None, address=None, **params):
        query = urllib.parse.urlencode(self._with_token(params))
        url = f"/pub/{endpoint}/" + (f"?{query}" if query else "")
        return self.client.get(
            url,
            headers={"Content-Type": "text/plain", **(headers or {})},
            environ_base=_from(address),
        )

    def post(self, endpoint: str, fields: dict | None = None, headers=None, address=None):
        return self.client.post(
            f"/pub/{endpoint}/",
            data=form_body(self._with_token(fields or {})),
            headers={"Content-Type": FORM, **(headers or {})},
            environ_base=_from(address),
        )

    def ok(self, response) -> dict:
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        assert body["status"] is True, body
        return body

    def failed(self, response) -> str:
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        assert body["status"] is False, body
        assert body["data"] == {"msg": body["msg"]}
        return body["failure_name"]
