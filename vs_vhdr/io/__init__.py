"""File I/O: EXR, Radiance .hdr, npy, 16-bit PNG; frame-sequence patterns; atomic writes."""
