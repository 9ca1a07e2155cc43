// The fixed float summation order of kernels.h in AVX registers, shared by the
// float and the packed kernels: partial sum s[j % 16] lives in lane j % 8 of
// accumulator (j % 16) / 8, and the reductions below perform exactly the
// documented tree s[i] += s[i + 8], s[i] += s[i + 4], s[i] += s[i + 2],
// s[0] + s[1], with separate vmulps/vaddps (no FMA).
#ifndef SINKQ_KERNELS_X86_AVX2_FLOAT_ORDER_H_
#define SINKQ_KERNELS_X86_AVX2_FLOAT_ORDER_H_

#include <immintrin.h>

namespace sinkq {
namespace kernels {
namespace avx2 {

// s[i] += s[i + 8] of one output: the two accumulators added.
struct Partial {
  __m256 lo, hi;
};

inline __m128 fold8to4(__m256 v) {  // s[i] += s[i + 4]
  return _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
}

// Four outputs reduced at once; each lane sees exactly the scalar sequence
// s[i] += s[i + 8], s[i] += s[i + 4], s[i] += s[i + 2], s[0] + s[1].
inline __m128 reduce4(const Partial* p) {
  const __m128 u0 = fold8to4(_mm256_add_ps(p[0].lo, p[0].hi));
  const __m128 u1 = fold8to4(_mm256_add_ps(p[1].lo, p[1].hi));
  const __m128 u2 = fold8to4(_mm256_add_ps(p[2].lo, p[2].hi));
  const __m128 u3 = fold8to4(_mm256_add_ps(p[3].lo, p[3].hi));
  // a = {u0[0]+u0[2], u1[0]+u1[2], u0[1]+u0[3], u1[1]+u1[3]}, b likewise.
  const __m128 a = _mm_add_ps(_mm_unpacklo_ps(u0, u1), _mm_unpackhi_ps(u0, u1));
  const __m128 b = _mm_add_ps(_mm_unpacklo_ps(u2, u3), _mm_unpackhi_ps(u2, u3));
  return _mm_add_ps(_mm_movelh_ps(a, b), _mm_movehl_ps(b, a));
}

inline float reduce1(const Partial& p) {
  const __m128 u = fold8to4(_mm256_add_ps(p.lo, p.hi));
  const __m128 v = _mm_add_ps(u, _mm_movehl_ps(u, u));  // s[i] += s[i + 2]
  return _mm_cvtss_f32(_mm_add_ss(v, _mm_movehdup_ps(v)));
}

}  // namespace avx2
}  // namespace kernels
}  // namespace sinkq

#endif  // SINKQ_KERNELS_X86_AVX2_FLOAT_ORDER_H_
