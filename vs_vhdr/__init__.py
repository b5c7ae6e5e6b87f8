"""vhdr: HDR video reconstruction from snapshot-coded raw video (Eq. 1 simulator, 3D CNNs, hosts)."""

__version__ = "0.1.0"
