// HTJ2K (PS3.5 8.2.14; .201 / .202 / .203) with OpenJPH: reduced resolutions natively (skipped resolution levels),
// crops by reading only the lines wanted.
#pragma once
#include <memory>
#include <string>

#include "image_codec.h"

namespace framecodec {

// "<library> <version>" this build decodes with, or "" when the build did not find the library.
std::string htj2k_library();

class Htj2kDecoder {
 public:
  Htj2kDecoder();
  ~Htj2kDecoder();
  Htj2kDecoder(const Htj2kDecoder&) = delete;
  Htj2kDecoder& operator=(const Htj2kDecoder&) = delete;

  // See image_codec.h.
  bool supports(const ImageFrame& f, const ImageTarget& t) const;
  void decode(ConstBytes codestream, const ImageFrame& f, const ImageTarget& t);

 private:
  struct State;  // the library's objects and scratch buffers, kept from frame to frame
  std::unique_ptr<State> state_;
};

}  // namespace framecodec
