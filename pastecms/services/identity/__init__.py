"""Who a caller is and what they may do: accounts, credentials and sessions.

Public surface, by module:

- `auth`: the one resolver of every credential a request carries (`resolve`, into a
  `Caller`), and `require` / `require_admin`;
- `user`: accounts (`create`, `update_profile`, `deactivate`, `set_admin`,
  `reset_password`, `authenticate`, `log_out`, `regenerate_api_key`);
- `apikey`: the one place keys are issued and disabled (`generate`, `replace`,
  `disable`, `enable`, `disable_all`, `status`);
- `login`: password login for JWTs (`log_in`); `tokens`: signing and checking them;
  `refresh_token`: their revocable rows (`issue_pair`, `renew`, `revoke*`);
- `devices`: the device cookie that keeps lockouts off known devices.

Hashing secrets (`services.secret`) and limiting guesses (`services.attempts`) serve
pastes' passwords too, so they sit beside the domains.
"""
