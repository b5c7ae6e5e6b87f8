"""Weights records: round trip, storage types, and clear errors for files that do not fit."""

import json
from pathlib import Path

import pytest
import safetensors.torch
import torch

from vs_vhdr.errors import IncompatibleWeightsError, OutputExistsError, UnreadableFileError
from vs_vhdr.nets import (
    C3D,
    DC3D,
    create_model,
    load_weights,
    prepare_input,
    read_weights,
    save_weights,
)
from vs_vhdr.nets.weights import METADATA_KEY, SCHEMA, quality_warning


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    torch.manual_seed(0)
    model = create_model("c3ded-m", weights=False)
    path = tmp_path_factory.mktemp("w") / "c3ded-m.safetensors"
    save_weights(
        model,
        path,
        cfa="GRBG",
        window=8,
        training={"shots": ["forest"], "losses": "L_VHDR"},
        metrics={"log_mae": 0.25},
    )
    return model, path


def test_round_trip_rebuilds_the_architecture_from_the_record(saved) -> None:
    original, path = saved
    loaded = create_model(path)
    assert loaded.spec.name == "c3ded-m" and loaded.spec.weights_loaded
    raw, mask = torch.rand(1, 2, 6, 6), torch.rand(6, 6)
    x = prepare_input(raw, mask, "GRBG", loaded.spec)
    with torch.no_grad():
        assert torch.equal(loaded(x), original(x))
    assert create_model(str(path)).spec.weights_source == str(path)


def test_record_carries_the_input_contract(saved) -> None:
    _, path = saved
    record, tensors = read_weights(path)
    assert record.schema == SCHEMA == "vhdr.Weights/1"
    assert record.architecture == "c3ded-m" and record.family == "c3ded"
    assert record.mask_conditioned and record.in_channels == 6
    assert record.input["cfa"] == "GRBG" and record.input["window"] == 8
    assert record.output["units"] == "log(x+0.0001), exposure-normalised"
    assert record.training["shots"] == ["forest"] and record.metrics == {"log_mae": 0.25}
    assert record.torch_version == torch.__version__.split("+")[0]
    assert all(t.dtype == torch.float32 for t in tensors.values())
    # the record is plain JSON in the safetensors header: readable without vhdr
    with safetensors.safe_open(str(path), framework="pt") as handle:
        assert json.loads(handle.metadata()[METADATA_KEY])["architecture"] == "c3ded-m"


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_storage_loads_as_float32(tmp_path: Path, dtype: str) -> None:
    model = C3D()
    save_weights(model, tmp_path / "half.safetensors", dtype=dtype)
    save_weights(model, tmp_path / "full.safetensors")
    assert (tmp_path / "half.safetensors").stat().st_size < 0.6 * (
        tmp_path / "full.safetensors"
    ).stat().st_size
    loaded = create_model(tmp_path / "half.safetensors")
    assert loaded.weights_record.dtype == dtype
    for a, b in zip(model.parameters(), loaded.parameters()):
        assert b.dtype == torch.float32
        torch.testing.assert_close(b, a, rtol=1e-2, atol=1e-3)


def test_wrong_architecture_is_refused(tmp_path: Path) -> None:
    save_weights(C3D(), tmp_path / "c3d.safetensors")
    with pytest.raises(
        IncompatibleWeightsError, match="architecture 'c3d', but the model is 'dc3d'"
    ):
        load_weights(tmp_path / "c3d.safetensors", DC3D())
    with pytest.raises(IncompatibleWeightsError, match="'c3d', but the model is 'c3ded'"):
        create_model("c3ded", weights=tmp_path / "c3d.safetensors")


def test_other_constructor_arguments_are_refused(tmp_path: Path) -> None:
    save_weights(DC3D(temporal_dilation=1), tmp_path / "dc3d.safetensors")
    with pytest.raises(IncompatibleWeightsError, match="temporal_dilation"):
        load_weights(tmp_path / "dc3d.safetensors", DC3D())
    assert create_model(tmp_path / "dc3d.safetensors").spec.kwargs == {"temporal_dilation": 1}


def _rewrite(path: Path, target: Path, change) -> None:
    """Copy a weights file, letting ``change(tensors, record)`` edit it."""
    with safetensors.safe_open(str(path), framework="pt") as handle:
        record = json.loads(handle.metadata()[METADATA_KEY])
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    change(tensors, record)
    safetensors.torch.save_file(tensors, str(target), metadata={METADATA_KEY: json.dumps(record)})


def test_shape_mismatch_names_the_tensor(tmp_path: Path) -> None:
    save_weights(C3D(), tmp_path / "ok.safetensors")

    def shrink(tensors, record):
        tensors["layers.0.weight"] = tensors["layers.0.weight"][:32].clone()
        del tensors["layers.9.bias"]

    _rewrite(tmp_path / "ok.safetensors", tmp_path / "bad.safetensors", shrink)
    with pytest.raises(
        IncompatibleWeightsError, match=r"2 tensor problems: missing layers.9.bias;"
    ):
        create_model(tmp_path / "bad.safetensors")


def test_damaged_and_foreign_files_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "ok.safetensors"
    save_weights(C3D(), good)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(IncompatibleWeightsError, match="not a readable safetensors file"):
        create_model(truncated)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00\x01not a safetensors file at all")
    with pytest.raises(IncompatibleWeightsError, match="not a readable safetensors file"):
        create_model(garbage)
    plain = tmp_path / "plain.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(IncompatibleWeightsError, match="has no vhdr.Weights/1 record"):
        create_model(plain)
    newer = tmp_path / "newer.safetensors"
    _rewrite(good, newer, lambda tensors, record: record.update(schema="vhdr.Weights/9"))
    with pytest.raises(IncompatibleWeightsError, match="schema 'vhdr.Weights/9'; expected"):
        create_model(newer)
    with pytest.raises(UnreadableFileError, match="does not exist"):
        create_model(tmp_path / "missing.safetensors")


def test_save_is_atomic_and_does_not_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_weights(C3D(), path)
    before = path.read_bytes()
    with pytest.raises(OutputExistsError):
        save_weights(C3D(), path)
    assert path.read_bytes() == before
    save_weights(C3D(), path, force=True)
    assert path.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.safetensors"]  # no temp files left


@pytest.mark.parametrize(
    ("validation", "baseline", "warned"),
    [(20.8, 29.0, True), (29.2, 27.1, False), (None, 27.1, False)],
)
def test_quality_warning_compares_validation_with_the_baseline(
    tmp_path: Path, validation: float | None, baseline: float, warned: bool
) -> None:
    """Weights whose own validation is below the naive baseline are flagged; others are not."""
    scores = {} if validation is None else {"validation": {"pu21_psnr": validation}}
    path = tmp_path / "c3d.safetensors"
    save_weights(C3D(), path, metrics={**scores, "naive_baseline": {"pu21_psnr": baseline}})
    warning = quality_warning(create_model(path))
    assert (warning is not None) == warned
    if warned:
        assert "'c3d'" in str(warning) and "20.8" in str(warning) and "29.0" in str(warning)


def test_quality_warning_for_random_weights() -> None:
    assert "no trained weights" in str(quality_warning(create_model("c3d", weights=False)))


def test_pmunet_records_its_residual_bound(tmp_path: Path) -> None:
    from vs_vhdr.nets.pmunet import PMUNet

    save_weights(PMUNet(residual_bound=4.0), tmp_path / "b4.safetensors")
    assert create_model(tmp_path / "b4.safetensors").residual_bound == 4.0
    with pytest.raises(IncompatibleWeightsError, match="residual_bound"):
        load_weights(tmp_path / "b4.safetensors", PMUNet(residual_bound=1.5))


def test_pmunet_files_from_before_the_bound_was_recorded_load_at_1_5(tmp_path: Path) -> None:
    from vs_vhdr.nets.pmunet import PMUNet

    save_weights(PMUNet(residual_bound=1.5), tmp_path / "now.safetensors")
    _rewrite(
        tmp_path / "now.safetensors",
        tmp_path / "old.safetensors",
        lambda tensors, record: record.update(kwargs={}),
    )
    old = {"residual_bound": 1.5, "time_padding": "zeros"}
    assert read_weights(tmp_path / "old.safetensors")[0].kwargs == old
    assert create_model(tmp_path / "old.safetensors").residual_bound == 1.5


def test_pmunet_records_its_time_padding(tmp_path: Path) -> None:
    from vs_vhdr.nets.pmunet import PMUNet

    save_weights(PMUNet(time_padding="replicate"), tmp_path / "rep.safetensors")
    assert create_model(tmp_path / "rep.safetensors").time_padding == "replicate"
    with pytest.raises(IncompatibleWeightsError, match="time_padding"):
        load_weights(tmp_path / "rep.safetensors", PMUNet(time_padding="zeros"))
    save_weights(PMUNet(residual_bound=2.0), tmp_path / "b2.safetensors")
    _rewrite(  # a file from before time_padding was recorded
        tmp_path / "b2.safetensors",
        tmp_path / "b2-old.safetensors",
        lambda tensors, record: record.update(kwargs={"residual_bound": 2.0}),
    )
    assert create_model(tmp_path / "b2-old.safetensors").time_padding == "zeros"
