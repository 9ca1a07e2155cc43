// The one kernel interface. Every function exists twice:
//   sinkq::ref::*      portable reference, always compiled, the test oracle;
//   sinkq::kernels::*  the family chosen at build time (SINKQ_KERNELS), which
//                      the runtime calls directly: no dispatch in the hot path.
// Integer kernels must equal the reference bit for bit. Float kernels too: the
// reference fixes the summation order (below) so that every family, and every
// target, produces the same floats and therefore the same tokens.
//
// Conventions
// - Weights are row-major [rows][cols]; activations are [n][cols]; outputs
//   [n][rows]. No alignment or padding is assumed; any cols >= 1 works.
// - int8 weights lie in [-127, 127] (symmetric quantization; the loader checks).
//   int8 activations may use the full range [-128, 127]. Together these keep
//   the AVX2 sign trick (vpmaddubsw on |x| and sign(w, x)) exact: each int16
//   pair sum is at most 2 * 128 * 127 = 32512.
// - Float dot products use 16 partial sums: s[j % 16] += w[j] * x[j] over the
//   first floor(cols / 16) * 16 elements, reduced as s[i] += s[i + 8], then
//   s[i] += s[i + 4], s[i] += s[i + 2], s[0] + s[1], and then the tail elements
//   are added one by one in order. Multiplies and adds are separate (no FMA).
// - Packed kernels (the low-bit KV cache) read a PackedRow: each element is
//   dequantized as float(code) * scale + min, a multiply then an add, and then
//   enters the same fixed order as the float kernels, so a packed dot product
//   equals dot_f32 over the dequantized vector bit for bit.
#ifndef SINKQ_KERNELS_H_
#define SINKQ_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

namespace sinkq {

// real = multiplier * 2^-31 * 2^-shift (gemmlowp / TFLite convention):
// multiplier in [2^30, 2^31), shift >= 0 is a right shift.
struct FixedPointMultiplier {
  int32_t multiplier = 0;
  int32_t shift = 0;
};

// A row of the low-bit KV cache. Element j is the code at bits
// [j * bits, (j + 1) * bits) of a little-endian bit stream (bits 2, 3, 4 or 8:
// bit 0 of the stream is bit 0 of codes[0]); it stands for
// float(code) * scale + min, where scale and min are the fp16 values
// params[2 * (j / group)] and params[2 * (j / group) + 1].
struct PackedRow {
  const uint8_t* codes = nullptr;
  const uint16_t* params = nullptr;
  uint32_t bits = 0;
  uint32_t group = 1;
};

#define SINKQ_KERNEL_DECLS                                                          \
  /* Y[n][rows] = X[n][cols] . W[rows][cols]^T in float (fixed order above). */     \
  void gemm_f32(const float* W, const float* X, float* Y, uint32_t n,               \
                uint32_t rows, uint32_t cols);                                      \
  /* Y[n][rows] = X[n][cols] . W[rows][cols]^T, exact int32 accumulation. */        \
  void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n,            \
               uint32_t rows, uint32_t cols);                                       \
  /* One float dot product in the fixed order. */                                   \
  float dot_f32(const float* a, const float* b, uint32_t n);                        \
  /* q[i] = clamp(round_half_even(x[i] * inv_scale), -127, 127). */                 \
  void quantize_f32_s8(const float* x, int8_t* q, uint32_t n, float inv_scale);     \
  /* max |x[i]| (0 for n == 0). */                                                  \
  float absmax_f32(const float* x, uint32_t n);                                     \
  /* y[i] = (float)acc[i] * scale (per-tensor dequantization). */                   \
  void dequantize_s32_f32(const int32_t* acc, float* y, uint32_t n, float scale);   \
  /* y[i] = (float)acc[i] * (scale * ch[i]) (per-channel weights). */               \
  void dequantize_s32_f32_ch(const int32_t* acc, float* y, uint32_t n, float scale, \
                             const float* ch);                                      \
  /* out[i] = clamp(rounding_doubling_high_mul(acc[i], m) >> shift (rounded),        \
     -128, 127): gemmlowp's SaturatingRoundingDoublingHighMul followed by           \
     RoundingDivideByPOT (round half away from zero). */                            \
  void requantize_s32_s8(const int32_t* acc, int8_t* out, uint32_t n,               \
                         FixedPointMultiplier m);                                   \
  /* dot_f32(a, x) where x[i] is element first + i of r, dequantized. */            \
  float dot_f32_packed(const float* a, const PackedRow& r, uint32_t first,          \
                       uint32_t n);                                                 \
  /* y[i] = y[i] + a * x[i], x[i] as above (attention's value accumulation). */     \
  void axpy_f32_packed(float* y, float a, const PackedRow& r, uint32_t first,        \
                       uint32_t n);                                                 \
  /* out[i] = x[i], x[i] as above. */                                                \
  void dequantize_packed_f32(const PackedRow& r, uint32_t first, uint32_t n,          \
                             float* out);

namespace ref {
SINKQ_KERNEL_DECLS
}  // namespace ref

namespace kernels {
SINKQ_KERNEL_DECLS
// The family compiled into this build ("ref", "avx2", ...).
const char* family();
}  // namespace kernels

// Decomposes a positive real multiplier (< 1) into the fixed-point form.
FixedPointMultiplier quantize_multiplier(double real);

}  // namespace sinkq

#endif  // SINKQ_KERNELS_H_
