r"""Perceptual loss L_VGG of paper Eq. 3 over chosen VGG16 layers, without torchvision.

VGG16's convolutional part is built here with torchvision's module indices, so the standard
ImageNet state dict (``vgg16-397923af.pth``, keys ``features.N.weight`` / ``features.N.bias``)
loads as is. Nothing can be downloaded: the weights come from a path the user gives, either
that ``.pth`` file (read with ``torch.load(weights_only=True)``, no arbitrary pickle) or a
``.safetensors`` file with the same key names.

As Eq. 3 says, VGG sees the log HDR frames themselves (no ImageNet normalisation); frames are
processed independently and the loss is averaged over them.
"""

import os
from collections.abc import Sequence
from pathlib import Path

import safetensors.torch
import torch
from torch import nn

from vs_vhdr.errors import IncompatibleWeightsError, InvalidArgumentError, UnreadableFileError
from vs_vhdr.losses.checks import check_video_pair

VGG16_CONFIG: tuple[int | str, ...] = (
    *(64, 64, "M"),
    *(128, 128, "M"),
    *(256, 256, 256, "M"),
    *(512, 512, 512, "M"),
    *(512, 512, 512, "M"),
)
"""VGG16 convolutional part: output channels of each 3×3 convolution, ``M`` a 2×2 max pool."""


def _layer_indices() -> dict[str, int]:
    """``reluB_N`` → index of that ReLU in torchvision's ``vgg16().features``."""
    names, index, block, conv = {}, 0, 1, 0
    for item in VGG16_CONFIG:
        if item == "M":
            block, conv, index = block + 1, 0, index + 1
        else:
            conv += 1
            names[f"relu{block}_{conv}"] = index + 1
            index += 2
    return names


VGG16_LAYERS: dict[str, int] = _layer_indices()
"""``relu1_1`` … ``relu5_3`` → module index in ``features``."""

DEFAULT_LAYERS: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
"""Layers compared by default (each with weight ω = 1)."""


class VGG16Features(nn.Module):
    """VGG16's convolutional part up to the deepest chosen layer; frozen.

    Shape:
        input ``N×3×H×W`` with H and W at least ``min_size``; returns one ``N×C_i×H_i×W_i``
        tensor per chosen layer, in the order given.
    """

    def __init__(self, layers: Sequence[str] = DEFAULT_LAYERS) -> None:
        super().__init__()
        unknown = [name for name in layers if name not in VGG16_LAYERS]
        if not layers or unknown:
            raise InvalidArgumentError(
                f"VGG16Features: layers={list(layers)!r}; expected one or more of"
                f" {', '.join(VGG16_LAYERS)}"
            )
        self.layer_names = tuple(layers)
        self.indices = tuple(VGG16_LAYERS[name] for name in layers)
        modules: list[nn.Module] = []
        channels = 3
        for item in VGG16_CONFIG:
            if len(modules) > max(self.indices):
                break
            if item == "M":
                modules.append(nn.MaxPool2d(2, 2))
            else:
                modules += [nn.Conv2d(channels, int(item), 3, padding=1), nn.ReLU()]
                channels = int(item)
        self.features = nn.Sequential(*modules[: max(self.indices) + 1])
        self.min_size = 2 ** sum(isinstance(m, nn.MaxPool2d) for m in self.features)
        self.requires_grad_(False)

    @property
    def dtype(self) -> torch.dtype:
        """Floating type of the convolutions (inputs are cast to it)."""
        return next(self.features.parameters()).dtype

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.dim() != 4 or x.shape[1] != 3 or min(x.shape[-2:]) < self.min_size:
            raise InvalidArgumentError(
                f"VGG16Features: input has shape {tuple(x.shape)}; expected N×3×H×W with"
                f" H, W >= {self.min_size} for layers {', '.join(self.layer_names)}"
            )
        outputs: dict[int, torch.Tensor] = {}
        for index, module in enumerate(self.features):
            x = module(x)
            if index in self.indices:
                outputs[index] = x
        return [outputs[index] for index in self.indices]

    def load_torchvision_weights(self, path: str | os.PathLike[str]) -> None:
        """Load the convolutions from a torchvision-style VGG16 state dict at ``path``."""
        state = _read_state(Path(path))
        wanted = self.features.state_dict()
        missing = [f"features.{key}" for key in wanted if f"features.{key}" not in state]
        if missing:
            raise IncompatibleWeightsError(
                f"VGGLoss: {path} lacks {len(missing)} VGG16 tensors (first: {missing[0]});"
                " expected torchvision's vgg16 state dict (vgg16-397923af.pth)"
            )
        for key, value in wanted.items():
            if state[f"features.{key}"].shape != value.shape:
                raise IncompatibleWeightsError(
                    f"VGGLoss: {path}: features.{key} has shape"
                    f" {tuple(state[f'features.{key}'].shape)}; expected {tuple(value.shape)}"
                    " (VGG16)"
                )
        self.features.load_state_dict(
            {key: state[f"features.{key}"].float() for key in wanted}, strict=True
        )


def vgg_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    extractor: VGG16Features,
    layer_weights: Sequence[float] | None = None,
) -> torch.Tensor:
    r"""Perceptual loss (Eq. 3), averaged over frames.

    .. math:: L_{VGG}(x, \hat x) = \sum_{i=1}^{N} \frac{\omega_i}{H_i W_i C_i}
              \| V_i(x) - V_i(\hat x) \|_1

    where :math:`V_i` is the i-th chosen layer of ``extractor`` and x, x̂ are log HDR frames.

    Shape:
        pred, target: ``B×3×T×H×W`` (same shape, H and W >= ``extractor.min_size``);
        returns a scalar.

    Example:
        >>> extractor = VGG16Features(["relu1_1"])  # then extractor.load_torchvision_weights(p)
        >>> vgg_loss(torch.zeros(1, 3, 1, 4, 4), torch.zeros(1, 3, 1, 4, 4), extractor)
        tensor(0.)
    """
    check_video_pair(pred, target, "vgg_loss", channels=3)
    weights = _layer_weights(layer_weights, len(extractor.indices), "vgg_loss")
    dtype = extractor.dtype
    frames_pred = _frames(pred).to(dtype)
    with torch.no_grad():
        features_target = extractor(_frames(target).to(dtype))
    features_pred = extractor(frames_pred)
    total = pred.new_zeros((), dtype=dtype)
    for weight, a, b in zip(weights, features_pred, features_target):
        total = total + weight * (a - b).abs().mean()
    return total


class VGGLoss(nn.Module):
    """Module form of :func:`vgg_loss` that loads VGG16 ImageNet weights from a path.

    Args:
        weights_path: torchvision's ``vgg16-397923af.pth`` (or a ``.safetensors`` with its
            key names). Required: the weights cannot be downloaded here.
        layers: VGG16 layers compared (``relu1_1`` … ``relu5_3``).
        layer_weights: ω_i per layer (default 1 each).
    """

    def __init__(
        self,
        weights_path: str | os.PathLike[str] | None,
        layers: Sequence[str] = DEFAULT_LAYERS,
        layer_weights: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        if weights_path is None:
            raise InvalidArgumentError(
                "VGGLoss: weights_path=None; expected the path of VGG16 ImageNet weights"
                " (torchvision's vgg16-397923af.pth): they cannot be downloaded here"
            )
        self.extractor = VGG16Features(layers)
        self.extractor.load_torchvision_weights(weights_path)
        self.layer_weights = _layer_weights(layer_weights, len(layers), "VGGLoss")

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return vgg_loss(pred, target, self.extractor, self.layer_weights)


def _frames(video: torch.Tensor) -> torch.Tensor:
    """``B×3×T×H×W`` → ``(B·T)×3×H×W``."""
    b, c, t, h, w = video.shape
    return video.movedim(2, 1).reshape(b * t, c, h, w)


def _layer_weights(weights: Sequence[float] | None, count: int, func: str) -> tuple[float, ...]:
    if weights is None:
        return (1.0,) * count
    values = tuple(float(w) for w in weights)
    if len(values) != count or any(not w >= 0 for w in values):
        raise InvalidArgumentError(
            f"{func}: layer_weights={list(weights)!r}; expected {count} numbers >= 0 (one per layer)"
        )
    return values


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise UnreadableFileError(f"VGGLoss: {path} does not exist or is not a file")
    try:
        if path.suffix == ".safetensors":
            state = safetensors.torch.load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load and safetensors raise many types for bad files
        raise IncompatibleWeightsError(
            f"VGGLoss: {path} is not a readable state dict ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise IncompatibleWeightsError(
            f"VGGLoss: {path} does not hold a state dict of tensors; expected torchvision's"
            " vgg16-397923af.pth"
        )
    return state
