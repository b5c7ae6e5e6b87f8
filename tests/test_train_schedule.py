"""The learning-rate schedule: constant, or held then a half cosine down to lr_min."""

import math

import pytest

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.train.config import OptimConfig, load_config
from vs_vhdr.train.schedule import learning_rate


def test_constant_is_lr_at_every_step() -> None:
    optim = OptimConfig(lr=3e-4)
    assert {learning_rate(optim, step, 100) for step in range(0, 150, 7)} == {3e-4}


def test_cosine_holds_then_decays_monotonically_to_lr_min() -> None:
    optim = OptimConfig(lr=1e-3, schedule="cosine", lr_min=1e-5, decay_start=40)
    rates = [learning_rate(optim, step, 140) for step in range(0, 141)]
    assert rates[:41] == [1e-3] * 41
    assert all(a > b for a, b in zip(rates[40:], rates[41:], strict=False))
    assert rates[90] == pytest.approx((1e-3 + 1e-5) / 2)  # half way: the cosine's midpoint
    assert rates[140] == pytest.approx(1e-5)
    assert learning_rate(optim, 500, 140) == pytest.approx(1e-5)  # held beyond run.steps
    assert all(math.isfinite(r) for r in rates)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["optim.schedule=linear"], "optim.schedule"),
        (["optim.lr=1e-4", "optim.lr_min=1e-3"], "optim.lr_min"),
        (["optim.lr_min=-1e-6"], "optim.lr_min"),
        (["run.steps=100", "optim.decay_start=100"], "optim.decay_start"),
        (["optim.decay_start=-1"], "optim.decay_start"),
    ],
)
def test_bad_schedules_are_named(overrides: list[str], key: str) -> None:
    with pytest.raises(InvalidArgumentError, match=key.replace(".", r"\.")):
        load_config(None, overrides)
