"""vhdr: HDR video reconstruction from snapshot-coded raw video (Eq. 1 simulator, 3D CNNs, hosts)."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from vs_vhdr.plugins import create_model, list_models

__all__ = ["__version__", "create_model", "list_models"]

_LAZY = {"create_model": "vs_vhdr.plugins", "list_models": "vs_vhdr.plugins"}
"""Public names imported on first use, so ``import vs_vhdr`` does not import torch models.

They go through the plugin host, so models registered by plugins are included."""


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vs_vhdr' has no attribute {name!r}")
