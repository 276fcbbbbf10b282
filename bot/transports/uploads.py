"""A file a user uploads with a command, held in a temporary file while the command runs.

The core copies what it wants to keep; the file is gone once the command ends. Only the base name
of the user's file name is used, so a name like ``../../x`` cannot place it anywhere else.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

DEFAULT_NAME = "upload.txt"


class UploadError(Exception):
    """The upload could not be fetched from the platform; the text is fit to show the user."""


@contextlib.asynccontextmanager
async def uploaded(
    file_name: str | None,
    fetch: Callable[[Path], Awaitable[object]],
    errors: tuple[type[Exception], ...],
) -> AsyncIterator[Path]:
    """``fetch(path)`` the upload into a temporary directory and yield its path."""
    with tempfile.TemporaryDirectory(prefix="bardling-upload-") as directory:
        path = Path(directory) / (Path(file_name or "").name or DEFAULT_NAME)
        try:
            await fetch(path)
        except errors as err:
            raise UploadError(f"Could not fetch the file: {err}") from None
        yield path
