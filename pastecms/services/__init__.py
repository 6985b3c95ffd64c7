"""The rules. Services take plain values and the caller, raise `Failure`s, and may flush
but never commit: the request decorator or the CLI command owns the transaction.

By domain: `pastes/` (the pastebin), `content/` (articles, taxonomy, images, files),
`site/` (the Qexo widgets' talks, friends, counts and settings), `identity/` (accounts,
credentials, sessions) and `operations/` (health, backups, metrics access). Beside them,
one module each for what several domains share: `clock` (the time rows are stamped
with), `ids` (public paste ids, content ids), `changes` (`UNSET` in partial updates),
`secret` (hashing passwords, tokens and keys) and `attempts` (guesses at any secret,
limited)."""
