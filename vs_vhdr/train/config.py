"""Typed training configuration: dataclasses read from TOML, overridden by ``--set key=value``.

A config file has one table per section (``[model]``, ``[data]``, ``[loss]``, ``[optim]``,
``[run]``); every key is optional and defaults to the paper's recipe (§4: Adam, lr 1e-4,
batch 4, f = 8 frames, 50 % uniform / 50 % low-frequency masks). Keys are addressed as
``section.key`` on the command line, e.g. ``--set optim.lr=3e-4 --set data.crop=128``.
An unknown section or key is an error that lists the keys that exist.
"""

import dataclasses
import json
import math
import os
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vs_vhdr.data.config import DataConfig
from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError


@dataclass(frozen=True)
class ModelConfig:
    """Which network to train and where its weights start."""

    name: str = "c3ded"
    """Registered model name (``c3d``, ``dc3d``, ``c3ded``, ``-m`` variants, plugin models)."""
    init: str = ""
    """Weights to start from: a registered name with weights or a weights file; empty = random."""
    arguments: tuple[str, ...] = ()
    """Constructor arguments as ``name=value`` (a TOML value), e.g. ``["residual_bound=4.0"]``
    for ``pmunet``; with ``init``, its weights are loaded into the network built with them."""
    freeze_encoder: bool = False
    """Keep the encoder's parameters fixed (fine-tuning); see docs/training.md for which layers."""


@dataclass(frozen=True)
class LossConfig:
    """L_Content (Eq. 2) or L_VHDR (Eq. 8) and their weights λ1..λ4."""

    kind: str = "vhdr"
    """``content`` (λ1·L1 + λ2·L_VGG) or ``vhdr`` (adds λ3·L_SM + λ4·L_LM)."""
    l1: float = 1.0
    """λ1."""
    vgg: float = 0.01
    """λ2; the term is off (recorded in the run) when ``vgg_weights`` is empty."""
    sm: float = 0.001
    """λ3, short-term temporal loss."""
    lm: float = 0.001
    """λ4, long-term temporal loss."""
    vgg_weights: str = ""
    """Path of torchvision VGG16 ImageNet weights (``vgg16-397923af.pth``)."""
    motion: float = 0.0
    """Weight of the exact-motion temporal loss (``vs_vhdr.losses.motion``, beyond the paper):
    frame-to-frame change along the simulator's known motion against the truth's; 0 = off."""
    pu21: float = 0.0
    """Weight of the PU21 content loss (``vs_vhdr.losses.pu21``, beyond the paper): L1 of PU21
    luminance / 256, the units of the PU21-PSNR metric, which weigh highlights; 0 = off."""
    overshoot: float = 0.0
    """Weight of the overshoot loss (``vs_vhdr.losses.overshoot``, beyond the paper): log
    luminance above 1.5× the truth's, which pulls guessed highlights below it; 0 = off."""


@dataclass(frozen=True)
class OptimConfig:
    """Adam and the batch."""

    lr: float = 1e-4
    batch: int = 4
    """Global batch: split evenly over the processes of a torchrun job."""
    beta1: float = 0.9
    beta2: float = 0.999
    weight_decay: float = 0.0
    grad_clip: float = 0.0
    """Clip the gradient norm to this value; 0 = off."""
    schedule: str = "constant"
    """Learning rate over the run: ``constant`` (``lr`` throughout) or ``cosine`` (``lr`` until
    step ``decay_start``, then a half cosine down to ``lr_min`` at ``run.steps``)."""
    lr_min: float = 0.0
    """The learning rate a ``cosine`` schedule ends at (run.steps)."""
    decay_start: int = 0
    """The step at which a ``cosine`` schedule starts to decay."""


@dataclass(frozen=True)
class RunConfig:
    """Length, intervals, seed and device."""

    steps: int = 1000
    checkpoint_every: int = 100
    val_every: int = 100
    """Validate on the held-out samples every N steps (and at the end); 0 = never."""
    log_every: int = 1
    seed: int = 0
    device: str = "auto"
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (under torchrun the local rank picks the GPU)."""
    precision: str = "fp32"
    """``fp32``, or ``bf16`` (autocast of the network's forward pass; loss and Adam in fp32)."""
    export_dtype: str = "float32"
    """Storage type of the exported weights: ``float32``, ``float16`` or ``bfloat16``."""
    progress: bool = True
    time_limit_s: float = 0.0
    """Stop after this many seconds of training in this process (checkpoint, validate and export
    the weights reached, so a lease or a session ends with usable weights); ``--resume``
    continues. 0 = no limit."""


@dataclass(frozen=True)
class TrainConfig:
    """The whole configuration of one training run."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)


SECTIONS: dict[str, type] = {
    "model": ModelConfig,
    "data": DataConfig,
    "loss": LossConfig,
    "optim": OptimConfig,
    "run": RunConfig,
}


def all_keys() -> list[str]:
    """Every ``section.key`` a config accepts."""
    return [f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)]


def load_config(path: str | os.PathLike[str] | None, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a TOML config (None = defaults), apply ``key=value`` overrides and validate.

    Raises:
        UnreadableFileError: the file is missing or not TOML.
        InvalidArgumentError: unknown key, wrong type or an out-of-range value.
    """
    table = read_table(path) if path is not None else {}
    apply_overrides(table, overrides)
    return from_dict(table)


def read_table(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The raw ``{section: {key: value}}`` of a TOML file (checked later by :func:`from_dict`)."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as error:
        raise UnreadableFileError(f"train config: cannot read {p} ({error})") from error
    except tomllib.TOMLDecodeError as error:
        raise UnreadableFileError(f"train config: {p} is not valid TOML ({error})") from error


def apply_overrides(table: dict[str, Any], overrides: Sequence[str]) -> None:
    """Set each ``section.key=value`` (a TOML value, or a bare string) in ``table``."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep:
            raise InvalidArgumentError(f"--set {item!r}: expected section.key=value")
        section, _, name = key.strip().partition(".")
        _check_key(section, name)
        table.setdefault(section, {})[name] = _parse_value(text.strip())


def from_dict(table: dict[str, Any]) -> TrainConfig:
    """Build and validate a config from nested ``{section: {key: value}}`` (missing = default)."""
    sections: dict[str, Any] = {}
    for section, values in table.items():
        if section not in SECTIONS:
            _check_key(section, "")
        if not isinstance(values, dict):
            raise InvalidArgumentError(f"train config: [{section}] must be a table of keys")
        cls = SECTIONS[section]
        types_ = typing.get_type_hints(cls)
        kwargs = {}
        for name, value in values.items():
            _check_key(section, name)
            kwargs[name] = _coerce(f"{section}.{name}", value, types_[name])
        sections[section] = cls(**kwargs)
    config = TrainConfig(**sections)
    validate(config)
    return config


def to_dict(config: TrainConfig) -> dict[str, dict[str, Any]]:
    """Nested plain dict (tuples become lists), e.g. for JSON or TOML."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def to_toml(config: TrainConfig) -> str:
    """The resolved config as TOML text that :func:`load_config` reads back to an equal config."""
    lines = ["# Resolved vhdr training config (every key, defaults included)."]
    for section, values in to_dict(config).items():
        lines.append(f"\n[{section}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def diff(a: TrainConfig, b: TrainConfig) -> list[str]:
    """``section.key`` names whose values differ between two configs."""
    da, db = to_dict(a), to_dict(b)
    return [f"{s}.{k}" for s in da for k in da[s] if da[s][k] != db[s][k]]


def validate(config: TrainConfig) -> None:
    """Range checks that no type can express; raises ``InvalidArgumentError``."""
    d, o, r, loss = config.data, config.optim, config.run, config.loss
    checks = [
        (
            all(_argument(item) is not None for item in config.model.arguments),
            "model.arguments",
            config.model.arguments,
            "name=value strings (value a TOML number, bool or quoted string)",
        ),
        (d.frames >= 2, "data.frames", d.frames, "an integer >= 2"),
        (d.crop >= 4 and d.crop % 2 == 0, "data.crop", d.crop, "an even integer >= 4"),
        (d.samples >= 1, "data.samples", d.samples, "an integer >= 1"),
        (len(d.shots) > 0, "data.shots", d.shots, "at least one shot"),
        (len(d.masks) > 0, "data.masks", d.masks, "at least one mask source"),
        (
            len(d.mask_weights) == len(d.masks) and all(w >= 0 for w in d.mask_weights),
            "data.mask_weights",
            d.mask_weights,
            f"{len(d.masks)} non-negative weights, one per entry of data.masks",
        ),
        (sum(d.mask_weights) > 0, "data.mask_weights", d.mask_weights, "a positive sum"),
        (d.val_samples >= 0, "data.val_samples", d.val_samples, "an integer >= 0"),
        (d.workers >= 0, "data.workers", d.workers, "an integer >= 0"),
        (loss.kind in ("content", "vhdr"), "loss.kind", loss.kind, "'content' or 'vhdr'"),
        (
            loss.motion >= 0 and math.isfinite(loss.motion),
            "loss.motion",
            loss.motion,
            "a number >= 0",
        ),
        (
            loss.pu21 >= 0 and math.isfinite(loss.pu21),
            "loss.pu21",
            loss.pu21,
            "a number >= 0",
        ),
        (
            loss.overshoot >= 0 and math.isfinite(loss.overshoot),
            "loss.overshoot",
            loss.overshoot,
            "a number >= 0",
        ),
        (o.lr > 0 and math.isfinite(o.lr), "optim.lr", o.lr, "a positive number"),
        (o.batch >= 1, "optim.batch", o.batch, "an integer >= 1"),
        (
            o.schedule in ("constant", "cosine"),
            "optim.schedule",
            o.schedule,
            "'constant' or 'cosine'",
        ),
        (0 <= o.lr_min <= o.lr, "optim.lr_min", o.lr_min, f"a number in [0, optim.lr={o.lr}]"),
        (
            0 <= o.decay_start < r.steps,
            "optim.decay_start",
            o.decay_start,
            f"a step in [0, run.steps={r.steps})",
        ),
        (r.steps >= 1, "run.steps", r.steps, "an integer >= 1"),
        (r.checkpoint_every >= 1, "run.checkpoint_every", r.checkpoint_every, "an integer >= 1"),
        (r.val_every >= 0, "run.val_every", r.val_every, "an integer >= 0"),
        (r.log_every >= 1, "run.log_every", r.log_every, "an integer >= 1"),
        (
            r.time_limit_s >= 0 and math.isfinite(r.time_limit_s),
            "run.time_limit_s",
            r.time_limit_s,
            "seconds >= 0 (0 = no limit)",
        ),
        (r.precision in ("fp32", "bf16"), "run.precision", r.precision, "'fp32' or 'bf16'"),
        (
            r.export_dtype in ("float32", "float16", "bfloat16"),
            "run.export_dtype",
            r.export_dtype,
            "'float32', 'float16' or 'bfloat16'",
        ),
    ]
    for ok, key, value, expected in checks:
        if not ok:
            raise InvalidArgumentError(f"train config: {key}={value!r}; expected {expected}")


def model_arguments(config: ModelConfig) -> dict[str, Any]:
    """``model.arguments`` as constructor keyword arguments, e.g. ``{"residual_bound": 4.0}``."""
    arguments = {}
    for item in config.arguments:
        pair = _argument(item)
        if pair is None:
            raise InvalidArgumentError(
                f"train config: model.arguments item {item!r}; expected name=value"
            )
        arguments[pair[0]] = pair[1]
    return arguments


def _argument(item: str) -> tuple[str, Any] | None:
    """``name=value`` → ``(name, value)`` with a TOML scalar value; None when malformed."""
    name, sep, text = item.partition("=")
    if not sep or not name.strip().isidentifier():
        return None
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return (name.strip(), value) if isinstance(value, bool | int | float | str) else None


def _check_key(section: str, name: str) -> None:
    if section not in SECTIONS:
        raise InvalidArgumentError(
            f"train config: unknown section {section!r}; known keys: {', '.join(all_keys())}"
        )
    names = [f.name for f in dataclasses.fields(SECTIONS[section])]
    if name not in names:
        raise InvalidArgumentError(
            f"train config: unknown key {section}.{name}; known keys: {', '.join(all_keys())}"
        )


def _parse_value(text: str) -> Any:
    """A TOML value (number, bool, quoted string, array); anything else is a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _coerce(key: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise InvalidArgumentError(f"train config: {key}={value!r}; expected a list")
        return tuple(_coerce(key, v, item) for v in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    name = hint.__name__ if isinstance(hint, type | types.GenericAlias) else str(hint)
    raise InvalidArgumentError(f"train config: {key}={value!r}; expected {name}")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise InvalidArgumentError(f"to_toml: cannot write {value!r}")
