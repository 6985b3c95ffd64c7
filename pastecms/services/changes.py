"""How a partial update says "leave this field as it is"."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: A field an update leaves as it is (None, by contrast, clears it).
UNSET = _Unset()
