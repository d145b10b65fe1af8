"""Synthetic DICOM data, made here rather than downloaded: shared by the tests, the benchmarks (the source tree's
``benchmarks/``), ``framecodec bench`` and ``framecodec demo``. Private: its names may change at any release.

- ``frames``: single frames that compress like the data they stand for (H&E microscopy tiles, segmentation masks
  through a volume, CT slices);
- ``files``: multi-frame files of those frames (a tiled slide, a binary Segmentation, an Enhanced CT), each
  frame encoded by framecodec, with their headers in ``volume_headers`` and the slide's;
- ``slides``: whole-slide images (VL Whole Slide Microscopy, TILED_FULL or TILED_SPARSE, every transfer syntax)
  written by encoders independent of framecodec, with their reference pixels; its parts are the ``slide_*``
  modules and ``big_slides``; ``dicom_bytes``: the byte-level writing they share;
- ``examples``: the example files of ``framecodec demo --files``.

Importing any of them needs numpy and pydicom only; the JPEG family's encoders (Pillow, pylibjpeg-openjpeg,
imagecodecs, pyjpegls) and pylibjpeg-rle are imported when a slide in those syntaxes is written.
"""
