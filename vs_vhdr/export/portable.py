"""TorchScript files that old Torch reads (Nuke 13's 1.6 up): the saved code rewritten to old forms.

What in a TorchScript file written by a recent Torch stops old Torch from loading it (found by
loading exports in Torch 1.6 and 1.12): traced convolutions call ``torch._convolution`` with
the ``allow_tf32`` flag added in 1.7; scripted modules type ``_is_full_backward_hook`` as
``NoneType``, unknown to 1.6 (scripted classes annotate it ``Optional[bool]`` instead); the
``*.debug_pkl`` source-range records have a newer layout; ``raise`` is written
``prim::RaiseException(msg, cls)`` where 1.6 takes the message only; string constants that are
not ASCII go to ``constants.pkl``, where 1.6 expects tensors only (messages stay ASCII).
:func:`save_portable` drops the debug records (error messages then lack source excerpts), the
exception class of ``raise`` (errors arrive as ``RuntimeError``) and the ``allow_tf32`` flag
(the call then resolves to the ``_convolution.deprecated`` overload, same result).
"""

import io
import os
import re
import warnings
import zipfile

import torch

from vs_vhdr.io.atomic import atomic_path

CONVOLUTION_ARGS = 12
"""Arguments of ``aten::_convolution`` before ``allow_tf32`` (its ``deprecated`` overload)."""

_CONVOLUTION = re.compile(r"torch\._convolution\(([^()]*)\)")
_RAISE_CLASS = re.compile(r'^(\s*ops\.prim\.RaiseException\(.*), "[\w.]+"\)$', re.MULTILINE)


def save_portable(
    module: torch.jit.ScriptModule, path: str | os.PathLike[str], *, force: bool = False
) -> None:
    """``torch.jit.save``, made readable by old Torch (module docstring), written atomically."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated upstream
        torch.jit.save(module, buffer)
    buffer.seek(0)
    with atomic_path(path, force=force) as tmp:
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(tmp, "w") as target:
            for info in source.infolist():
                if info.filename.endswith(".debug_pkl"):
                    continue
                data = source.read(info.filename)
                if info.filename.endswith(".py") and "/code/" in info.filename:
                    data = rewrite_code(data.decode("utf-8")).encode("utf-8")
                target.writestr(info, data)


def rewrite_code(code: str) -> str:
    """Saved TorchScript code in the forms old Torch parses (module docstring)."""
    code = _RAISE_CLASS.sub(r"\1)", code)
    return _CONVOLUTION.sub(_drop_allow_tf32, code)


def _drop_allow_tf32(match: re.Match[str]) -> str:
    arguments = _split_arguments(match.group(1))
    if len(arguments) == CONVOLUTION_ARGS + 1:
        arguments = arguments[:CONVOLUTION_ARGS]
    return "torch._convolution(" + ", ".join(arguments) + ")"


def _split_arguments(text: str) -> list[str]:
    """Top-level comma-separated arguments (lists in brackets stay whole)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for c in text:
        if c == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += (c == "[") - (c == "]")
        current.append(c)
    parts.append("".join(current).strip())
    return parts
