// IEEE binary16 conversions in integer arithmetic, so that every target (with
// or without an fp16 unit) rounds the KV cache's scales identically.
#ifndef SINKQ_HALF_H_
#define SINKQ_HALF_H_

#include <stdint.h>

#include "mathx.h"

namespace sinkq {
namespace half {

constexpr float kMax = 65504.f;

// Exact: every binary16 value is a float.
inline float to_f32(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0) {
    const float v = static_cast<float>(m) * mathx::from_bits(0x33800000u);  // m * 2^-24
    return sign ? -v : v;
  }
  if (e == 31) return mathx::from_bits(sign | 0x7F800000u | (m << 13));
  return mathx::from_bits(sign | ((e + 112) << 23) | (m << 13));
}

// Round to nearest, ties to even; overflow gives infinity, NaN stays NaN.
inline uint16_t from_f32(float f) {
  const uint32_t x = mathx::bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u, a = x & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u);
  if (a >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520
  if (a < 0x38800000u) {  // below 2^-14: subnormal, in units of 2^-24
    const float v = mathx::from_bits(a) * 16777216.f;  // exact power-of-two scaling
    // 1024 rounds up into the smallest normal, whose encoding is 0x400.
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(mathx::round_even(v)));
  }
  const uint32_t r = a - 0x38000000u;  // rebias the exponent from 127 to 15
  uint32_t m = r >> 13;
  const uint32_t rest = r & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (m & 1u))) ++m;  // a carry bumps the exponent
  return static_cast<uint16_t>(sign | m);
}

// The neighbouring binary16 values (finite inputs; ±0 handled).
inline uint16_t next_up(uint16_t h) {
  if (h == 0x8000u || h == 0) return 1;
  return static_cast<uint16_t>(h & 0x8000u ? h - 1 : h + 1);
}
inline uint16_t next_down(uint16_t h) {
  if (h == 0 || h == 0x8000u) return 0x8001u;
  return static_cast<uint16_t>(h & 0x8000u ? h + 1 : h - 1);
}

// The largest binary16 <= x and the smallest >= x, for |x| <= kMax.
inline uint16_t round_down(float x) {
  const uint16_t h = from_f32(x);
  return to_f32(h) > x ? next_down(h) : h;
}
inline uint16_t round_up(float x) {
  const uint16_t h = from_f32(x);
  return to_f32(h) < x ? next_up(h) : h;
}

}  // namespace half
}  // namespace sinkq

#endif  // SINKQ_HALF_H_
