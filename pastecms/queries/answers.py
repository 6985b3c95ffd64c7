"""Answers of read endpoints kept whole, in each process, for as long as what they were made
from has not changed.

An endpoint opts in with `endpoint(cache_by=version)`, where `version()` reads, in the
request's transaction, a number that the database moves whenever the data the answer is
made from changes (None: unknown, keep nothing). A kept answer is reused only under the
same version, for the same input and the same site root (the scheme and host that its
URLs were built for), so it is exactly the answer the view would make again: no time to
live, nothing stale, every worker and host in step through the database. The caller is
still resolved and checked on every request; only views whose answer is the same for
every caller they admit may opt in, or for every caller of one audience (the articles an
admin reads, or those one user reads), kept apart by audience.

Kept per app, bounded by ANSWER_CACHE_MAX_BYTES (0 keeps nothing), least recently used
first out; answers of an older version are dropped as soon as a newer one is seen.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from flask import Flask, Request, Response, current_app

from pastecms.app_cache import app_cache, keep

#: What an entry costs besides its body (key, headers, bookkeeping), roughly.
_ENTRY_OVERHEAD = 512


@dataclass(frozen=True)
class KeptAnswer:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, response: Response) -> "KeptAnswer":
        # A copy of exactly the body's length: the JSON encoder's bytes (orjson's) keep
        # the whole buffer they were written in, 16 KiB for a body of 1.5, which would
        # make the cache hold ten times what it counts.
        body = bytes(memoryview(response.get_data()))
        return cls(body, response.status_code, tuple(response.headers.items()))

    def response(self, response_class: type[Response]) -> Response:
        return response_class(self.body, status=self.status, headers=self.headers)


class AnswerCache:
    """The answers of one app in one process (see the module docstring)."""

    def __init__(self):
        self._version = None
        self._answers: OrderedDict[Hashable, KeptAnswer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # a threaded server shares it between requests

    def get(self, version, key) -> KeptAnswer | None:
        with self._lock:
            if version != self._version:
                return None
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, version, key, answer: KeptAnswer, max_bytes: int) -> None:
        """Keep `answer` under `version` and `key`, within `max_bytes` in all."""
        size = len(answer.body) + _ENTRY_OVERHEAD
        if size > max_bytes:
            return
        with self._lock:
            if self._version is None or version > self._version:
                self._answers.clear()
                self._bytes = 0
                self._version = version
            elif version < self._version:
                return  # made before a change this process has already seen
            earlier = self._answers.pop(key, None)
            if earlier is not None:
                self._bytes -= len(earlier.body) + _ENTRY_OVERHEAD
            while self._answers and self._bytes + size > max_bytes:
                _, oldest = self._answers.popitem(last=False)
                self._bytes -= len(oldest.body) + _ENTRY_OVERHEAD
            self._answers[key] = answer
            self._bytes += size

    def __len__(self) -> int:
        return len(self._answers)


def init_app(app: Flask) -> None:
    keep(app, "answers", AnswerCache())


def cache(app: Flask | None = None) -> AnswerCache:
    """The app's answer cache (the current app's by default)."""
    return app_cache("answers", app=app)


class Lookup:
    """One request's look into the cache: the kept answer, if any, as a response to send
    (`found`), and `keep` to keep the answer made instead.

    Given the request and reading the app once: each attribute read through Flask's
    `request` or `current_app` proxies costs some 8,000 instructions, and the six this
    made cost the CMS's article list and article 55,000 to 63,000 a request (callgrind,
    issue 30).
    """

    __slots__ = ("found", "_cache", "_max_bytes", "_version", "_key")

    def __init__(
        self,
        name: str,
        version_of: Callable[[], object],
        data: dict,
        req: Request,
        audience: Hashable = None,
    ):
        app = current_app._get_current_object()
        self.found = None
        self._cache = cache(app)
        self._max_bytes = app.config["ANSWER_CACHE_MAX_BYTES"]
        self._version = self._key = None
        if self._max_bytes <= 0:
            return
        key = (name, audience, req.scheme, req.host, req.script_root, *sorted(data.items()))
        try:
            hash(key)
        except TypeError:
            return  # an input that cannot be a key (a list, say): answered afresh
        self._version = version_of()
        if self._version is None:
            return
        self._key = key
        kept = self._cache.get(self._version, key)
        if kept is not None:
            self.found = kept.response(app.response_class)

    def keep(self, response: Response) -> None:
        if self._key is not None and not response.is_streamed:
            self._cache.put(self._version, self._key, KeptAnswer.of(response), self._max_bytes)
