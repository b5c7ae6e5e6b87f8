"""The Python end of the native ``vhdr`` namespace (``shim.c``); not for scripts.

``core.vhdr.Reconstruct(...)`` runs ``dispatch()`` under the GIL. ``dispatch`` fetches the call's
arguments through the internal ``core.vhdr.Arguments()`` (VapourSynth's binding turns them into
``VideoNode`` objects and strings or bytes), runs ``reconstruct`` and hands the clip back through
``core.vhdr.Return``. It never raises: an error comes back as the message text, which the shim
turns into the script's ``vapoursynth.Error``.
"""

from typing import Any

import vapoursynth as vs

from vs_vhdr.vapoursynth.reconstruct import FUNCTION, reconstruct

_PREFIX = f"{FUNCTION}: "


def dispatch() -> str | None:
    """Run the pending ``vhdr.Reconstruct`` call; None on success, else the error message."""
    try:
        core = vs.core
        clip = reconstruct(**_arguments(core.vhdr.Arguments()))
        core.vhdr.Return(clip=clip)
    except vs.Error as error:
        message = str(error)
        return message if message.startswith(_PREFIX) else _PREFIX + message
    except Exception as error:  # any failure must reach the script as vs.Error, never crash it
        return f"{_PREFIX}{type(error).__name__}: {error}"
    return None


def _arguments(answer: Any) -> dict[str, Any]:
    """The binding's answer as keyword arguments (it returns a lone ``clip`` unwrapped)."""
    values = answer if isinstance(answer, dict) else {"clip": answer}
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in values.items()}
