// Run-time CPU feature checks for the SIMD paths. The default build targets baseline x86-64 (SSE2, no
// -march=native); AVX2 and SSSE3 code is compiled per function with __attribute__((target(...))) and
// chosen by these checks at each call (libgcc reads CPUID once at load time).
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define FRAMECODEC_X86 1
namespace framecodec {
inline bool cpu_has_avx2() { return __builtin_cpu_supports("avx2"); }
inline bool cpu_has_ssse3() { return __builtin_cpu_supports("ssse3"); }
}  // namespace framecodec
#else
#define FRAMECODEC_X86 0
#endif
