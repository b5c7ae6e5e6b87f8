"""Model registry in the timm style: names → factories, aliases, ``create_model``.

A :class:`ModelRegistry` validates names and refuses duplicates; plugins receive one in the
``vhdr_register_models(registry)`` hook. :func:`register_builtin_models` registers the paper's
networks and their mask-conditioned variants; :func:`default_registry` is the process-wide
registry that ``create_model`` and ``list_models`` use unless given another.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from torch import nn

from vs_vhdr.errors import InvalidArgumentError, UnknownNameError
from vs_vhdr.nets.base import ModelSpec
from vs_vhdr.nets.c3d import C3D
from vs_vhdr.nets.c3ded import C3DED
from vs_vhdr.nets.dc3d import DC3D
from vs_vhdr.nets.pmunet import PMUNet
from vs_vhdr.nets.weights import load_weights, read_weights, shipped_weights_path

WEIGHTS_SUFFIX = ".safetensors"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")

Factory = Callable[..., nn.Module]
"""Builds a random-initialised model with a ``ModelSpec`` in ``model.spec``."""


@dataclass(frozen=True)
class ModelEntry:
    """One registered architecture."""

    name: str
    factory: Factory
    description: str = ""


class ModelRegistry:
    """Registered model names, their factories and aliases (e.g. ``default``)."""

    def __init__(self) -> None:
        self._entries: dict[str, ModelEntry] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self, name: str, factory: Factory, *, description: str = "", aliases: tuple[str, ...] = ()
    ) -> None:
        """Register ``factory`` under ``name``; refuse a name (or alias) already taken."""
        self._check_free(name)
        if not callable(factory):
            raise InvalidArgumentError(f"register: factory of {name!r} is not callable")
        self._entries[name] = ModelEntry(name, factory, description)
        for alias in aliases:
            self.alias(alias, name)

    def alias(self, alias: str, target: str, *, replace: bool = False) -> None:
        """Make ``alias`` name ``target``; ``replace=True`` re-points an existing alias."""
        if not (replace and alias in self._aliases):
            self._check_free(alias)
        self._aliases[alias] = self.resolve(target)

    def resolve(self, name: str) -> str:
        """The registered name that ``name`` (a name or alias, any case) stands for."""
        key = name.lower() if isinstance(name, str) else name
        if key in self._entries:
            return key
        if key in self._aliases:
            return self._aliases[key]
        raise UnknownNameError(
            f"create_model: model {name!r} is not registered; expected one of "
            f"{', '.join(self.names(include_aliases=True))} or a {WEIGHTS_SUFFIX} file"
        )

    def create(self, name: str, **kwargs: Any) -> nn.Module:
        """A random-initialised model; ``model.spec.name`` is the registered name."""
        canonical = self.resolve(name)
        try:
            model = self._entries[canonical].factory(**kwargs)
        except TypeError as error:
            raise InvalidArgumentError(
                f"create_model: {canonical} does not accept arguments {kwargs} ({error})"
            ) from None
        spec = getattr(model, "spec", None)
        if not isinstance(model, nn.Module) or not isinstance(spec, ModelSpec):
            raise InvalidArgumentError(
                f"create_model: the factory of {canonical!r} returned a {type(model).__name__}"
                " without a ModelSpec in model.spec; expected a torch.nn.Module with one"
            )
        if spec.name != canonical:
            setattr(model, "spec", replace(spec, name=canonical))  # noqa: B010
        return model

    def entry(self, name: str) -> ModelEntry:
        """The entry of a registered name or alias."""
        return self._entries[self.resolve(name)]

    def names(self, *, include_aliases: bool = False) -> list[str]:
        """Registered names, sorted (with the aliases when asked)."""
        names = list(self._entries) + (list(self._aliases) if include_aliases else [])
        return sorted(names)

    def aliases(self) -> dict[str, str]:
        """Alias → registered name."""
        return dict(self._aliases)

    def __contains__(self, name: object) -> bool:
        key = name.lower() if isinstance(name, str) else name
        return key in self._entries or key in self._aliases

    def _check_free(self, name: str) -> None:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name.endswith(WEIGHTS_SUFFIX):
            raise InvalidArgumentError(
                f"register: model name {name!r} is not valid; expected lower-case letters,"
                " digits, '.', '_' or '-', starting with a letter or digit"
            )
        if name in self._entries or name in self._aliases:
            raise InvalidArgumentError(f"register: model name {name!r} is already registered")


DEFAULT_MODEL = "pmunet"
"""The model behind ``default``: the best shipped weights (models/README.md)."""


def register_builtin_models(registry: ModelRegistry) -> None:
    """Register ``c3d``, ``dc3d``, ``c3ded``, their ``-m`` variants, ``pmunet`` and ``default``.

    ``default`` names the best shipped weights by the held-out table of ``models/README.md``.
    """
    families = (
        ("c3d", C3D, "C3D (paper Table 1): ten 3×3×3 convolutions"),
        ("dc3d", DC3D, "DC3D (paper Table 2): C3D with layers 2, 4, 7, 9 dilated by 2"),
        ("c3ded", C3DED, "C3DED (paper Table 3): 18-layer encoder-decoder, U-Net skips"),
    )
    for name, cls, description in families:
        registry.register(name, cls, description=description)
        registry.register(
            f"{name}-m",
            partial(cls, mask_conditioned=True),
            description=f"{description}; mask-conditioned (spread mask as 3 more inputs)",
        )
    registry.register(
        "pmunet",
        PMUNet,
        description="PMUNet (beyond the paper): packed-mosaic 3D U-Net on the noise-aware front"
        " end, 0.09 MFLOP per pixel-frame in its learned layers",
    )
    registry.alias("default", DEFAULT_MODEL)


_DEFAULT_REGISTRY: ModelRegistry | None = None


def default_registry() -> ModelRegistry:
    """The process-wide registry, filled with the built-in models on first use."""
    global _DEFAULT_REGISTRY
    if _DEFAULT_REGISTRY is None:
        registry = ModelRegistry()
        register_builtin_models(registry)
        _DEFAULT_REGISTRY = registry
    return _DEFAULT_REGISTRY


def list_models(
    registry: ModelRegistry | None = None, *, include_aliases: bool = False
) -> list[str]:
    """Registered model names, sorted."""
    return (registry or default_registry()).names(include_aliases=include_aliases)


def create_model(
    name_or_path: str | os.PathLike[str],
    weights: str | os.PathLike[str] | bool | None = None,
    *,
    registry: ModelRegistry | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Build a model by registered name or from a weights file.

    Args:
        name_or_path: a registered name or alias (``c3ded``, ``default``, ...), or the path of
            a ``.safetensors`` weights file, whose record names the architecture.
        weights: with a name: ``None`` loads the shipped weights of that name if there are any
            (else the model stays random-initialised, ``model.spec.weights_loaded`` False);
            ``True`` requires them; ``False`` never loads; a path loads that file (its
            architecture and arguments checked against the model).
        registry: the registry to use (default: :func:`default_registry`).
        **kwargs: constructor arguments, e.g. ``temporal_dilation=1`` for ``dc3d``.

    Returns:
        The model, in training mode as ``torch.nn.Module`` leaves it.
    """
    registry = registry or default_registry()
    if _is_path(name_or_path, registry):
        if weights is not None or kwargs:
            raise InvalidArgumentError(
                f"create_model: {name_or_path} is a weights file, which names its own"
                " architecture and arguments; pass neither weights= nor constructor arguments"
            )
        record, _ = read_weights(name_or_path)
        model = registry.create(record.architecture, **record.kwargs)
        return load_weights(name_or_path, model)
    name = str(name_or_path)
    model = registry.create(name, **kwargs)
    if weights is None:
        shipped = shipped_weights_path(registry.resolve(name))
        return load_weights(shipped, model) if shipped else model
    if weights is False:
        return model
    if weights is True:
        shipped = shipped_weights_path(registry.resolve(name))
        if shipped is None:
            raise InvalidArgumentError(
                f"create_model: weights=True but no shipped weights exist for {name!r}"
            )
        return load_weights(shipped, model)
    return load_weights(weights, model)


def _is_path(name_or_path: str | os.PathLike[str], registry: ModelRegistry) -> bool:
    if isinstance(name_or_path, os.PathLike):
        return True
    if not isinstance(name_or_path, str):
        raise InvalidArgumentError(
            f"create_model: name_or_path={name_or_path!r}; expected a model name or a file path"
        )
    if name_or_path in registry:
        return False
    return (
        name_or_path.endswith(WEIGHTS_SUFFIX)
        or "/" in name_or_path
        or os.sep in name_or_path
        or Path(name_or_path).is_file()
    )
