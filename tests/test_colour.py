"""The colour stage: spaces, Bradford, CCT, the DNG procedure, the highlight rule, the choice."""

import warnings

import numpy as np
import pytest
from colour_support import CANON_5D2_D65, SECOND_MATRIX_A, camera_5d2

from vs_vhdr.colour import (
    COLORSPACES,
    ColourTransform,
    DngColour,
    choose_colour,
    chromaticities,
    clipped_channels,
)
from vs_vhdr.colour.adaptation import bradford
from vs_vhdr.colour.spaces import D50_XY, xy_to_xyz
from vs_vhdr.colour.temperature import LIGHT_SOURCE_XY, xy_to_cct
from vs_vhdr.errors import InvalidArgumentError

SPACES = ("acescg", "aces2065-1", "rec709")
AP1_FROM_XYZ = (  # Academy S-2014-004, XYZ → ACEScg
    (1.6410233797, -0.3248032942, -0.2364246952),
    (-0.6636628587, 1.6153315917, 0.0167563477),
    (0.0117218943, -0.0082844420, 0.9883948585),
)
AP0_TO_XYZ = (  # SMPTE ST 2065-1, ACES2065-1 → XYZ
    (0.9525523959, 0.0, 0.0000936786),
    (0.3439664498, 0.7281660966, -0.0721325464),
    (0.0, 0.0, 1.0088251844),
)


def colour_science():  # type: ignore[no-untyped-def]
    module = pytest.importorskip("colour")
    warnings.filterwarnings("ignore", module="colour")
    return module


def test_space_matrices_match_the_published_ones() -> None:
    assert np.allclose(COLORSPACES["acescg"].from_xyz, AP1_FROM_XYZ, atol=1e-7)
    assert np.allclose(COLORSPACES["aces2065-1"].to_xyz, AP0_TO_XYZ, atol=1e-7)
    for space in COLORSPACES.values():
        assert np.allclose(space.to_xyz @ np.ones(3), xy_to_xyz(space.white))


def test_spaces_bradford_and_cct_match_colour_science() -> None:
    colour = colour_science()
    names = {"acescg": "ACEScg", "aces2065-1": "ACES2065-1", "rec709": "ITU-R BT.709"}
    for ours, theirs in names.items():
        reference = colour.RGB_COLOURSPACES[theirs]
        assert np.allclose(COLORSPACES[ours].to_xyz, reference.matrix_RGB_to_XYZ, atol=1e-4)
        assert np.allclose(COLORSPACES[ours].white, reference.whitepoint, atol=1e-4)
    for source, target in ((D50_XY, (0.32168, 0.33767)), ((0.44757, 0.40745), D50_XY)):
        expected = colour.adaptation.matrix_chromatic_adaptation_VonKries(
            colour.xy_to_XYZ(source), colour.xy_to_XYZ(target), transform="Bradford"
        )
        assert np.allclose(bradford(source, target), expected, atol=1e-10)
    from colour.temperature import uv_to_CCT_Robertson1968

    for xy in ((0.3127, 0.329), (0.44757, 0.40745), (0.29, 0.30), (0.38, 0.37)):
        expected = uv_to_CCT_Robertson1968(colour.xy_to_UCS_uv(np.array(xy)))[0]
        assert xy_to_cct(xy) == pytest.approx(expected, rel=1e-6)


def test_cct_of_the_cie_illuminants() -> None:
    assert xy_to_cct(LIGHT_SOURCE_XY[21]) == pytest.approx(6504, abs=2)
    assert xy_to_cct(LIGHT_SOURCE_XY[17]) == pytest.approx(2856, abs=2)
    assert xy_to_cct(LIGHT_SOURCE_XY[23]) == pytest.approx(5003, abs=3)


def dual_camera(**changes: object) -> DngColour:
    fields: dict[str, object] = {
        "color_matrix_1": SECOND_MATRIX_A,
        "illuminant_1": 17,
        "color_matrix_2": CANON_5D2_D65,
        "illuminant_2": 21,
    }
    fields.update(changes)
    return DngColour(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("illuminant", [17, 23, 20, 21, 22])
@pytest.mark.parametrize("how", ["neutral", "white_xy", "forward"])
def test_a_neutral_comes_out_grey_under_every_illuminant_and_space(
    illuminant: int, how: str
) -> None:
    white = LIGHT_SOURCE_XY[illuminant]
    # the camera's response to this white, by the interpolated matrix at its temperature
    profile_white = dual_camera(as_shot_white_xy=white).resolve()
    neutral = profile_white.neutral
    if how == "neutral":
        camera = dual_camera(as_shot_neutral=tuple(neutral * 0.8))
    elif how == "white_xy":
        camera = dual_camera(as_shot_white_xy=white)
    else:  # forward matrices: the D50 matrices of the same profile
        forward = profile_white.camera_to_xyz @ np.diag(neutral)
        fm = tuple(forward.ravel())
        camera = dual_camera(
            as_shot_neutral=tuple(neutral), forward_matrix_1=fm, forward_matrix_2=fm
        )
    resolved = camera.resolve()
    assert resolved.white_xy == pytest.approx(white, abs=1e-4)
    grey = (np.asarray(neutral) * np.array([0.02, 0.18, 1.0, 7.5])[:, None])[None]
    for space in SPACES:
        out = ColourTransform.build(resolved, space).apply(grey.astype(np.float32))
        spread = out.max(axis=-1) / out.min(axis=-1) - 1
        assert np.all(spread < 1e-4), (space, out)
        assert np.allclose(out[0, :, 1], grey[0, :, 1] / max(neutral), rtol=1e-4)


def test_two_matrices_interpolate_in_inverse_temperature() -> None:
    from vs_vhdr.colour.dng import _Profile

    profile = _Profile(dual_camera())
    assert profile.weight(2000) == 1.0 and profile.weight(9000) == 0.0
    middle = 2.0 / (1 / 2856 + 1 / 6504)  # halfway in mired
    assert profile.weight(middle) == pytest.approx(0.5)


def test_clipped_white_stays_white_and_unclipped_pixels_keep_their_values() -> None:
    transform = ColourTransform.build(camera_5d2().resolve(), "acescg")
    clipped_raw = np.ones((8, 8), np.float32)  # every sample clipped
    flags = clipped_channels(clipped_raw, "RGGB")
    assert flags.all()
    camera_rgb = np.ones((8, 8, 3), np.float32)  # the reconstruction of a clipped white
    out = transform.apply(camera_rgb, flags)
    assert np.allclose(out, out[..., :1], rtol=1e-5)  # no magenta
    naive = transform.apply(camera_rgb)
    assert naive[0, 0, 0] > 1.5 * naive[0, 0, 1]  # what the rule prevents
    raw = np.full((8, 8), 0.5, np.float32)
    assert not clipped_channels(raw, "RGGB").any()
    assert np.array_equal(
        transform.apply(camera_rgb * 0.5, clipped_channels(raw, "RGGB")),
        transform.apply(camera_rgb * 0.5),
    )


def test_only_a_channel_with_every_nearby_sample_clipped_counts() -> None:
    raw = np.full((10, 10), 0.3, np.float32)
    raw[0::2, 0::2] = 1.0  # every R site of RGGB clipped
    flags = clipped_channels(raw, "RGGB")
    assert flags[..., 0].all() and not flags[..., 1:].any()
    raw[4, 4] = 0.5  # one unclipped R sample: its neighbourhood is measured
    flags = clipped_channels(raw, "RGGB", radius=2)
    assert not flags[4, 4, 0] and not flags[2, 2, 0] and flags[0, 0, 0]


def test_choice_defaults_and_errors() -> None:
    assert choose_colour(None, camera_5d2(), "t").colorspace == "acescg"
    assert (
        choose_colour("auto", camera_5d2(), "t").chromaticities
        == COLORSPACES["acescg"].chromaticities
    )
    unknown = choose_colour("auto", None, "t")
    assert unknown.colorspace == "camera" and "no camera matrices" in unknown.note
    assert unknown.chromaticities is None and unknown.primaries == 2
    assert choose_colour("camera", None, "t", camera_primaries=1).chromaticities == chromaticities(
        "rec709"
    )
    assert choose_colour("rec709", camera_5d2(), "t").primaries == 1
    with pytest.raises(InvalidArgumentError, match="needs the camera's colour matrices"):
        choose_colour("acescg", DngColour(), "t")
    with pytest.raises(InvalidArgumentError, match="expected one of acescg"):
        choose_colour("srgb", camera_5d2(), "t")


def test_dng_colour_round_trips_through_its_dict() -> None:
    camera = dual_camera(
        as_shot_neutral=(0.5, 1.0, 0.7), analog_balance=(1.0, 1.0, 1.0), source="here"
    )
    again = DngColour.from_dict(camera.to_dict(), source="here")
    assert again == camera
    with pytest.raises(InvalidArgumentError, match="unknown keys"):
        DngColour.from_dict({"colour_matrix": [1] * 9})
    with pytest.raises(InvalidArgumentError, match="expected 9 finite numbers"):
        DngColour.from_dict({"color_matrix_1": [1, 2, 3]})


def test_chart_round_trip_through_camera_rgb_is_exact() -> None:
    colour_science()
    from colour_support import chart_acescg, delta_e_2000

    chart = chart_acescg()[None].astype(np.float32)
    transform = ColourTransform.build(camera_5d2().resolve(), "acescg")
    camera_rgb = chart @ np.linalg.inv(transform.matrix).T.astype(np.float32) * transform.neutral
    back = transform.apply(camera_rgb.astype(np.float32))
    assert delta_e_2000(back[0], chart[0]).mean() < 0.01
