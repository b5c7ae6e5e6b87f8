"""Objects a run is made of: the model (fresh or from weights), frozen layers, the loss.

Frozen encoder (``model.freeze_encoder``): the first half of the network's 3D convolutions in
order, i.e. layers 1-9 of C3DED (its encoder and dilated bottleneck, Table 3) and layers 1-5 of
C3D/DC3D, keep their weights; only the rest is trained.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import nn

from vs_vhdr.errors import IncompatibleWeightsError, InvalidArgumentError
from vs_vhdr.losses import VHDRLoss
from vs_vhdr.nets.base import ModelSpec, conv_layers
from vs_vhdr.plugins import get_host
from vs_vhdr.train.config import LossConfig, ModelConfig, model_arguments


def build_model(config: ModelConfig) -> nn.Module:
    """A random-initialised ``config.name``, or the weights ``config.init`` (name or file).

    Names resolve through the plugins (``vs_vhdr.plugins.get_host``), so plugin models train too.
    With ``config.arguments`` the network is built with those constructor arguments and ``init``'s
    tensors are loaded into it (a warm start across, e.g., another ``residual_bound``).

    Raises:
        UnknownNameError: the name is not registered.
        IncompatibleWeightsError: ``init`` holds another architecture than ``name``, or tensors
            that do not fit the network built with ``arguments``.
    """
    host = get_host()
    arguments = model_arguments(config)
    if not config.init:
        model = host.create_model(config.name, weights=False, **arguments)
    elif config.init in host.model_registry:
        model = host.create_model(config.init)
        if not spec_of(model).weights_loaded:
            raise InvalidArgumentError(
                f"train: model.init={config.init!r} has no shipped weights to start from; give "
                "a weights file, or leave model.init empty to start from random weights"
            )
    else:
        if not Path(config.init).is_file():
            raise InvalidArgumentError(
                f"train: model.init={config.init!r} is neither a registered model nor a file"
            )
        model = host.create_model(config.init)
    name = spec_of(model).name
    if name != host.model_registry.resolve(config.name):
        raise IncompatibleWeightsError(
            f"train: model.init={config.init!r} holds a {name!r} network but model.name is "
            f"{config.name!r}; set model.name={name!r}"
        )
    if config.init and arguments:
        model = _with_arguments(model, config.name, arguments)
    if config.freeze_encoder:
        freeze_encoder(model)
    return model


def _with_arguments(source: nn.Module, name: str, arguments: dict[str, Any]) -> nn.Module:
    """A ``name`` network built with ``arguments``, holding ``source``'s tensors."""
    model = get_host().create_model(name, weights=False, **arguments)
    try:
        model.load_state_dict(source.state_dict())
    except RuntimeError as error:
        raise IncompatibleWeightsError(
            f"train: model.init's tensors do not fit {name} built with model.arguments="
            f"{arguments} ({str(error).splitlines()[0]})"
        ) from None
    spec = replace(
        spec_of(model), weights_loaded=True, weights_source=spec_of(source).weights_source
    )
    setattr(model, "spec", spec)  # noqa: B010
    return model


def spec_of(model: nn.Module) -> ModelSpec:
    """``model.spec`` (of the wrapped module under DistributedDataParallel too)."""
    inner = getattr(model, "module", model)
    spec = getattr(inner, "spec", None)
    if not isinstance(spec, ModelSpec):
        raise InvalidArgumentError(f"train: {type(inner).__name__} has no ModelSpec in .spec")
    return spec


def freeze_encoder(model: nn.Module) -> list[str]:
    """Stop gradients in the first half of the 3D convolutions; return the frozen names."""
    layers = conv_layers(model)
    if len(layers) < 2:
        raise InvalidArgumentError(
            f"train: model.freeze_encoder needs a network of 2 or more convolutions; "
            f"{spec_of(model).name} has {len(layers)}"
        )
    frozen = {id(layer) for layer in layers[: len(layers) // 2]}
    names = []
    for name, module in model.named_modules():
        if id(module) in frozen:
            for parameter in module.parameters():
                parameter.requires_grad_(False)
            names.append(name)
    return names


def build_loss(config: LossConfig) -> VHDRLoss:
    """L_Content (λ3 = λ4 = 0) or L_VHDR; VGG is off (recorded) without ``vgg_weights``."""
    sm, lm = (config.sm, config.lm) if config.kind == "vhdr" else (0.0, 0.0)
    return VHDRLoss(lambdas=(config.l1, config.vgg, sm, lm), vgg_weights=config.vgg_weights or None)
