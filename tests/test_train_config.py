"""Training config: TOML in, --set overrides, clear errors for unknown keys and bad values."""

import pytest

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.train.config import TrainConfig, all_keys, diff, load_config, to_toml


def test_defaults_follow_the_paper():
    config = load_config(None)
    assert config.optim.lr == 1e-4 and config.optim.batch == 4
    assert config.data.frames == 8
    assert config.data.masks == ("uniform", "lowfreq") and config.data.mask_weights == (0.5, 0.5)
    assert (config.loss.l1, config.loss.vgg, config.loss.sm, config.loss.lm) == (
        1.0,
        0.01,
        0.001,
        0.001,
    )


def test_toml_and_overrides_are_typed(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[model]\nname = "dc3d"\n[data]\ncrop = 32\nshots = ["procedural:day@3"]\n')
    config = load_config(
        path,
        [
            "optim.lr=3e-4",
            "data.masks=uniform,binary",
            "data.mask_weights=[1, 3]",
            "run.progress=false",
            "data.exposure=2.5",
        ],
    )
    assert config.model.name == "dc3d"
    assert config.data.crop == 32 and config.data.shots == ("procedural:day@3",)
    assert config.optim.lr == 3e-4
    assert config.data.masks == ("uniform", "binary")
    assert config.data.mask_weights == (1.0, 3.0)
    assert config.run.progress is False
    assert config.data.exposure == "2.5"


def test_resolved_toml_reads_back_equal(tmp_path):
    config = load_config(None, ["data.crop=128", "loss.kind=content", "run.seed=7"])
    path = tmp_path / "resolved.toml"
    path.write_text(to_toml(config))
    assert load_config(path) == config
    assert diff(config, TrainConfig()) == ["data.crop", "loss.kind", "run.seed"]


def test_unknown_key_lists_the_known_keys():
    with pytest.raises(InvalidArgumentError) as error:
        load_config(None, ["optim.learning_rate=1"])
    message = str(error.value)
    assert "optim.learning_rate" in message
    assert all(key in message for key in all_keys())


def test_unknown_section_in_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[trainer]\nsteps = 3\n")
    with pytest.raises(InvalidArgumentError, match="unknown section 'trainer'.*run.steps"):
        load_config(path)


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ("data.crop=31", "data.crop=31; expected an even integer"),
        ("optim.batch=two", "optim.batch='two'; expected int"),
        ("loss.kind=mse", "loss.kind='mse'"),
        ("data.mask_weights=[1]", "data.mask_weights"),
        ("run.steps=0", "run.steps=0"),
        ("noequals", "expected section.key=value"),
    ],
)
def test_bad_values_are_named(override, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        load_config(None, [override])


def test_unreadable_files(tmp_path):
    with pytest.raises(UnreadableFileError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[data\ncrop = 3")
    with pytest.raises(UnreadableFileError, match="not valid TOML"):
        load_config(bad)


@pytest.mark.parametrize(
    "override",
    [
        "run.time_limit_s=-1",
        "loss.motion=-0.5",
        "loss.motion=inf",
        "loss.pu21=-1",
        "loss.overshoot=-1",
        "loss.overshoot=nan",
    ],
)
def test_time_limit_and_loss_weights_must_be_non_negative(override: str) -> None:
    key = override.split("=")[0]
    with pytest.raises(InvalidArgumentError, match=key.replace(".", r"\.")):
        load_config(None, [override])


def test_model_arguments_build_the_network_and_take_init_tensors(tmp_path):
    """A warm start into another constructor argument: pmunet's residual bound 1.5 -> 4.0."""
    import torch

    from vs_vhdr.nets import create_model, save_weights
    from vs_vhdr.train.build import build_model

    torch.manual_seed(0)
    start = create_model("pmunet", weights=False, residual_bound=1.5)
    save_weights(start, tmp_path / "start.safetensors")
    config = load_config(
        None,
        [
            "model.name=pmunet",
            f"model.init={tmp_path / 'start.safetensors'}",
            "model.arguments=residual_bound=4.0",
        ],
    )
    assert config.model.arguments == ("residual_bound=4.0",)
    model = build_model(config.model)
    assert model.residual_bound == 4.0 and model.spec.kwargs == {
        "residual_bound": 4.0,
        "time_padding": "replicate",
    }
    assert model.spec.weights_loaded
    for (name, value), (_, expected) in zip(model.state_dict().items(), start.state_dict().items()):
        assert torch.equal(value, expected), name
    fresh = load_config(None, ["model.name=pmunet", 'model.arguments=["residual_bound=2"]'])
    assert build_model(fresh.model).residual_bound == 2.0


@pytest.mark.parametrize("item", ["residual_bound", "=4", "bound=[1, 2]", "2x=1"])
def test_malformed_model_arguments_are_named(item):
    with pytest.raises(InvalidArgumentError, match="model.arguments"):
        load_config(None, [f'model.arguments=["{item}"]'])


def test_model_arguments_the_network_refuses_are_named():
    from vs_vhdr.train.build import build_model

    config = load_config(None, ["model.name=pmunet", "model.arguments=residual_bound=-1"])
    with pytest.raises(InvalidArgumentError, match="residual_bound=-1"):
        build_model(config.model)
