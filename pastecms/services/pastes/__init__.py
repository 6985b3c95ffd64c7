"""The pastebin: what a paste is allowed to be, and everything done to one.

Public surface, by module:

- `paste`: `submit`, `read`, `attachment`, `page`, `recent`, `top`, `for_user`,
  `deactivate`, `deactivatable`, `set_password`, `deactivate_all_for`, `purge`;
- `paste_policy`: what the admins allow a new paste (`check_address`, `check_expiry`,
  `expiry_limit`, `blocked`, `describe`);
- `moderation`: reports, hiding, address blocks and the moderation log, for admins;
- `highlight`: a paste's contents as HTML for its page (`render`), on the budget of
  `pygmentize` and the language chosen by `language` (`choose`, `guess`);
- `idempotency`: a retried submit gets its first paste back (`attempt`, `remember`);
- `quota`: the bytes a client may store over a window (`charge`).

Reads of pastes that a face repeats at speed go through `pastecms.queries`.
"""
