"""VapourSynth host: ``core.vhdr.Reconstruct`` (native shim + Python filter) and image-sequence clips.

After installation (``make setup``) scripts call ``core.vhdr.Reconstruct(clip, mask=...)`` with no
``LoadPlugin``; the same function is ``vs_vhdr.vapoursynth.reconstruct``. ``image_source`` reads a
raw EXR (or .npy/.png/.tif) sequence as a clip, ``write_images`` writes a clip's frames as files;
``raw_source`` (``core.vhdr.RawSource``) reads DNG / camera raw sequences with their metadata.
"""

from vs_vhdr.vapoursynth.rawsource import raw_source
from vs_vhdr.vapoursynth.reconstruct import reconstruct
from vs_vhdr.vapoursynth.sequences import image_source, write_images

__all__ = ["image_source", "raw_source", "reconstruct", "write_images"]
