"""Training samples: deterministic from (seed, index), sharded sampling, split, fixed sets."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from vs_vhdr.data.config import DataConfig
from vs_vhdr.data.dataset import SimulatedClips
from vs_vhdr.data.fixed import FixedClips, write_fixed_set
from vs_vhdr.data.sampler import StepSampler
from vs_vhdr.data.shots import content_id, open_shots
from vs_vhdr.errors import InvalidArgumentError, NoMatchingFilesError, OutputExistsError
from vs_vhdr.imaging.capture import CaptureRecord, replay
from vs_vhdr.io.exr import write_exr
from vs_vhdr.train.config import load_config
from vs_vhdr.train.data import build_data

SMALL = DataConfig(
    shots=("procedural:day@1", "builtin:courtyard"),
    holdout=("builtin:forest",),
    frames=4,
    crop=12,
    samples=6,
)


def clips(config: DataConfig = SMALL, seed: int = 0) -> SimulatedClips:
    return SimulatedClips(open_shots(config.shots, config, "data.shots"), config, seed)


def test_sampler_is_a_function_of_step_and_shards_the_global_batch():
    whole = StepSampler(5, 4, seed=3, end_step=6)
    ranks = [StepSampler(5, 4, seed=3, end_step=6, rank=r, world_size=2) for r in range(2)]
    for step in range(6):
        assert ranks[0].step_indices(step) + ranks[1].step_indices(step) == whole.step_indices(step)
    resumed = StepSampler(5, 4, seed=3, start_step=4, end_step=6)
    assert list(resumed) == list(whole)[16:]
    epoch = [whole._at(p) for p in range(5)]
    assert sorted(epoch) == list(range(5))  # every sample once per epoch
    with pytest.raises(InvalidArgumentError, match="multiple of the number of processes"):
        StepSampler(5, 3, end_step=1, world_size=2)


def test_sample_is_deterministic_and_simulated_from_its_ground_truth():
    data = clips()
    a, b = data.sample(3), clips().sample(3)
    np.testing.assert_array_equal(a.raw, b.raw)
    np.testing.assert_array_equal(a.gt, b.gt)
    assert a.raw.shape == (4, 12, 12) and a.gt.shape == (4, 12, 12, 3) and a.mask.shape == (12, 12)
    assert not np.array_equal(a.raw, data.sample(4).raw)
    record = CaptureRecord.from_dict(a.info["record"])
    assert record.exposure_scale > 0
    hdr = a.gt / np.float32(record.exposure_scale)  # undo the exposure the record applied
    np.testing.assert_allclose(
        replay(record, hdr, a.mask), a.raw, atol=2.0 / 2**record.settings.bits
    )


def test_items_are_identical_from_dataloader_workers():
    data = clips()
    main = [data[i]["raw"] for i in range(4)]
    loader = DataLoader(data, batch_size=2, sampler=list(range(4)), num_workers=2)
    from_workers = torch.cat([batch["raw"] for batch in loader])
    torch.testing.assert_close(from_workers, torch.stack(main), rtol=0, atol=0)


def test_mask_mix_follows_the_weights():
    config = DataConfig(
        **{**SMALL.__dict__, "masks": ("uniform", "binary"), "mask_weights": (0.0, 1.0)}
    )
    data = clips(config)
    for i in range(3):
        assert set(np.unique(data.sample(i).mask)) <= {0.0, 1.0}


def test_calibrated_mask_windows_are_cfa_aligned(tmp_path):
    mask = np.random.default_rng(0).random((20, 30), dtype=np.float32)
    write_exr(tmp_path / "mask.exr", mask)
    config = DataConfig(
        **{**SMALL.__dict__, "masks": (str(tmp_path / "mask.exr"),), "mask_weights": (1.0,)}
    )
    data = clips(config)
    for i in range(4):
        info = data.sample(i).info["mask"]
        top, left = info["top"], info["left"]
        assert top % 2 == 0 and left % 2 == 0
        np.testing.assert_array_equal(data.sample(i).mask, mask[top : top + 12, left : left + 12])


def test_mask_smaller_than_the_crop_is_refused(tmp_path):
    write_exr(tmp_path / "small.exr", np.full((8, 40), 0.5, np.float32))
    config = DataConfig(
        **{**SMALL.__dict__, "masks": (str(tmp_path / "small.exr"),), "mask_weights": (1.0,)}
    )
    with pytest.raises(InvalidArgumentError, match=r"8×40.*data.crop=12"):
        clips(config)


def test_shots_without_enough_frames_are_refused(tmp_path):
    for i in range(3):
        write_exr(tmp_path / f"shot.{i:04d}.exr", np.ones((16, 16, 3), np.float32))
    config = DataConfig(**{**SMALL.__dict__, "shots": (str(tmp_path / "shot.%04d.exr"),)})
    with pytest.raises(InvalidArgumentError, match="no shot has 4 frames"):
        clips(config)
    with pytest.raises(NoMatchingFilesError, match="data.shots"):
        open_shots((str(tmp_path / "none.%04d.exr"),), SMALL, "data.shots")


def test_mixed_frame_sizes_in_a_shot_are_refused(tmp_path):
    for i in range(5):
        size = 16 if i < 3 else 20
        write_exr(tmp_path / f"shot.{i:04d}.exr", np.ones((size, size, 3), np.float32))
    config = DataConfig(**{**SMALL.__dict__, "shots": (str(tmp_path),), "frames": 5})
    with pytest.raises(Exception, match="20×20; expected 16×16"):
        clips(config).sample(0)


def test_holdout_content_never_leaks(tmp_path):
    assert content_id("builtin:forest@3") == content_id("builtin:forest")
    assert content_id("procedural:day@1") != content_id("procedural:day@2")
    config = load_config(
        None,
        ['data.shots=["builtin:forest@2", "procedural:day@1"]', 'data.holdout=["builtin:forest"]'],
    )
    with pytest.raises(InvalidArgumentError, match="builtin:forest"):
        build_data(config, tmp_path)


def test_split_is_recorded(tmp_path):
    config = load_config(
        None,
        ['data.shots=["procedural:day@1"]', 'data.holdout=["builtin:forest"]', "data.crop=12",
         "data.frames=4", "data.val_samples=2"],
    )  # fmt: skip
    data = build_data(config, tmp_path)
    import json

    split = json.loads((tmp_path / "split.json").read_text())
    assert split == {"train": ["procedural:day@1"], "holdout": ["builtin:forest"]}
    assert data.val is not None and {data.val.sample(i).info["shot"] for i in range(2)} == {
        "builtin:forest"
    }
    assert {data.train.sample(i).info["shot"] for i in range(4)} == {"procedural:day@1"}


def test_fixed_set_round_trip(tmp_path):
    data = clips()
    folder = write_fixed_set(data, tmp_path / "set", progress=False)
    fixed = FixedClips(folder, frames=4)
    assert len(fixed) == len(data)
    item, original = fixed[2], data[2]
    torch.testing.assert_close(item["raw"], original["raw"], rtol=0, atol=0)
    torch.testing.assert_close(item["gt"], original["gt"], rtol=0, atol=0)
    torch.testing.assert_close(item["mask"], original["mask"], rtol=0, atol=0)
    with pytest.raises(OutputExistsError):
        write_fixed_set(data, folder, progress=False)


def test_fixed_set_errors(tmp_path):
    with pytest.raises(NoMatchingFilesError, match="holds no sample"):
        FixedClips(tmp_path, frames=4)
    folder = write_fixed_set(clips(), tmp_path / "set", progress=False)
    with pytest.raises(InvalidArgumentError, match="at least data.frames=8"):
        FixedClips(folder, frames=8)
    write_exr(folder / "00001" / "mask.exr", np.ones((10, 10), np.float32))
    with pytest.raises(InvalidArgumentError, match="one size"):
        FixedClips(folder, frames=4)[1]


def _data_config(**changes) -> DataConfig:
    return DataConfig(**{**SMALL.__dict__, "samples": 40, **changes})


def test_static_samples_hold_one_frame_with_fresh_noise_and_zero_motion():
    data = clips(_data_config(static_fraction=1.0, shots=("builtin:courtyard",)))
    sample = data.sample(0, with_motion=True)
    assert sample.info["static"] and sample.info["record"]["source"]["static"]
    for frame in sample.gt[1:]:
        np.testing.assert_array_equal(frame, sample.gt[0])
    assert not np.array_equal(sample.raw[0], sample.raw[1])  # noise differs frame to frame
    assert sample.motion is not None and sample.motion_valid is not None
    assert sample.motion.shape == (3, 12, 12, 2) and not sample.motion.any()
    assert sample.motion_valid.all()
    np.testing.assert_array_equal(data.sample(0).raw, sample.raw)  # motion changes nothing else


def test_panning_samples_move_and_carry_their_motion():
    data = clips(_data_config(static_fraction=0.0, shots=("builtin:courtyard",)))
    sample = data.sample(1, with_motion=True)
    assert not sample.info["static"] and not np.array_equal(sample.gt[0], sample.gt[-1])
    assert sample.motion is not None and np.abs(sample.motion).max() > 0.1
    item = SimulatedClips(data.shots, data.config, 0, motion=True)[1]
    torch.testing.assert_close(item["motion"], torch.from_numpy(sample.motion))
    assert item["motion_valid"].dtype == torch.bool and item["motion_valid"].shape == (3, 12, 12)


def test_static_fraction_is_drawn_and_checked():
    data = clips(_data_config(static_fraction=0.25))
    share = np.mean([data.sample(i).info["static"] for i in range(40)])
    assert 0.05 < share < 0.5
    with pytest.raises(InvalidArgumentError, match=r"static_fraction=1\.5"):
        clips(_data_config(static_fraction=1.5))


def test_random_draws_cover_real_sensors_masks_and_exposure():
    config = _data_config(masks=("lowfreq",), mask_weights=(1.0,), shots=("procedural:day@1",))
    data = clips(config)
    records = [data.sample(i) for i in range(40)]
    sigmas = [s.info["mask"]["sigma"] for s in records]
    assert 0.5 <= min(sigmas) < 1.0 and 2.5 < max(sigmas) <= 3.0
    dark = [s.info["mask"]["dark_fraction"] for s in records]
    assert 5 < sum(d > 0 for d in dark) < 35 and max(dark) <= 0.5
    noise = [s.info["record"]["settings"]["noise"] for s in records]
    assert all(6e-6 <= n["shot"] <= 2.5e-4 and 1 <= n["read_dn"] <= 8 for n in noise)
    assert {s.info["record"]["settings"]["bits"] for s in records} == {10, 12, 14}
    targets = [s.info["record"]["settings"]["exposure_rule"]["target"] for s in records]
    stops = np.log2(np.array(targets) / 0.18)
    assert -2 <= stops.min() < -1 and 2 < stops.max() <= 3


def test_frame_metering_exposes_crops_by_their_whole_frame():
    """``data.frame_metering`` = 1: every crop is exposed as its uncropped frame is (median
    luminance of the whole frame to 0.18 with ``exposure = auto``); 0 leaves samples as they were."""
    base = _data_config(exposure="auto", static_fraction=1.0)
    metered = clips(_data_config(exposure="auto", static_fraction=1.0, frame_metering=1.0))
    plain = clips(base)
    for index in range(6):
        sample = metered.sample(index)
        shot = next(s for s in metered.shots if s.name == sample.info["shot"])
        whole = shot.frames(sample.info["start"], 1)
        expected = 0.18 / float(np.median(whole @ np.float32([0.2126, 0.7152, 0.0722])))
        record = CaptureRecord.from_dict(sample.info["record"])
        assert sample.info["metering"] == "frame"
        assert record.exposure_scale == pytest.approx(expected, rel=1e-4)
        crop_scale = CaptureRecord.from_dict(plain.sample(index).info["record"]).exposure_scale
        assert plain.sample(index).info["metering"] == "crop"
        np.testing.assert_allclose(
            sample.gt / record.exposure_scale * crop_scale, plain.sample(index).gt, rtol=1e-5
        )
    np.testing.assert_array_equal(
        clips(base).sample(2).raw,
        clips(_data_config(exposure="auto", static_fraction=1.0, frame_metering=0.0)).sample(2).raw,
    )
    with pytest.raises(InvalidArgumentError, match=r"frame_metering=2"):
        clips(_data_config(frame_metering=2))
