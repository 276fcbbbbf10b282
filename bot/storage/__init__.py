"""Users, generations, favourites and training jobs in SQLAlchemy (SQLite by default, or PostgreSQL).

``Storage`` owns the engine; the modules ``users``, ``generations``, ``favourites``, ``account``
and ``jobs`` are the repository functions the command core calls.
"""

from bot.storage.store import Storage, StorageError

__all__ = ["Storage", "StorageError"]
