// Byte spans: the only way data enters or leaves a kernel. C++17 has no std::span.
#pragma once
#include <cstddef>
#include <cstdint>

namespace framecodec {

struct ConstBytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

struct MutBytes {
  uint8_t* data = nullptr;
  size_t size = 0;
};

}  // namespace framecodec
