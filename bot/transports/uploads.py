"""A file a user uploads with a command, held in a temporary file while the command runs.

The core copies what it wants to keep; the file is gone once the command ends. Nothing is fetched
for a command that takes no file or a user it would refuse (:func:`takes_file`). A file the platform
says is over ``BARDLING_RETRAIN_MAX_UPLOAD_BYTES`` is not fetched at all. Only the base name of the
user's file name is used, so a name like ``../../x`` cannot place it anywhere else.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.text import too_big

if TYPE_CHECKING:
    from bot.core.core import CommandCore

DEFAULT_NAME = "upload.txt"


def takes_file(core: CommandCore, user_key: str, command: str) -> bool:
    """Whether ``command`` from this user would use an attached file: only then is it fetched, so a
    stranger's attachment (or one sent with a command that takes none) costs no download."""
    found = core.registry.get(command.strip().lstrip("/").split("@", 1)[0].lower())
    if found is None or found.spec.file is None:
        return False
    return not found.spec.admin_only or core.is_admin(user_key)


class UploadError(Exception):
    """The upload was not fetched (too big, or the platform failed); the text is fit to show the user."""


@contextlib.asynccontextmanager
async def uploaded(
    file_name: str | None,
    size: int | None,
    max_bytes: int,
    fetch: Callable[[Path], Awaitable[object]],
    errors: tuple[type[Exception], ...],
) -> AsyncIterator[Path]:
    """``fetch(path)`` the upload into a temporary directory and yield its path.

    ``size`` is what the platform says the file holds (None if it does not say); a file over
    ``max_bytes`` is refused before anything is downloaded.
    """
    if size is not None and size > max_bytes:
        raise UploadError(too_big(size, max_bytes))
    with tempfile.TemporaryDirectory(prefix="bardling-upload-") as directory:
        path = Path(directory) / (Path(file_name or "").name or DEFAULT_NAME)
        try:
            await fetch(path)
        except errors as err:
            raise UploadError(f"Could not fetch the file: {err}") from None
        yield path
