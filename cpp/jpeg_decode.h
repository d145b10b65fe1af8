// JPEG baseline and extended 8-bit (PS3.5 8.2.1; 1.2.840.10008.1.2.4.50 / .51) with libjpeg-turbo's libjpeg API: crops
// (jpeg_crop_scanline, jpeg_skip_scanlines) and reduced resolutions (DCT scaling 1/2, 1/4, 1/8) natively; YCbCr
// converted to RGB by libjpeg unless raw, following pydicom's reading of the colour markers.
#pragma once
#include <memory>
#include <string>

#include "image_codec.h"

namespace framecodec {

// "<library> <version>" this build decodes with, or "" when the build did not find the library.
std::string jpeg_library();

class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // See image_codec.h.
  bool supports(const ImageFrame& f, const ImageTarget& t) const;
  void decode(ConstBytes codestream, const ImageFrame& f, const ImageTarget& t);

 private:
  struct State;  // the library's objects and scratch buffers, kept from frame to frame
  std::unique_ptr<State> state_;
};

}  // namespace framecodec
