"""The rules. Services take plain values and the caller, raise `Failure`s, and may flush
but never commit: the request decorator or the CLI command owns the transaction."""
