"""What the operator asks of a running server rather than what its users ask: whether
it can serve (`health.check`), a backup of its database (`backup.backup`), and who may
read its metrics (`scraper.admit`)."""
