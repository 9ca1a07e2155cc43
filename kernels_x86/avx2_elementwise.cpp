// Quantization, absmax, dequantization and requantization for AVX2, eight
// lanes at a time with the reference's exact semantics (shared by the x86
// families). Tails run the same per-element code through a padded copy, so
// one path decides every output.
#include <immintrin.h>
#include <string.h>

#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {
namespace {

// Eight int32 saturated to int8 (the reference's clamps come for free from
// the saturating packs where the value range allows), stored as 8 bytes.
inline void store_s8x8(int8_t* q, __m256i v) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(q), _mm_packs_epi16(w, w));
}

inline __m256i quantize8(__m256 x, __m256 inv_scale) {
  __m256 v = _mm256_mul_ps(x, inv_scale);
  // NaN -> +0 first: vminps/vmaxps would otherwise turn NaN into a bound.
  v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
  v = _mm256_max_ps(_mm256_min_ps(v, _mm256_set1_ps(127.f)), _mm256_set1_ps(-127.f));
  // vcvtps2dq rounds half to even under the default MXCSR rounding mode, the
  // same as the reference's magic-number rounding on this range.
  return _mm256_cvtps_epi32(v);
}

inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), x); }

// gemmlowp's SaturatingRoundingDoublingHighMul then RoundingDivideByPOT on
// eight lanes. The reference adds the nudge 2^30 (ab >= 0) or 1 - 2^30
// (ab < 0) and divides by 2^31 truncating toward zero; for negative sums that
// truncation is floor((s + 2^31 - 1) / 2^31), so both signs reduce to
// floor((ab + 2^30) / 2^31). The quotient fits in int32 (except for
// INT32_MIN * INT32_MIN, patched below), so only bits 31..62 of the sum
// matter and a logical 64-bit shift gives them: AVX2 has no 64-bit
// arithmetic shift.
inline __m256i requantize8(__m256i a, __m256i b, __m128i shift, __m256i mask, __m256i half) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i nudge = _mm256_set1_epi64x(int64_t{1} << 30);
  auto high = [&](__m256i ab) { return _mm256_srli_epi64(_mm256_add_epi64(ab, nudge), 31); };
  const __m256i even = high(_mm256_mul_epi32(a, b));
  const __m256i odd = high(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)));
  __m256i v = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  const __m256i min = _mm256_set1_epi32(INT32_MIN);
  const __m256i sat = _mm256_and_si256(_mm256_cmpeq_epi32(a, min), _mm256_cmpeq_epi32(b, min));
  v = _mm256_blendv_epi8(v, _mm256_set1_epi32(INT32_MAX), sat);
  // RoundingDivideByPOT: (v >> e) + (remainder > (mask >> 1) + (v < 0)).
  const __m256i remainder = _mm256_and_si256(v, mask);
  const __m256i threshold = _mm256_sub_epi32(half, _mm256_cmpgt_epi32(zero, v));
  const __m256i up = _mm256_cmpgt_epi32(remainder, threshold);
  return _mm256_sub_epi32(_mm256_sra_epi32(v, shift), up);
}

}  // namespace

void quantize_f32_s8(const float* x, int8_t* q, uint32_t n, float inv_scale) {
  const __m256 s = _mm256_set1_ps(inv_scale);
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) store_s8x8(q + i, quantize8(_mm256_loadu_ps(x + i), s));
  if (i < n) {
    float xt[8] = {0.f};
    int8_t qt[8];
    memcpy(xt, x + i, (n - i) * sizeof(float));
    store_s8x8(qt, quantize8(_mm256_loadu_ps(xt), s));
    memcpy(q + i, qt, n - i);
  }
}

float absmax_f32(const float* x, uint32_t n) {
  // vmaxps returns its second operand when the first is NaN: NaNs are skipped
  // as in the reference. Max is exact, so the lane order does not matter.
  __m256 m = _mm256_setzero_ps();
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(abs8(_mm256_loadu_ps(x + i)), m);
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i) {
    const float a = x[i] < 0.f ? -x[i] : x[i];
    r = a > r ? a : r;
  }
  return r;
}

void dequantize_s32_f32(const int32_t* acc, float* y, uint32_t n, float scale) {
  const __m256 s = _mm256_set1_ps(scale);
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(a), s));
  }
  for (; i < n; ++i) y[i] = static_cast<float>(acc[i]) * scale;
}

void dequantize_s32_f32_ch(const int32_t* acc, float* y, uint32_t n, float scale,
                           const float* ch) {
  const __m256 s = _mm256_set1_ps(scale);
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
    const __m256 c = _mm256_mul_ps(s, _mm256_loadu_ps(ch + i));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(a), c));
  }
  for (; i < n; ++i) y[i] = static_cast<float>(acc[i]) * (scale * ch[i]);
}

void requantize_s32_s8(const int32_t* acc, int8_t* out, uint32_t n, FixedPointMultiplier m) {
  const __m256i b = _mm256_set1_epi32(m.multiplier);
  // The contract is shift in [0, 31]; clamping keeps other values defined.
  const int32_t e = m.shift < 0 ? 0 : (m.shift > 31 ? 31 : m.shift);
  const __m128i shift = _mm_cvtsi32_si128(e);
  const int32_t mask = static_cast<int32_t>((uint32_t{1} << e) - 1u);
  const __m256i vmask = _mm256_set1_epi32(mask);
  const __m256i half = _mm256_set1_epi32(mask >> 1);
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
    store_s8x8(out + i, requantize8(a, b, shift, vmask, half));
  }
  if (i < n) {
    int32_t at[8] = {0};
    int8_t qt[8];
    memcpy(at, acc + i, (n - i) * sizeof(int32_t));
    store_s8x8(qt, requantize8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)), b, shift,
                               vmask, half));
    memcpy(out + i, qt, n - i);
  }
}

}  // namespace kernels
}  // namespace sinkq
