"""newsarchive: a clean, dated, searchable SQLite archive of scraped French news articles."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsarchive")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
