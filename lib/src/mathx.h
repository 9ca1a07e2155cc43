// Deterministic elementary functions. The runtime must produce the same floats
// on every target (x86, AArch64, Armv7, Cortex-M with newlib), and libm
// implementations differ in their last bits, so sinkq carries its own: plain
// IEEE arithmetic in a fixed order (the library is built with
// -ffp-contract=off), accurate to a few ulp, which is far below what
// quantization changes.
#ifndef SINKQ_MATHX_H_
#define SINKQ_MATHX_H_

#include <stdint.h>
#include <string.h>

namespace sinkq {
namespace mathx {

inline uint32_t bits(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}
inline float from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, 4);
  return x;
}
inline bool is_finite(float x) { return (bits(x) & 0x7F800000u) != 0x7F800000u; }

// Round to nearest, ties to even, for |x| < 2^22 (the classic magic-number
// trick; exact under the default rounding mode on every IEEE target).
inline float round_even(float x) {
  const float magic = 12582912.0f;  // 1.5 * 2^23
  return x >= 0.f ? (x + magic) - magic : (x - magic) + magic;
}

// e^x in float. Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, then the
// Cephes expf minimax polynomial (about 1 ulp on that interval).
inline float exp_f32(float x) {
  if (!(x > -87.33654f)) return x != x ? x : 0.f;  // NaN stays NaN; underflow to 0
  if (x > 88.72283f) return from_bits(0x7F800000u);
  const float n = round_even(x * 1.44269504f);
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.f;
  // 2^n by exponent bits; n in [-126, 128] here, split to stay normal.
  int32_t ni = static_cast<int32_t>(n);
  float s = 1.f;
  if (ni > 127) { s = 2.f; ni -= 1; }
  if (ni < -126) { s = 0.5f; ni += 1; }
  return p * from_bits(static_cast<uint32_t>(ni + 127) << 23) * s;
}

// Double-precision helpers for tables built once at session start (RoPE).
// Double arithmetic is IEEE on every target (soft-float where there is no
// double FPU), so these give identical results everywhere.
inline double round_even_d(double x) {
  const double magic = 6755399441055744.0;  // 1.5 * 2^52
  return x >= 0 ? (x + magic) - magic : (x - magic) + magic;
}

// e^x for |x| < 700: reduction by ln2, degree-13 Taylor polynomial.
inline double exp_d(double x) {
  const double n = round_even_d(x * 1.4426950408889634);
  const double r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;  // 1/13!
  const double inv_fact[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                             1.0 / 362880.0,    1.0 / 40320.0,    1.0 / 5040.0,
                             1.0 / 720.0,       1.0 / 120.0,      1.0 / 24.0,
                             1.0 / 6.0,         0.5,              1.0,
                             1.0};
  for (double c : inv_fact) p = p * r + c;
  int64_t ni = static_cast<int64_t>(n);
  uint64_t u = static_cast<uint64_t>(ni + 1023) << 52;
  double s;
  memcpy(&s, &u, 8);
  return p * s;
}

// ln x for finite x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
// ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172, series to t^29.
inline double log_d(double x) {
  uint64_t u;
  memcpy(&u, &x, 8);
  int64_t e = static_cast<int64_t>((u >> 52) & 0x7FF) - 1023;
  u = (u & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  double m;
  memcpy(&m, &u, 8);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const double t = (m - 1.0) / (m + 1.0);
  const double t2 = t * t;
  double s = 0.0;
  for (int k = 29; k >= 1; k -= 2) s = s * t2 + 1.0 / k;
  return 2.0 * t * s + static_cast<double>(e) * 6.93147180559945309417e-01;
}

// sin and cos of x for |x| < 2^30: reduction by pi/2 in three parts
// (Cody-Waite), Taylor polynomials on [-pi/4, pi/4].
inline void sincos_d(double x, double* s, double* c) {
  const double n = round_even_d(x * 0.63661977236758134308);
  const double r = ((x - n * 1.57079632673412561417e+00) - n * 6.07710050630396597660e-11) -
                   n * 2.02226624871116645580e-21;
  const double r2 = r * r;
  double ps = 0.0, pc = 0.0;
  for (int k = 21; k >= 3; k -= 2) {  // sin: r - r^3/3! + ...
    double f = 1.0;
    for (int i = 2; i <= k; ++i) f *= i;
    ps = (ps + ((k / 2) % 2 ? -1.0 : 1.0) / f) * r2;
  }
  ps = r + r * ps;
  for (int k = 22; k >= 2; k -= 2) {  // cos: 1 - r^2/2! + ...
    double f = 1.0;
    for (int i = 2; i <= k; ++i) f *= i;
    pc = (pc + ((k / 2) % 2 ? -1.0 : 1.0) / f) * r2;
  }
  pc = 1.0 + pc;
  switch (static_cast<int64_t>(n) & 3) {
    case 0: *s = ps; *c = pc; break;
    case 1: *s = pc; *c = -ps; break;
    case 2: *s = -ps; *c = -pc; break;
    default: *s = -pc; *c = ps; break;
  }
}

inline float sqrt_f32(float x) { return __builtin_sqrtf(x); }  // IEEE correctly rounded

}  // namespace mathx
}  // namespace sinkq

#endif  // SINKQ_MATHX_H_
