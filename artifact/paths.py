"""Default locations shared by the offline and the serving side."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """``$BARDLING_DATA_DIR``, else ``$XDG_DATA_HOME/bardling``, else ``~/.local/share/bardling``."""
    explicit = os.environ.get("BARDLING_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "bardling"
