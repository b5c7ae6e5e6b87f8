"""The reconstruction networks (paper §3.2): C3D, DC3D, C3DED, mask-conditioned variants.

Use :func:`create_model` / :func:`list_models`; build inputs with :func:`prepare_input`.
Every model carries a :class:`ModelSpec` in ``model.spec``. See docs/models.md.
"""

from vs_vhdr.nets.base import ModelSpec, VhdrNet, receptive_field
from vs_vhdr.nets.c3d import C3D
from vs_vhdr.nets.c3ded import C3DED
from vs_vhdr.nets.dc3d import DC3D
from vs_vhdr.nets.inputs import prepare_input
from vs_vhdr.nets.registry import (
    ModelRegistry,
    create_model,
    default_registry,
    list_models,
    register_builtin_models,
)
from vs_vhdr.nets.weights import (
    WeightsRecord,
    load_weights,
    read_weights,
    save_weights,
    shipped_weights_path,
)

__all__ = [
    "C3D",
    "C3DED",
    "DC3D",
    "ModelRegistry",
    "ModelSpec",
    "VhdrNet",
    "WeightsRecord",
    "create_model",
    "default_registry",
    "list_models",
    "load_weights",
    "prepare_input",
    "read_weights",
    "receptive_field",
    "register_builtin_models",
    "save_weights",
    "shipped_weights_path",
]
