// Portable reference kernels: the oracle every SIMD family is tested against.
#include "sinkq/kernels.h"

#include "half.h"
#include "kv_quant.h"
#include "mathx.h"

namespace sinkq {

namespace ref {

float dot_f32(const float* a, const float* b, uint32_t n) {
  float s[16] = {0.f};
  const uint32_t body = n & ~15u;
  for (uint32_t j = 0; j < body; j += 16)
    for (uint32_t i = 0; i < 16; ++i) s[i] = s[i] + a[j + i] * b[j + i];
  for (uint32_t i = 0; i < 8; ++i) s[i] = s[i] + s[i + 8];
  for (uint32_t i = 0; i < 4; ++i) s[i] = s[i] + s[i + 4];
  for (uint32_t i = 0; i < 2; ++i) s[i] = s[i] + s[i + 2];
  float r = s[0] + s[1];
  for (uint32_t j = body; j < n; ++j) r = r + a[j] * b[j];
  return r;
}

void gemm_f32(const float* W, const float* X, float* Y, uint32_t n, uint32_t rows,
              uint32_t cols) {
  for (uint32_t t = 0; t < n; ++t)
    for (uint32_t r = 0; r < rows; ++r)
      Y[size_t{t} * rows + r] = dot_f32(W + size_t{r} * cols, X + size_t{t} * cols, cols);
}

void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
             uint32_t cols) {
  for (uint32_t t = 0; t < n; ++t) {
    const int8_t* x = X + size_t{t} * cols;
    for (uint32_t r = 0; r < rows; ++r) {
      const int8_t* w = W + size_t{r} * cols;
      int32_t acc = 0;
      for (uint32_t j = 0; j < cols; ++j) acc += int32_t{w[j]} * int32_t{x[j]};
      Y[size_t{t} * rows + r] = acc;
    }
  }
}

void quantize_f32_s8(const float* x, int8_t* q, uint32_t n, float inv_scale) {
  for (uint32_t i = 0; i < n; ++i) {
    float v = x[i] * inv_scale;
    // Clamp first so the rounding trick's range holds; NaN maps to 0.
    v = v > 127.f ? 127.f : v;
    v = v < -127.f ? -127.f : v;
    v = v == v ? v : 0.f;
    q[i] = static_cast<int8_t>(mathx::round_even(v));
  }
}

float absmax_f32(const float* x, uint32_t n) {
  float m = 0.f;
  for (uint32_t i = 0; i < n; ++i) {
    float a = x[i] < 0.f ? -x[i] : x[i];
    m = a > m ? a : m;
  }
  return m;
}

void dequantize_s32_f32(const int32_t* acc, float* y, uint32_t n, float scale) {
  for (uint32_t i = 0; i < n; ++i) y[i] = static_cast<float>(acc[i]) * scale;
}

void dequantize_s32_f32_ch(const int32_t* acc, float* y, uint32_t n, float scale,
                           const float* ch) {
  for (uint32_t i = 0; i < n; ++i) y[i] = static_cast<float>(acc[i]) * (scale * ch[i]);
}

namespace {
// gemmlowp: (a * b * 2) >> 32 with round-to-nearest, saturating the single
// overflow case a == b == INT32_MIN.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = int64_t{a} * int64_t{b};
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  const int64_t r = (ab + nudge) / (int64_t{1} << 31);  // truncating division, as gemmlowp
  return static_cast<int32_t>(r);
}
// gemmlowp RoundingDivideByPOT: x / 2^e rounded half away from zero.
int32_t rounding_divide_by_pot(int32_t x, int32_t e) {
  // In unsigned arithmetic: 2^31 - 1 (e == 31) overflows int32 on the way.
  const int32_t mask = static_cast<int32_t>((uint32_t{1} << e) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}
}  // namespace

void requantize_s32_s8(const int32_t* acc, int8_t* out, uint32_t n, FixedPointMultiplier m) {
  for (uint32_t i = 0; i < n; ++i) {
    int32_t v = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(acc[i], m.multiplier),
                                       m.shift);
    v = v > 127 ? 127 : (v < -128 ? -128 : v);
    out[i] = static_cast<int8_t>(v);
  }
}

namespace {
// Dequantizes elements [first, first + n) of r, converting each group's
// fp16 pair once.
void unpack(const PackedRow& r, uint32_t first, uint32_t n, float* out) {
  if (n == 0) return;  // first may be one past the row: read no parameters
  uint32_t group = first / r.group, left = r.group - first % r.group;
  float scale = half::to_f32(r.params[2 * group]), min = half::to_f32(r.params[2 * group + 1]);
  for (uint32_t i = 0; i < n; ++i, --left) {
    if (left == 0) {
      ++group;
      left = r.group;
      scale = half::to_f32(r.params[2 * group]);
      min = half::to_f32(r.params[2 * group + 1]);
    }
    out[i] = static_cast<float>(kvq::get_code(r.codes, first + i, r.bits)) * scale + min;
  }
}
}  // namespace

float dot_f32_packed(const float* a, const PackedRow& r, uint32_t first, uint32_t n) {
  float s[16] = {0.f}, x[16];
  const uint32_t body = n & ~15u;
  for (uint32_t j = 0; j < body; j += 16) {
    unpack(r, first + j, 16, x);
    for (uint32_t i = 0; i < 16; ++i) s[i] = s[i] + a[j + i] * x[i];
  }
  for (uint32_t i = 0; i < 8; ++i) s[i] = s[i] + s[i + 8];
  for (uint32_t i = 0; i < 4; ++i) s[i] = s[i] + s[i + 4];
  for (uint32_t i = 0; i < 2; ++i) s[i] = s[i] + s[i + 2];
  float out = s[0] + s[1];
  if (n > body) unpack(r, first + body, n - body, x);  // the tail is shorter than 16
  for (uint32_t j = body; j < n; ++j) out = out + a[j] * x[j - body];
  return out;
}

void axpy_f32_packed(float* y, float a, const PackedRow& r, uint32_t first, uint32_t n) {
  float x[16];
  for (uint32_t j = 0; j < n; j += 16) {
    const uint32_t m = n - j < 16 ? n - j : 16;
    unpack(r, first + j, m, x);
    for (uint32_t i = 0; i < m; ++i) y[j + i] = y[j + i] + a * x[i];
  }
}

void dequantize_packed_f32(const PackedRow& r, uint32_t first, uint32_t n, float* out) {
  unpack(r, first, n, out);
}

}  // namespace ref

FixedPointMultiplier quantize_multiplier(double real) {
  FixedPointMultiplier m;
  if (!(real > 0.0) || !(real < 1.0)) return m;  // zero multiplier: outputs 0
  int shift = 0;
  while (real < 0.5) {
    real *= 2.0;
    ++shift;
  }
  // real in [0.5, 1): multiplier = round(real * 2^31).
  int64_t q = static_cast<int64_t>(real * 2147483648.0 + 0.5);
  if (q == (int64_t{1} << 31)) {
    q /= 2;
    --shift;
  }
  if (shift > 31) return FixedPointMultiplier();  // below int32 resolution
  m.multiplier = static_cast<int32_t>(q);
  m.shift = shift;
  return m;
}

}  // namespace sinkq
