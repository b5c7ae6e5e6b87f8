"""Exceptions of vhdr. Every error a user can cause is a ``VhdrError``.

Messages name the function or argument, the value received and what was expected, e.g.
``mosaic: cfa='RGBG' is not a Bayer pattern; expected one of RGGB, BGGR, GRBG, GBRG``.
The CLI prints them on one line and exits with status 2.
"""


class VhdrError(Exception):
    """Base class of every error that bad input, files or settings can cause."""


class InvalidArgumentError(VhdrError, ValueError):
    """An argument has the wrong type, shape, range or value."""


class UnreadableFileError(VhdrError, OSError):
    """A file is missing, truncated, corrupt or not of the expected format."""


class NoMatchingFilesError(VhdrError, FileNotFoundError):
    """A frame pattern or glob matched no file."""


class OutputExistsError(VhdrError, FileExistsError):
    """An output already exists and ``force`` was not given."""


class IncompatibleWeightsError(VhdrError):
    """A weights file does not fit the requested architecture or is corrupt."""


class UnknownNameError(VhdrError, KeyError):
    """A model, preset, calibration or camera name is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""
