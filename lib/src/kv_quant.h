// Low-bit quantization of the KV cache: asymmetric min-max groups with fp16
// (scale, min) pairs and codes packed into little-endian bit streams, the
// layout PackedRow (kernels.h) reads.
#ifndef SINKQ_KV_QUANT_H_
#define SINKQ_KV_QUANT_H_

#include <stddef.h>
#include <stdint.h>

namespace sinkq {
namespace kvq {

inline bool valid_bits(uint32_t bits) { return bits == 2 || bits == 3 || bits == 4 || bits == 8; }
inline uint32_t row_bytes(uint32_t n, uint32_t bits) { return (n * bits + 7) / 8; }

void put_code(uint8_t* codes, uint32_t j, uint32_t bits, uint32_t code);
inline uint32_t get_code(const uint8_t* codes, uint32_t j, uint32_t bits) {
  const uint32_t bit = j * bits, byte = bit >> 3, shift = bit & 7u;
  uint32_t v = uint32_t{codes[byte]} >> shift;
  // Only a 3-bit code can straddle two bytes; never read past the row.
  if (shift + bits > 8) v |= uint32_t{codes[byte + 1]} << (8 - shift);
  return v & ((1u << bits) - 1u);
}

// The fp16 pair for values in [lo, hi]: min is the largest fp16 <= lo and
// scale the smallest fp16 >= (hi - min) / (2^bits - 1) (evaluated in float),
// so the grid covers the range and every value is within scale / 2 of its
// reconstruction.
// K/V values beyond the fp16 range saturate at +-65504 and NaN counts as 0.
void fit(float lo, float hi, uint32_t bits, uint16_t pair[2]);
// clamp(round_half_even((x - min) / scale), 0, 2^bits - 1); 0 when scale is 0.
uint32_t quantize(float x, const uint16_t pair[2], uint32_t bits);

// Per-token: x[0..n) in groups of `group` consecutive elements (n % group == 0).
void quantize_row(const float* x, uint32_t n, uint32_t group, uint32_t bits, uint8_t* codes,
                  uint16_t* params);

// Per-channel: column c of rows x[r * cols + c] gets one pair params[2c..2c+1].
// Rows with skip[r] != 0 (tokens held elsewhere) are left out of the ranges
// and get code 0. Row r's codes go to codes + r * row_bytes(cols, bits).
void quantize_columns(const float* x, uint32_t rows, uint32_t cols, const uint8_t* skip,
                      uint32_t bits, uint8_t* codes, uint16_t* params);

}  // namespace kvq
}  // namespace sinkq

#endif  // SINKQ_KV_QUANT_H_
