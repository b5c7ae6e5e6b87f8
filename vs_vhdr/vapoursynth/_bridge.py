"""The Python end of the native ``vhdr`` namespace (``shim.c``); not for scripts.

``core.vhdr.Reconstruct(...)`` and ``core.vhdr.RawSource(...)`` run ``dispatch()`` under the GIL.
``dispatch`` fetches the call's arguments and the called function's name through the internal
``core.vhdr.Arguments()`` (VapourSynth's binding turns them into ``VideoNode`` objects and strings
or bytes), runs ``reconstruct`` or ``raw_source`` and hands the clip back through
``core.vhdr.Return``. It never raises: an error comes back as the message text, which the shim
turns into the script's ``vapoursynth.Error``.
"""

from collections.abc import Callable
from typing import Any

import vapoursynth as vs

from vs_vhdr.vapoursynth.rawsource import raw_source
from vs_vhdr.vapoursynth.reconstruct import reconstruct

FUNCTIONS: dict[str, Callable[..., vs.VideoNode]] = {
    "Reconstruct": reconstruct,
    "RawSource": raw_source,
}
"""The Python implementation of each public function of the ``vhdr`` namespace."""


def dispatch() -> str | None:
    """Run the pending ``vhdr.*`` call; None on success, else the error message."""
    prefix = "vhdr.Reconstruct: "
    try:
        core = vs.core
        arguments = _arguments(core.vhdr.Arguments())
        name = arguments.pop("function", "Reconstruct")  # a shim built before RawSource
        prefix = f"vhdr.{name}: "
        core.vhdr.Return(clip=FUNCTIONS[name](**arguments))
    except vs.Error as error:
        message = str(error)
        return message if message.startswith(prefix) else prefix + message
    except Exception as error:  # any failure must reach the script as vs.Error, never crash it
        return f"{prefix}{type(error).__name__}: {error}"
    return None


def _arguments(answer: Any) -> dict[str, Any]:
    """The binding's answer as keyword arguments (it returns a lone ``clip`` unwrapped)."""
    values = answer if isinstance(answer, dict) else {"clip": answer}
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in values.items()}
