"""Atomic output folders: build a folder under a temporary name, then swap it into place.

A reader never sees a half-written output folder, and a failed run leaves the old one untouched.
An existing folder is replaced only with ``force`` and only if it is empty or holds ``marker``
(the file a previous run of the same tool wrote), so ``--force`` cannot wipe an unrelated folder.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vs_vhdr.errors import InvalidArgumentError, OutputExistsError


@contextlib.contextmanager
def atomic_directory(
    path: str | os.PathLike[str], *, force: bool = False, marker: str | None = None
) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success it becomes ``path``.

    Args:
        path: the final folder; its parent is created if needed.
        force: replace an existing ``path``.
        marker: a file name whose presence shows that an existing ``path`` may be replaced.

    Raises:
        OutputExistsError: ``path`` exists and ``force`` is False.
        InvalidArgumentError: ``path`` is a file, or a non-empty folder without ``marker``.
    """
    target = Path(path)
    if target.exists() or target.is_symlink():
        if not target.is_dir() or target.is_symlink():
            raise InvalidArgumentError(f"{target} exists and is not a folder; expected a folder")
        if not force:
            raise OutputExistsError(f"{target} already exists; pass --force to replace it")
        if marker and any(target.iterdir()) and not (target / marker).is_file():
            raise InvalidArgumentError(
                f"{target} is not empty and has no {marker}; refusing to replace a folder that "
                "this tool did not write"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / target.name)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
