"""Procedural HDR video with known motion, and readers of real HDR shots."""
