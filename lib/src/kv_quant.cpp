#include "kv_quant.h"

#include "half.h"
#include "mathx.h"

namespace sinkq {
namespace kvq {

namespace {
float saturate(float x) {
  if (x != x) return 0.f;
  return x > half::kMax ? half::kMax : (x < -half::kMax ? -half::kMax : x);
}
}  // namespace

void put_code(uint8_t* codes, uint32_t j, uint32_t bits, uint32_t code) {
  const uint32_t bit = j * bits, byte = bit >> 3, shift = bit & 7u;
  const uint32_t mask = (1u << bits) - 1u;
  code &= mask;
  codes[byte] = static_cast<uint8_t>((codes[byte] & ~(mask << shift)) | (code << shift));
  if (shift + bits > 8) {
    const uint32_t spill = 8 - shift;
    codes[byte + 1] =
        static_cast<uint8_t>((codes[byte + 1] & ~(mask >> spill)) | (code >> spill));
  }
}

void fit(float lo, float hi, uint32_t bits, uint16_t pair[2]) {
  lo = saturate(lo);
  hi = saturate(hi);
  const uint16_t min = half::round_down(lo);
  const float levels = static_cast<float>((1u << bits) - 1u);
  const float range = hi - half::to_f32(min);
  pair[0] = range > 0.f ? half::round_up(range / levels) : 0;
  pair[1] = min;
}

uint32_t quantize(float x, const uint16_t pair[2], uint32_t bits) {
  const float scale = half::to_f32(pair[0]);
  if (!(scale > 0.f)) return 0;
  float q = (saturate(x) - half::to_f32(pair[1])) / scale;
  const float top = static_cast<float>((1u << bits) - 1u);
  q = q < 0.f ? 0.f : (q > top ? top : q);
  return static_cast<uint32_t>(mathx::round_even(q));
}

void quantize_row(const float* x, uint32_t n, uint32_t group, uint32_t bits, uint8_t* codes,
                  uint16_t* params) {
  for (uint32_t g = 0; g * group < n; ++g) {
    const float* xg = x + size_t{g} * group;
    float lo = saturate(xg[0]), hi = lo;
    for (uint32_t i = 1; i < group; ++i) {
      const float v = saturate(xg[i]);
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    uint16_t* pair = params + 2 * g;
    fit(lo, hi, bits, pair);
    for (uint32_t i = 0; i < group; ++i)
      put_code(codes, g * group + i, bits, quantize(xg[i], pair, bits));
  }
}

void quantize_columns(const float* x, uint32_t rows, uint32_t cols, const uint8_t* skip,
                      uint32_t bits, uint8_t* codes, uint16_t* params) {
  const uint32_t stride = row_bytes(cols, bits);
  for (uint32_t c = 0; c < cols; ++c) {
    float lo = 0.f, hi = 0.f;
    bool any = false;
    for (uint32_t r = 0; r < rows; ++r) {
      if (skip && skip[r]) continue;
      const float v = saturate(x[size_t{r} * cols + c]);
      lo = !any || v < lo ? v : lo;
      hi = !any || v > hi ? v : hi;
      any = true;
    }
    uint16_t* pair = params + 2 * c;
    fit(lo, hi, bits, pair);
    for (uint32_t r = 0; r < rows; ++r) {
      const uint32_t q = skip && skip[r] ? 0 : quantize(x[size_t{r} * cols + c], pair, bits);
      put_code(codes + size_t{r} * stride, c, bits, q);
    }
  }
}

}  // namespace kvq
}  // namespace sinkq
