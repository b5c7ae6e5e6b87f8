"""Atomic file output: write to a temporary file in the same folder, then rename over the target.

A reader never sees a half-written file under the final name, and a crash leaves at most a
``.NAME.tmp-*`` file behind.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vs_vhdr.errors import OutputExistsError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, force: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    Args:
        path: final file name; its folder must exist.
        force: when False, refuse (``OutputExistsError``) if ``path`` already exists.
    """
    target = Path(path)
    if not force and target.exists():
        raise OutputExistsError(f"{target} already exists; pass --force (force=True) to replace it")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.tmp-", suffix=target.suffix, dir=target.parent or "."
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp makes 0600; give the file the mode a plain open() would
            os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (fsync before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))
