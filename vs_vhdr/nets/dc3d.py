"""DC3D (paper Table 2): C3D with layers 2, 4, 7 and 9 dilated by 2.

Table 2 gives dilation 2 without naming axes; by default it applies in all three axes (t, h, w)
as the table says. ``temporal_dilation`` sets the dilation along t of those four layers
(1 keeps them within frames); it is recorded in the weights record and the model card.
"""

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.nets.c3d import DEPTH, ConvStack

DILATED_LAYERS = (2, 4, 7, 9)
"""1-based indices of the dilated convolutions (Table 2)."""

DILATION = 2
"""Spatial dilation of the dilated layers (Table 2)."""


class DC3D(ConvStack):
    """The paper's DC3D: 895,683 parameters; receptive field ±14 in h and w.

    Args:
        temporal_dilation: dilation along t of layers 2, 4, 7, 9 (default 2, Table 2);
            the temporal receptive field is ``6 + 4 * temporal_dilation`` frames each side.
        mask_conditioned: take the spread mask as 3 more input channels (``dc3d-m``).
    """

    def __init__(self, *, temporal_dilation: int = DILATION, mask_conditioned: bool = False):
        if (
            not isinstance(temporal_dilation, int)
            or isinstance(temporal_dilation, bool)
            or temporal_dilation < 1
        ):
            raise InvalidArgumentError(
                f"DC3D: temporal_dilation={temporal_dilation!r}; expected an integer >= 1"
            )
        dilations = [
            (temporal_dilation, DILATION, DILATION) if index in DILATED_LAYERS else (1, 1, 1)
            for index in range(1, DEPTH + 1)
        ]
        super().__init__(
            "dc3d",
            dilations,
            mask_conditioned=mask_conditioned,
            kwargs={"temporal_dilation": temporal_dilation},
        )
