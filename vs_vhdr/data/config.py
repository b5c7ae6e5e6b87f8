"""The data section of a training config (``[data]``): shots, crops, masks, noise, exposure."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DataConfig:
    """Training samples (paper §4): shots, crops, masks, noise and exposure."""

    shots: tuple[str, ...] = (
        "procedural:mixed@0",
        "procedural:day@1",
        "procedural:night@2",
        "builtin:courtyard",
        "builtin:studio",
        "builtin:sunrise",
    )
    """Shot specs (``vs_vhdr.data.shots``): ``procedural:PRESET[@SEED]``, ``builtin:NAME[@SEED]``,
    an EXR/.hdr still, a frame pattern or a folder of EXR frames."""
    holdout: tuple[str, ...] = ("builtin:forest", "procedural:mixed@1000")
    """Held-out shots for validation; never sampled for training."""
    frames: int = 8
    """Frames per sample (the paper's f)."""
    crop: int = 64
    """Square crop size in pixels (even; 512 in the paper)."""
    samples: int = 3000
    """Distinct training samples per epoch (3K in the paper)."""
    masks: tuple[str, ...] = ("uniform", "lowfreq")
    """Mask sources drawn per sample: ``uniform``, ``lowfreq``, ``binary`` or a mask/calibration file."""
    mask_weights: tuple[float, ...] = (0.5, 0.5)
    """Probability of each entry of ``masks``."""
    noise: str = "random"
    """``random`` (a draw from the simulator's training ranges per sample) or a noise preset name."""
    exposure: str = "random"
    """``random`` (automatic exposure shifted by U(-2, +3) EV), ``auto``, or a fixed number."""
    frame_metering: float = 0.0
    """Fraction of samples whose automatic exposure meters the whole frame the crop is cut from
    (as a camera meters the shot: a crop of bright sky then clips as it does in the full frame)
    instead of the crop itself; only with ``exposure`` ``random`` or ``auto``."""
    static_fraction: float = 0.25
    """Fraction of samples that are static: one frame of the shot held for all ``frames``
    (zero motion), with fresh sensor noise per frame; the others pan / move as the shot does."""
    cfa: str = "RGGB"
    """Bayer pattern of the simulated sensor."""
    fixed: str = ""
    """A folder of pre-generated samples (``vhdr simulate`` layout) used instead of on-the-fly simulation."""
    val_samples: int = 8
    """Validation samples drawn once from the held-out shots."""
    workers: int = 0
    """DataLoader worker processes."""
