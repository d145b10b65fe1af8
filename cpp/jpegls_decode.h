// JPEG-LS lossless and near-lossless (PS3.5 8.2.3; .80 / .81) with CharLS: whole frames only (the engine crops and
// reduces).
#pragma once
#include <memory>
#include <string>

#include "image_codec.h"

namespace framecodec {

// "<library> <version>" this build decodes with, or "" when the build did not find the library.
std::string jpegls_library();

class JpegLsDecoder {
 public:
  JpegLsDecoder();
  ~JpegLsDecoder();
  JpegLsDecoder(const JpegLsDecoder&) = delete;
  JpegLsDecoder& operator=(const JpegLsDecoder&) = delete;

  // See image_codec.h.
  bool supports(const ImageFrame& f, const ImageTarget& t) const;
  void decode(ConstBytes codestream, const ImageFrame& f, const ImageTarget& t);

 private:
  struct State;  // the library's objects and scratch buffers, kept from frame to frame
  std::unique_ptr<State> state_;
};

}  // namespace framecodec
