"""The held-out scenes: bundled maps, never in a shipped training config's shots."""

from pathlib import Path

import pytest

from vs_vhdr.data.shots import content_id
from vs_vhdr.scenes.holdout import HELDOUT_SCENES, TRAINING_MAPS
from vs_vhdr.scenes.shots import builtin_names
from vs_vhdr.train.config import load_config

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.toml"))


def test_heldout_and_training_maps_split_the_bundled_maps() -> None:
    assert HELDOUT_SCENES == ("builtin:forest", "builtin:city", "builtin:hall")
    held = {spec.split(":", 1)[1] for spec in HELDOUT_SCENES}
    assert held <= set(builtin_names())
    assert held.isdisjoint(TRAINING_MAPS)
    assert held | set(TRAINING_MAPS) == set(builtin_names())


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_no_config_trains_on_a_heldout_scene(path: Path) -> None:
    config = load_config(path)
    trained = {content_id(spec) for spec in config.data.shots}
    leaked = trained & {content_id(spec) for spec in HELDOUT_SCENES}
    assert not leaked, f"{path.name} trains on held-out {sorted(leaked)}"
