// JPEG 2000 (PS3.5 8.2.4; .90 / .91) and, as the fallback when OpenJPH is missing, HTJ2K (.201-.203) with OpenJPEG:
// crops (opj_set_decode_area) and reduced resolutions (resolution levels) natively; the inverse multi-component
// transform (YBR_RCT / YBR_ICT) applied by OpenJPEG, so those frames come out RGB.
#pragma once
#include <memory>
#include <string>

#include "image_codec.h"

namespace framecodec {

// "<library> <version>" this build decodes with, or "" when the build did not find the library.
std::string j2k_library();

class J2kDecoder {
 public:
  J2kDecoder();
  ~J2kDecoder();
  J2kDecoder(const J2kDecoder&) = delete;
  J2kDecoder& operator=(const J2kDecoder&) = delete;

  // See image_codec.h.
  bool supports(const ImageFrame& f, const ImageTarget& t) const;
  void decode(ConstBytes codestream, const ImageFrame& f, const ImageTarget& t);

 private:
  struct State;  // the library's objects and scratch buffers, kept from frame to frame
  std::unique_ptr<State> state_;
};

}  // namespace framecodec
