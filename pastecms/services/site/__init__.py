"""The Qexo face's site features, kept by the admins and shown by widgets: talks, friend
links, visit counts, notifications, site settings, captchas and custom fields.

Public surface, by module:

- `talks`: `page`, `toggle_like`, `save`, `find`, `remove`, `everything`;
- `friends`: `shown`, `everything`, `applications`, `apply`, `add`, `edit`, `remove`;
- `site_stats`: `count_visit`, `daily`, `top_pages`, `sites`;
- `notifications`: `create`, `newest_first`, `remove`, `clear`;
- `settings`: the site's known setting keys (`get_all`, `update`, `repair`);
- `captcha`: `verify` (and `settings_problem` for the console);
- `custom_fields`: `list_all`, `save`, `remove`, `run` (in `pastecms.sandbox`).
"""
