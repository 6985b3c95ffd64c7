"""The site's content, shared by the CMS API, the Qexo face and the console: articles,
their tags and categories, images, and the same articles as files.

Public surface, by module:

- `article`: who may read what (`may_read`, `readable_by`), lookups (`get`,
  `get_by_slug`, `get_for_reader`, `search`, `list_page`) and writes (`create`,
  `update`, `publish`, `unpublish`, `delete_article`);
- `taxonomy`: tags and categories (`tag_page`, `category_page`, `create_*`, `rename_tag`,
  `update_category`, `reorder_categories`, `delete_*`);
- `image`: uploads served publicly (`upload`, `image_page`, `get`, `delete`);
- `transfer`: articles as Markdown files with front matter (`export_one`, `export_all`,
  `import_file`);
- `site_files`: the site as a Hexo source tree (`save`, `delete`, `read`, `files`);
- `markdown`: an article's preview as safe HTML (`to_html`);
- `webhook`: the content webhook, told of every change (`content_changed`, `send_test`,
  `deliveries`).

Reads that a face repeats at speed go through `pastecms.queries`.
"""
