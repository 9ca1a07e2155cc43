// Helpers shared by the Arm kernel families (AArch64 and Armv7-A NEON).
#ifndef SINKQ_KERNELS_NEON_UTIL_H_
#define SINKQ_KERNELS_NEON_UTIL_H_

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

namespace sinkq {
namespace neon {

// Walks the output grid Y[n][rows] in tiles of R rows x T tokens, with
// one-wide tiles at the edges, so every kernel body is a fixed-size template
// the compiler keeps in registers. K provides `template <uint32_t R, uint32_t
// T> void run(uint32_t row, uint32_t token) const`.
template <uint32_t R, uint32_t T, class K>
inline void tile_grid(const K& k, uint32_t n, uint32_t rows) {
  uint32_t t = 0;
  for (; t + T <= n; t += T) {
    uint32_t r = 0;
    for (; r + R <= rows; r += R) k.template run<R, T>(r, t);
    for (; r < rows; ++r) k.template run<1, T>(r, t);
  }
  for (; t < n; ++t) {
    uint32_t r = 0;
    for (; r + R <= rows; r += R) k.template run<R, 1>(r, t);
    for (; r < rows; ++r) k.template run<1, 1>(r, t);
  }
}

// p[i] = the row first + i of a row-major matrix with `cols` columns.
template <uint32_t N, typename T>
inline void row_pointers(const T* m, uint32_t first, uint32_t cols, const T* (&p)[N]) {
  for (uint32_t i = 0; i < N; ++i) p[i] = m + size_t{first + i} * cols;
}

// The 16 partial sums of the fixed float order (lane i of s[q] is s[4q + i])
// reduced as kernels.h documents: s[i] += s[i + 8]; s[i] += s[i + 4];
// s[i] += s[i + 2]; s[0] + s[1]. IEEE on AArch64 only (Armv7 NEON flushes
// denormals, so the Armv7 family keeps its float sums on VFP).
inline float reduce_partial_sums(const float32x4_t s[4]) {
  const float32x4_t s8 = vaddq_f32(s[0], s[2]);  // s[0..3] after s[i] += s[i + 8]
  const float32x4_t s12 = vaddq_f32(s[1], s[3]); // s[4..7]
  const float32x4_t s4 = vaddq_f32(s8, s12);
  const float32x2_t s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
  return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);
}

inline int32_t sum_lanes(int32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_s32(v);
#else
  const int32x2_t h = vadd_s32(vget_low_s32(v), vget_high_s32(v));
  return vget_lane_s32(vpadd_s32(h, h), 0);
#endif
}

inline bool any_lane(uint32x4_t m) {
#if defined(__aarch64__)
  return vmaxvq_u32(m) != 0;
#else
  const uint32x2_t h = vorr_u32(vget_low_u32(m), vget_high_u32(m));
  return (vget_lane_u32(h, 0) | vget_lane_u32(h, 1)) != 0;
#endif
}

}  // namespace neon
}  // namespace sinkq

#endif  // SINKQ_KERNELS_NEON_UTIL_H_
