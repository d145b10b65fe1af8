// Regions of frames: the part of a whole decoded frame that a target wants, cropped and, for reduced
// resolutions, area-averaged. The engine uses it for the codecs that cannot decode part of a frame or a
// reduced resolution themselves (deflate, RLE, native, JPEG-LS; JPEG 2000 with too few resolution levels).
#pragma once
#include <cstddef>
#include <cstdint>

#include "image_codec.h"

namespace framecodec {

// Copies target t's rectangle of `frame` (columns wide, packed and interleaved: samples x bytes_per_sample
// bytes a pixel, little-endian) into t. With t.scale > 1 each output sample is the mean of its scale x scale
// block, rounded half up; a partial block at the rectangle's right or bottom edge averages the pixels it has.
// bytes_per_sample 1, 2, 4 or 8; is_signed picks two's complement samples. The caller has checked that the
// rectangle lies inside the frame.
void copy_region(const uint8_t* frame, size_t columns, size_t samples, size_t bytes_per_sample, bool is_signed,
                 const ImageTarget& t);

}  // namespace framecodec
