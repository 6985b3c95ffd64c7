"""The configuration classes, where `wsgi.py`, the tests and an operator's own scripts
have always imported them from. They live in `pastecms/config.py` so that an installed
wheel carries them; see there for every setting."""

from pastecms.config import Config, DevConfig, ProdConfig, TestConfig

__all__ = ["Config", "DevConfig", "ProdConfig", "TestConfig"]
