// Quantization kernels for the Arm families (AArch64 and Armv7-A NEON), and the
// family name. Element counts that are not a multiple of the vector width end
// with the reference on the tail, which is exact by definition.
//
// Armv7 NEON flushes denormal float inputs and results to zero and returns the
// default NaN where VFP propagates a NaN's payload. The float kernels below
// therefore take the NEON path on Armv7 only where neither can change a bit:
// see each function.
#include <string.h>

#include "neon_util.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {

const char* family() { return SINKQ_KERNEL_FAMILY_NAME; }

namespace {

inline uint32_t float_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}

#if !defined(__aarch64__)
// Nonzero with a zero exponent field: what Armv7 NEON flushes.
inline bool is_denormal(float x) { return ((float_bits(x) & 0x7FFFFFFFu) - 1u) < 0x007FFFFFu; }
inline bool is_normal_or_zero(float x) {
  const uint32_t e = float_bits(x) & 0x7F800000u;
  return (float_bits(x) & 0x7FFFFFFFu) == 0 || (e != 0 && e != 0x7F800000u);
}
inline uint32x4_t denormal_lanes(float32x4_t v) {
  const uint32x4_t a = vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(0x7FFFFFFFu));
  return vcltq_u32(vsubq_u32(a, vdupq_n_u32(1)), vdupq_n_u32(0x007FFFFFu));
}
#endif

// round_half_even(clamp(v, -127, 127)) with NaN -> 0, as the reference.
inline int32x4_t quantize_lanes(float32x4_t v) {
  v = vminq_f32(v, vdupq_n_f32(127.f));  // a NaN stays a NaN through min and max
  v = vmaxq_f32(v, vdupq_n_f32(-127.f));
  v = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), vceqq_f32(v, v)));
#if defined(__aarch64__)
  return vcvtnq_s32_f32(v);  // fcvtns: nearest, ties to even, whatever FPCR says
#else
  // Armv7 has no rounding conversion. Adding 1.5 * 2^23 leaves an integer
  // spacing of 1, so the add rounds v half to even (NEON always rounds to
  // nearest); then the integral value converts exactly.
  const float32x4_t magic = vdupq_n_f32(12582912.f);
  return vcvtq_s32_f32(vsubq_f32(vaddq_f32(v, magic), magic));
#endif
}

inline int8x8_t narrow_s32x8(int32x4_t lo, int32x4_t hi) {
  return vqmovn_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi)));
}

}  // namespace

void quantize_f32_s8(const float* x, int8_t* q, uint32_t n, float inv_scale) {
#if !defined(__aarch64__)
  // NEON would read a denormal inv_scale as 0 (the reference may not).
  if (is_denormal(inv_scale)) return ref::quantize_f32_s8(x, q, n, inv_scale);
#endif
  const float32x4_t s = vdupq_n_f32(inv_scale);
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
#if !defined(__aarch64__)
    // A denormal x times a large inv_scale can quantize to nonzero in the
    // reference, and NEON would read x as 0. A denormal product is harmless:
    // it quantizes to 0 either way.
    if (neon::any_lane(vorrq_u32(denormal_lanes(a), denormal_lanes(b)))) {
      ref::quantize_f32_s8(x + i, q + i, 8, inv_scale);
      continue;
    }
#endif
    vst1_s8(q + i, narrow_s32x8(quantize_lanes(vmulq_f32(a, s)), quantize_lanes(vmulq_f32(b, s))));
  }
  ref::quantize_f32_s8(x + i, q + i, n - i, inv_scale);
}

float absmax_f32(const float* x, uint32_t n) {
  // On the bit patterns: for non-negative floats the integer order is the
  // float order, NaNs (above infinity) are dropped as the reference drops
  // them, and no float arithmetic means no denormal flushing on Armv7.
  const uint32x4_t abs_mask = vdupq_n_u32(0x7FFFFFFFu), inf = vdupq_n_u32(0x7F800000u);
  uint32x4_t m = vdupq_n_u32(0);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32x4_t a = vandq_u32(vreinterpretq_u32_f32(vld1q_f32(x + i)), abs_mask);
    m = vmaxq_u32(m, vbicq_u32(a, vcgtq_u32(a, inf)));
  }
#if defined(__aarch64__)
  uint32_t best = vmaxvq_u32(m);
#else
  uint32x2_t h = vpmax_u32(vget_low_u32(m), vget_high_u32(m));
  uint32_t best = vget_lane_u32(vpmax_u32(h, h), 0);
#endif
  const uint32_t tail = float_bits(ref::absmax_f32(x + i, n - i));
  best = tail > best ? tail : best;
  float r;
  memcpy(&r, &best, 4);
  return r;
}

void dequantize_s32_f32(const int32_t* acc, float* y, uint32_t n, float scale) {
#if !defined(__aarch64__)
  // With |acc| >= 1 and a normal scale every nonzero product is at least
  // |scale|, so never denormal; a denormal or NaN scale goes to VFP.
  if (!is_normal_or_zero(scale)) return ref::dequantize_s32_f32(acc, y, n, scale);
#endif
  const float32x4_t s = vdupq_n_f32(scale);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vmulq_f32(vcvtq_f32_s32(vld1q_s32(acc + i)), s));
  ref::dequantize_s32_f32(acc + i, y + i, n - i, scale);
}

void dequantize_s32_f32_ch(const int32_t* acc, float* y, uint32_t n, float scale,
                           const float* ch) {
#if defined(__aarch64__)
  const float32x4_t s = vdupq_n_f32(scale);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t sc = vmulq_f32(s, vld1q_f32(ch + i));
    vst1q_f32(y + i, vmulq_f32(vcvtq_f32_s32(vld1q_s32(acc + i)), sc));
  }
  ref::dequantize_s32_f32_ch(acc + i, y + i, n - i, scale, ch + i);
#else
  // scale * ch[i] may be denormal, which NEON would flush: VFP throughout.
  ref::dequantize_s32_f32_ch(acc, y, n, scale, ch);
#endif
}

void requantize_s32_s8(const int32_t* acc, int8_t* out, uint32_t n, FixedPointMultiplier m) {
  // sqrdmulh is gemmlowp's SaturatingRoundingDoublingHighMul exactly: for any
  // product p = a * b, floor((2p + 2^31) / 2^32) equals gemmlowp's
  // (p + (p >= 0 ? 2^30 : 1 - 2^30)) / 2^31 truncated toward zero. srshl by
  // -shift rounds ties up; subtracting 1 from negative values first (gemmlowp's
  // NEON fixup, saturating so INT32_MIN stays put) turns that into ties away
  // from zero, RoundingDivideByPOT.
  const int32x4_t mul = vdupq_n_s32(m.multiplier), shift = vdupq_n_s32(-m.shift);
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int32x4_t v[2];
    for (uint32_t k = 0; k < 2; ++k) {
      const int32x4_t h = vqrdmulhq_s32(vld1q_s32(acc + i + 4 * k), mul);
      const int32x4_t fixup = vshrq_n_s32(vandq_s32(h, shift), 31);
      v[k] = vrshlq_s32(vqaddq_s32(h, fixup), shift);
    }
    vst1_s8(out + i, narrow_s32x8(v[0], v[1]));
  }
  ref::requantize_s32_s8(acc + i, out + i, n - i, m);
}

}  // namespace kernels
}  // namespace sinkq
