"""Weights records: a safetensors file (no pickle) with a ``vhdr.Weights/1`` JSON record.

The record travels in the safetensors metadata under the key ``vhdr.weights`` and carries the
model's input contract as well as the tensors' provenance::

    {"schema": "vhdr.Weights/1", "architecture": "c3ded", "kwargs": {},
     "family": "c3ded", "mask_conditioned": false, "in_channels": 3,
     "input": {"cfa": "RGGB", "window": 8, "raw": "...", "mask": "..."},
     "output": {"units": "log(x+1e-4), exposure-normalised", "channels": 3},
     "training": {...}, "metrics": {...}, "dtype": "float16",
     "torch_version": "2.14.1", "vhdr_version": "0.1.0"}

Tensors may be stored as float32, float16 or bfloat16; they are loaded as float32. Shipped
weights live in ``models/NAME.safetensors`` (installed as ``vs_vhdr/_models/``).
"""

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch
from torch import nn

import vs_vhdr
from vs_vhdr.errors import IncompatibleWeightsError, InvalidArgumentError, UnreadableFileError
from vs_vhdr.imaging.cfa import check_cfa
from vs_vhdr.io.atomic import atomic_path
from vs_vhdr.nets.base import ModelSpec
from vs_vhdr.units import LOG_EPS

SCHEMA = "vhdr.Weights/1"
METADATA_KEY = "vhdr.weights"
OUTPUT_UNITS = f"log(x+{LOG_EPS:g}), exposure-normalised"
RAW_UNITS = "coded raw mosaic in [0, 1] (black subtracted, divided by white - black), spread by CFA"
MASK_UNITS = "transmittance in [0, 1], spread by CFA as channels 3-5"
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
SHIPPED_DIRS = (
    Path(vs_vhdr.__file__).resolve().parent / "_models",
    Path(vs_vhdr.__file__).resolve().parent.parent / "models",
)
"""Where shipped weights are looked for: installed package data, then the source tree."""
ARGUMENTS_BEFORE_RECORDED: dict[str, dict[str, Any]] = {
    "pmunet": {"residual_bound": 1.5, "time_padding": "zeros"}
}
"""Constructor arguments an architecture gained after weights were published, with the value
every older file was trained at; a record without them reads as having these values."""


@dataclass(frozen=True)
class WeightsRecord:
    """The JSON record stored with the tensors (schema ``vhdr.Weights/1``)."""

    architecture: str
    kwargs: dict[str, Any]
    family: str
    mask_conditioned: bool
    in_channels: int
    input: dict[str, Any]
    output: dict[str, Any]
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    dtype: str = "float32"
    torch_version: str = ""
    vhdr_version: str = ""
    schema: str = SCHEMA

    def to_json(self) -> str:
        """The record as compact, key-sorted JSON."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


def save_weights(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    cfa: str = "RGGB",
    window: int = 8,
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    dtype: str = "float32",
    force: bool = False,
) -> WeightsRecord:
    """Write ``model``'s parameters and its record to ``path`` (atomically).

    Args:
        model: a network with ``model.spec`` (:class:`ModelSpec`).
        path: target ``.safetensors`` file; its folder must exist.
        cfa: CFA the model was trained for; window: frames per network window in training.
        training: JSON-serialisable description of data and recipe (shots, masks, losses, ...).
        metrics: JSON-serialisable evaluation results.
        dtype: storage type, ``float32``, ``float16`` or ``bfloat16``.
        force: replace an existing file.

    Returns:
        The record written.
    """
    spec = _spec_of(model, "save_weights")
    if dtype not in DTYPES:
        raise InvalidArgumentError(
            f"save_weights: dtype={dtype!r}; expected one of {', '.join(DTYPES)}"
        )
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise InvalidArgumentError(f"save_weights: window={window!r}; expected an integer >= 1")
    record = WeightsRecord(
        architecture=spec.name,
        kwargs=dict(spec.kwargs),
        family=spec.family,
        mask_conditioned=spec.mask_conditioned,
        in_channels=spec.in_channels,
        input={
            "cfa": check_cfa(cfa, "save_weights"),
            "window": window,
            "raw": RAW_UNITS,
            "mask": MASK_UNITS if spec.mask_conditioned else "not an input",
        },
        output={"units": OUTPUT_UNITS, "channels": spec.out_channels},
        training=dict(training or {}),
        metrics=dict(metrics or {}),
        dtype=dtype,
        torch_version=torch.__version__.split("+")[0],
        vhdr_version=vs_vhdr.__version__,
    )
    try:
        text = record.to_json()
    except TypeError as error:
        raise InvalidArgumentError(
            f"save_weights: training/metrics must be JSON-serialisable ({error})"
        ) from None
    tensors = {
        key: value.detach().to(device="cpu", dtype=DTYPES[dtype]).contiguous().clone()
        for key, value in model.state_dict().items()
    }
    with atomic_path(path, force=force) as tmp:
        safetensors.torch.save_file(tensors, str(tmp), metadata={METADATA_KEY: text})
    return record


def read_weights(path: str | os.PathLike[str]) -> tuple[WeightsRecord, dict[str, torch.Tensor]]:
    """Read and check a weights file: its record and its tensors (floating ones as float32)."""
    file = Path(path)
    if not file.is_file():
        raise UnreadableFileError(f"load_weights: {file} does not exist or is not a file")
    try:
        with safetensors.safe_open(str(file), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except Exception as error:  # safetensors raises several types for a damaged file
        raise IncompatibleWeightsError(
            f"load_weights: {file} is not a readable safetensors file ({error})"
        ) from None
    if METADATA_KEY not in metadata:
        raise IncompatibleWeightsError(
            f"load_weights: {file} has no {SCHEMA} record (metadata key {METADATA_KEY!r});"
            " expected a file written by vs_vhdr.nets.save_weights"
        )
    record = _parse_record(metadata[METADATA_KEY], file)
    return record, {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}


def load_weights(path: str | os.PathLike[str], model: nn.Module) -> nn.Module:
    """Load a weights file into ``model`` after checking architecture, arguments and shapes.

    Sets ``model.spec.weights_loaded`` / ``weights_source`` and ``model.weights_record``.
    Returns ``model``.
    """
    spec = _spec_of(model, "load_weights")
    record, tensors = read_weights(path)
    if record.architecture != spec.name:
        raise IncompatibleWeightsError(
            f"load_weights: {path} holds weights for architecture {record.architecture!r}, but"
            f" the model is {spec.name!r}; build it with create_model({str(path)!r})"
        )
    if _canonical(record.kwargs) != _canonical(spec.kwargs):
        raise IncompatibleWeightsError(
            f"load_weights: {path} was saved from {record.architecture} with arguments"
            f" {record.kwargs}, but the model has {spec.kwargs}"
        )
    expected = model.state_dict()
    problems = [f"missing {key}" for key in expected if key not in tensors]
    problems += [f"unexpected {key}" for key in tensors if key not in expected]
    problems += [
        f"{key}: file {tuple(tensors[key].shape)} vs model {tuple(value.shape)}"
        for key, value in expected.items()
        if key in tensors and tensors[key].shape != value.shape
    ]
    if problems:
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if problems[3:] else ""
        )
        raise IncompatibleWeightsError(
            f"load_weights: {path} does not fit {spec.name} ({len(problems)} tensor problems: {shown})"
        )
    model.load_state_dict(tensors)
    setattr(model, "spec", replace(spec, weights_loaded=True, weights_source=str(path)))  # noqa: B010
    setattr(model, "weights_record", record)  # noqa: B010
    return model


def quality_warning(model: nn.Module) -> str | None:
    """Why ``model``'s output should not be trusted, or None.

    Two cases: no weights were loaded (random initialisation), or the weights' own record shows
    a validation PU21-PSNR below the naive baseline's on the same held-out samples (a briefly
    trained model; its card in ``models/`` says more).
    """
    spec: Any = getattr(model, "spec", None)
    name = getattr(spec, "name", type(model).__name__)
    if spec is not None and not spec.weights_loaded:
        return f"model {name!r} has no trained weights (random-initialised)"
    record: WeightsRecord | None = getattr(model, "weights_record", None)
    if record is None:
        return None
    validation = record.metrics.get("validation") or {}
    baseline = record.metrics.get("naive_baseline") or {}
    score, floor = validation.get("pu21_psnr"), baseline.get("pu21_psnr")
    if score is None or floor is None or score >= floor:
        return None
    return (
        f"model {name!r}'s weights score below the naive baseline in their own validation "
        f"(PU21-PSNR {score:.1f} dB against {floor:.1f} dB): briefly trained, see its model card"
    )


def shipped_weights_path(name: str) -> Path | None:
    """The shipped ``NAME.safetensors`` (package data first, then ``models/``), or None."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name[0] == ".":
        raise InvalidArgumentError(f"shipped_weights_path: name={name!r}; expected a model name")
    for folder in SHIPPED_DIRS:
        candidate = folder / f"{name}.safetensors"
        if candidate.is_file():
            return candidate
    return None


def _spec_of(model: nn.Module, func: str) -> ModelSpec:
    spec = getattr(model, "spec", None)
    if not isinstance(spec, ModelSpec):
        raise InvalidArgumentError(
            f"{func}: model is a {type(model).__name__} without a ModelSpec in model.spec;"
            " expected a model from vs_vhdr.create_model"
        )
    return spec


def _canonical(kwargs: dict[str, Any]) -> str:
    return json.dumps(kwargs, sort_keys=True)


def _parse_record(text: str, file: Path) -> WeightsRecord:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise IncompatibleWeightsError(
            f"load_weights: {file} has a damaged record ({error})"
        ) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else data
        raise IncompatibleWeightsError(
            f"load_weights: {file} has record schema {found!r}; expected {SCHEMA!r}"
        )
    try:
        record = WeightsRecord(**data)
    except TypeError as error:
        raise IncompatibleWeightsError(
            f"load_weights: {file} has an incomplete {SCHEMA} record ({error})"
        ) from None
    if not isinstance(record.kwargs, dict):
        raise IncompatibleWeightsError(
            f"load_weights: {file} records kwargs={record.kwargs!r}; expected an object"
        )
    older = ARGUMENTS_BEFORE_RECORDED.get(record.architecture, {})
    return replace(record, kwargs={**older, **record.kwargs})
