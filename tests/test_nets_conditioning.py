"""The ``-m`` models' fixed front end: the base estimate users get before any learned layer."""

import numpy as np
import pytest
import torch

from vs_vhdr.imaging.cfa import cfa_masks
from vs_vhdr.nets.conditioning import BASE_RADIUS, FEATURE_CHANNELS, LogRatioConditioning
from vs_vhdr.nets.inputs import prepare_input
from vs_vhdr.nets.registry import create_model

SPEC = create_model("c3ded-m", weights=False).spec
CFAS = ["RGGB", "BGGR", "GRBG", "GBRG"]


def _capture(scene: torch.Tensor, mask: torch.Tensor, cfa: str) -> torch.Tensor:
    """Noiseless coded raw of a ``T×H×W×3`` scene: the CFA colour times the mask, clipped at 1."""
    _, height, width, _ = scene.shape
    colours = cfa_masks(cfa, height, width, dtype=scene.dtype)  # 3×H×W one-hot
    mosaic = (scene.permute(0, 3, 1, 2) * colours).sum(dim=1)
    return (mosaic * mask).clamp(max=1.0)


def _base(raw: torch.Tensor, mask: torch.Tensor, cfa: str) -> torch.Tensor:
    """Linear ``T×H×W×3`` base estimate of the front end."""
    network_input = prepare_input(raw[None], mask, cfa, SPEC)
    features, base = LogRatioConditioning()(network_input)
    assert features.shape[1] == FEATURE_CHANNELS
    return torch.exp(base[0]).permute(1, 2, 3, 0) - 1e-4


@pytest.mark.parametrize("cfa", CFAS)
def test_base_is_exact_on_linear_ramps(cfa: str) -> None:
    """Bilinear and gradient-corrected interpolation both reproduce a linear ramp (up to the
    0.1 % that the noise-weighted fusion's unequal weights move a sloped neighbourhood)."""
    rows = torch.arange(24, dtype=torch.float32).view(-1, 1)
    cols = torch.arange(32, dtype=torch.float32).view(1, -1)
    scene = torch.stack(
        [
            0.2 + 0.010 * rows + 0.005 * cols,
            0.3 + 0.004 * rows + 0.012 * cols,
            0.1 + 0.02 * cols + 0 * rows,
        ],
        dim=-1,
    ).expand(2, -1, -1, -1)
    mask = torch.full((24, 32), 0.5)
    base = _base(_capture(scene, mask, cfa), mask, cfa)
    inside = (slice(None), slice(2, -2), slice(2, -2))
    assert torch.allclose(base[inside], scene[inside], rtol=2e-3, atol=1e-5)


@pytest.mark.parametrize("cfa", CFAS)
def test_base_keeps_each_sample_exactly(cfa: str) -> None:
    """Noiseless and static, a colour's base at its own sites is s/Φ of that sample, whatever
    the scene does around, up to the noise floor it assumes (NOISE_SCALE_RANGE[0] of the
    reference sensor): the front end finds no noise to average away."""
    generator = torch.Generator().manual_seed(3)
    scene = (torch.rand(1, 16, 20, 3, generator=generator) * 0.9 + 0.05).expand(4, -1, -1, -1)
    mask = torch.rand(16, 20, generator=generator) * 0.9 + 0.1
    raw = _capture(scene, mask, cfa)
    base = _base(raw, mask, cfa)
    colours = cfa_masks(cfa, 16, 20).bool()
    for channel in range(3):
        sites = colours[channel]
        assert torch.allclose(base[:, sites, channel], scene[:, sites, channel], rtol=3e-3)


def test_clipped_sites_are_filled_from_darker_neighbours() -> None:
    """A highlight 10× above white clips the open pixels; the dense ones still see it."""
    scene = torch.full((1, 32, 32, 3), 10.0)
    mask = torch.full((32, 32), 0.9)
    mask[::4, :] = 0.05  # every fourth row is dense: 10 × 0.05 = 0.5, unclipped
    mask[1::4, :] = 0.05
    raw = _capture(scene, mask, "RGGB")
    assert float((raw >= 0.99).float().mean()) > 0.4
    base = _base(raw, mask, "RGGB")
    assert torch.allclose(base, scene, rtol=0.02)


def test_fully_clipped_area_keeps_its_lower_bound() -> None:
    """Where every sample clips, the base is never below what the samples prove (s/Φ)."""
    scene = torch.full((1, 16, 16, 3), 50.0)
    mask = torch.full((16, 16), 0.5)
    base = _base(_capture(scene, mask, "RGGB"), mask, "RGGB")
    assert float(base.min()) >= 1.0 / 0.5 * 0.99


def test_closed_pixels_are_filled_and_stay_finite() -> None:
    """A binary mask closes half the pixels; the base fills them from open ones of that colour."""
    generator = torch.Generator().manual_seed(5)
    scene = torch.full((1, 32, 32, 3), 0.4)
    mask = (torch.rand(32, 32, generator=generator) > 0.5).float()
    base = _base(_capture(scene, mask, "RGGB"), mask, "RGGB")
    assert bool(torch.isfinite(base).all())
    assert torch.allclose(base, scene, rtol=1e-3)


def test_base_reach_is_the_declared_radius() -> None:
    """Changing one raw pixel changes the base at most BASE_RADIUS pixels away (tiling relies on it)."""
    size = 2 * BASE_RADIUS + 21
    generator = torch.Generator().manual_seed(7)
    scene = torch.rand(1, size, size, 3, generator=generator) + 0.1
    mask = (torch.rand(size, size, generator=generator) > 0.7).float() * 0.9 + 0.05
    raw = _capture(scene, mask, "RGGB")
    centre = size // 2
    poked = raw.clone()
    poked[0, centre, centre] = 0.0
    changed = (_base(poked, mask, "RGGB") - _base(raw, mask, "RGGB")).abs().amax(dim=(0, 3)) > 0
    rows, cols = np.nonzero(changed.numpy())
    reach = max(np.abs(rows - centre).max(), np.abs(cols - centre).max())
    assert 0 < reach <= BASE_RADIUS


def test_gradient_correction_never_drives_a_colour_to_zero() -> None:
    """A lone bright sample next to dark ones: the correction may dim a colour, not erase it."""
    scene = torch.full((1, 16, 16, 3), 0.05)
    scene[0, 8, 8] = 5.0  # a red site (RGGB, even row and column): a steep local peak
    mask = torch.full((16, 16), 0.1)
    base = _base(_capture(scene, mask, "RGGB"), mask, "RGGB")
    assert float(base.min()) > 0.02


@pytest.mark.parametrize("kind", ["uniform", "lowfreq", "binary"])
def test_clipped_sky_is_never_filled_above_its_evidence(kind: str) -> None:
    """A sky 8× above white over dark ground: the base never exceeds what any unclipped sample
    shows, and a clipped site is never below the bound its sample proves (s/Φ). Under the
    uniform mask the sky's darkest sites stay unclipped and the sky is recovered."""
    from vs_vhdr.imaging import masks
    from vs_vhdr.imaging.cfa import cfa_masks

    scene = torch.full((4, 48, 48, 3), 8.0)
    scene[:, 24:] = 0.3  # ground
    mask = torch.from_numpy(masks.make_mask(masks.mask_settings(kind, seed=3), 48, 48))
    raw = _capture(scene, mask, "RGGB")
    assert float((raw[:, :24] >= 0.99).float().mean()) > 0.4
    base = _base(raw, mask, "RGGB")
    assert float(base.max()) <= 8.0 * 1.01
    colours = cfa_masks("RGGB", 48, 48).permute(1, 2, 0).bool()
    own = base[:, colours]  # each site's own colour
    clipped = (raw >= 0.99) & (mask > 0.001)
    bound = (raw / mask.clamp_min(0.001))[clipped]
    own_at_clipped = own.view(4, 48, 48)[clipped]
    assert bool((own_at_clipped >= bound * 0.999).all())
    if kind == "uniform":
        assert float(base[:, 2:14, 2:-2].min()) >= 8.0 * 0.99


def test_static_noisy_clip_flickers_less_than_the_naive_baseline() -> None:
    """Static scene, fresh sensor noise every frame: the base changes less from frame to frame
    than the per-frame naive baseline (the temporal fusion averages the window)."""
    from vs_vhdr.imaging import masks
    from vs_vhdr.imaging.capture import CaptureSettings, capture
    from vs_vhdr.imaging.noise import noise_preset
    from vs_vhdr.metrics.baseline import naive_reconstruct

    generator = torch.Generator().manual_seed(11)
    texture = torch.rand(1, 40, 40, 3, generator=generator) * 2 + 0.05
    scene = texture.expand(6, -1, -1, -1).numpy().copy()
    mask = masks.make_mask(masks.mask_settings("lowfreq", seed=2), 40, 40)
    raw, _ = capture(scene, mask, CaptureSettings(noise=noise_preset("iso1600"), exposure=0.3))
    base = _base(torch.from_numpy(raw), torch.from_numpy(mask), "RGGB").numpy()
    naive = naive_reconstruct(raw, mask)

    def flicker(video: np.ndarray) -> float:
        return float(np.abs(np.diff(np.log(video + 1e-4), axis=0)).mean())

    assert flicker(base) < 0.6 * flicker(naive)
