"""Field types shared by every face.

They reject at the door what a database would choke on later (NUL characters, lone
surrogates, integers beyond 64 bits, NaN), so a hostile value is a named 400, never a 500.
"""

import base64
import binascii
import math
import threading
from collections import OrderedDict
from datetime import UTC, datetime

from marshmallow import Schema, ValidationError, fields, validate

#: Messages that mean "missing", as opposed to "wrong" (`inputs.params_failure`). Every
#: In schema sets them on its fields itself (`InputSchema`), so the sorting never depends
#: on the wording of marshmallow's defaults.
MISSING = "Missing data for required field."
NULL = "Field may not be null."
BLANK = "Must not be blank."
INCOMPLETE_MESSAGES = frozenset({MISSING, NULL, BLANK})

INT64_MAX = 2**63 - 1
# Unix seconds for 9999-12-31, the last instant every supported database can store.
MAX_UNIX_TIME = 253_402_300_799


def unstorable(value: str) -> bool:
    """Whether `value` holds what no database column stores: NUL, or a lone surrogate.

    Pastes run to a megabyte: a regular expression over one took 3 ms, while NUL is found
    at memory speed and an ASCII string (which Python knows without looking) holds no
    surrogate; other strings hold one exactly when they cannot be encoded as UTF-8.
    """
    if "\x00" in value:
        return True
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class InputSchema(Schema):
    """The base of every In schema: a missing or null value is reported with the
    messages above, on every field, list items included."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        while field_obj is not None:
            field_obj.error_messages = {
                **field_obj.error_messages,
                "required": MISSING,
                "null": NULL,
            }
            field_obj = getattr(field_obj, "inner", None)


def _with(validator, kwargs) -> list:
    """`validator` plus any the caller passed as `validate=`."""
    extra = kwargs.pop("validate", None)
    if extra is None:
        return [validator]
    return [validator, *(extra if isinstance(extra, list | tuple) else [extra])]


class Text(fields.String):
    """A string with a length cap that refuses NUL and lone surrogates.

    A required Text also refuses the blank string: the paste API has always treated ""
    like a missing value.
    """

    def __init__(self, *, max_length: int, blank: bool | None = None, **kwargs):
        self.blank = blank if blank is not None else not kwargs.get("required", False)
        super().__init__(validate=_with(validate.Length(max=max_length), kwargs), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if unstorable(value):
            raise ValidationError("Must not contain NUL characters or lone surrogates.")
        if not self.blank and not value.strip():
            raise ValidationError(BLANK)
        return value


class Integer(fields.Integer):
    """An integer, also given as a numeric string (the seed's examples send '0')."""

    def __init__(self, *, minimum: int = 0, maximum: int = INT64_MAX, **kwargs):
        super().__init__(
            strict=False, validate=_with(validate.Range(minimum, maximum), kwargs), **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > 20:
            raise self.make_error("invalid")
        # Non-strict marshmallow truncates 1.5 to 1; a fraction is the wrong type, not a
        # rounding request (2.0 from a JSON encoder is still accepted).
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class List(fields.List):
    """A list with a length cap checked before any item is read.

    marshmallow reads every item of a plain List and reports each bad one, so a body of
    a million bad items costs seconds and answers megabytes; over the cap, it is one error.
    """

    def __init__(self, cls_or_instance, *, max_length: int, **kwargs):
        self.max_length = max_length
        super().__init__(
            cls_or_instance, validate=_with(validate.Length(max=max_length), kwargs), **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple) and len(value) > self.max_length:
            raise ValidationError(f"Must have at most {self.max_length} items.")
        return super()._deserialize(value, attr, data, **kwargs)


class UnixTime(fields.Field):
    """Unix seconds on the wire, a UTC-aware datetime inside."""

    default_error_messages = {"invalid": "Not a valid unix timestamp."}

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else int(value.timestamp())

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            if len(value) > 32:
                raise self.make_error("invalid")
            try:
                value = float(value)
            except ValueError:
                raise self.make_error("invalid") from None
        if not isinstance(value, int | float):
            raise self.make_error("invalid")
        # Checked as a float only when it is one: math.isfinite(10**400) overflows.
        if isinstance(value, float) and not math.isfinite(value):
            raise self.make_error("invalid")
        if not 0 <= value <= MAX_UNIX_TIME:
            raise ValidationError(f"Must be between 0 and {MAX_UNIX_TIME}.")
        return datetime.fromtimestamp(int(value), UTC)


class PasteId(fields.Field):
    """A public paste id: the encrypted string, or an integer when encryption is off."""

    default_error_messages = {"invalid": "Not a valid paste id."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.make_error("invalid")
        if isinstance(value, str):
            if not value.strip():
                raise ValidationError(BLANK)
            if len(value) > 64:
                raise self.make_error("invalid")
        elif not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise self.make_error("invalid")
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class Base64Bytes(fields.Field):
    """Bytes sent as standard base64 text."""

    default_error_messages = {"invalid": "Not valid base64."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise self.make_error("invalid") from None


class _DumpMemo:
    """A least-recently-used memo of dumped objects, bounded by the bytes they hold."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]
        return None

    def put(self, key, dumped: dict, size: int) -> None:
        if size > self.max_bytes // 64:  # a few large objects would crowd out the rest
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._items[key] = (dumped, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted


class Remembered(fields.Nested):
    """A nested object dumped once and remembered, with only the fields named in `fresh`
    dumped anew each time: for lists that show the same objects request after request.

    `revision(obj)` must change whenever anything but the `fresh` fields would dump
    differently (None: never remember this object); `size(obj)` is roughly what
    remembering it holds in memory. At most `max_bytes` are held per field.
    """

    def __init__(self, nested, *, revision, fresh: tuple[str, ...], size, max_bytes, **kwargs):
        super().__init__(nested, **kwargs)
        self._revision = revision
        self._fresh = fresh
        self._size = size
        self._memo = _DumpMemo(max_bytes)

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        if nested_obj is None or self.many:
            return super()._serialize(nested_obj, attr, obj, **kwargs)
        revision = self._revision(nested_obj)
        if revision is None:
            return super()._serialize(nested_obj, attr, obj, **kwargs)
        dumped = self._memo.get(revision)
        if dumped is None:
            dumped = super()._serialize(nested_obj, attr, obj, **kwargs)
            self._memo.put(revision, dumped, self._size(nested_obj))
        schema = self.schema
        result = dict(dumped)
        for name in self._fresh:
            field = schema.fields[name]
            result[field.data_key or name] = field.serialize(
                name, nested_obj, accessor=schema.get_attribute
            )
        return result
