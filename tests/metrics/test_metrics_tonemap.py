"""Reinhard tonemapping, sRGB encoding and PNG contact sheets."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.metrics.tonemap import (
    contact_sheet,
    log_average_luminance,
    reinhard,
    srgb_encode,
    write_contact_sheet,
)


def test_reinhard_maps_the_log_average_to_key_over_one_plus_key() -> None:
    grey = np.full((4, 4, 3), 2.5)
    assert log_average_luminance(grey) == pytest.approx(2.5, rel=1e-6)
    assert np.allclose(reinhard(grey), 0.18 / 1.18, rtol=1e-6)
    # with the reference's log-average, a pixel 4× brighter gets L = 0.72 → 0.72 / 1.72
    assert np.allclose(reinhard(grey * 4, log_average=2.5), 0.72 / 1.72, rtol=1e-6)
    # Lwhite = L maps that pixel to exactly 1
    assert np.allclose(reinhard(grey * 4, log_average=2.5, white=0.72), 1.0, rtol=1e-6)
    # hue is kept: RGB scaled by one factor per pixel
    colour = np.array([[[2.0, 1.0, 0.5]]])
    out = reinhard(colour)
    assert out[0, 0, 0] / out[0, 0, 1] == pytest.approx(2.0)


def test_srgb_encode_reference_points() -> None:
    values = srgb_encode(np.array([0.0, 0.0031308, 0.18, 1.0, 2.0]))
    assert values == pytest.approx([0.0, 0.04045, 0.4614, 1.0, 1.0], abs=1e-4)


def test_contact_sheet_png_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    images = [rng.uniform(0, 8, (20, 30, 3)) for _ in range(3)]
    sheet = contact_sheet(images, labels=["gt", "a", "b"], columns=2)
    assert sheet.shape == (40, 60, 3) and sheet.dtype == np.uint8
    assert not sheet[20:, 30:].any()  # the empty fourth tile stays black
    path = tmp_path / "sheet.png"
    write_contact_sheet(path, images, columns=2)
    read = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert read.shape == (40, 60, 3) and read.dtype == np.uint8
    assert np.array_equal(read[..., ::-1], contact_sheet(images, columns=2))
    with pytest.raises(OutputExistsError):
        write_contact_sheet(path, images)
    with pytest.raises(InvalidArgumentError, match="expected equal H×W×3"):
        contact_sheet([images[0], images[0][:10]])
    with pytest.raises(InvalidArgumentError, match="2 labels for 3 images"):
        contact_sheet(images, labels=["a", "b"])
