// The build's kernel family (sinkq::kernels) against the reference (sinkq::ref)
// with exact equality, on the inputs that break SIMD ports: shapes that are not
// multiples of any vector width or tile, int8 extremes that fill every int16
// pair sum of the widening-multiply GEMM, denormals (Armv7 NEON flushes them),
// NaN and infinity, and the rounding ties of quantize and requantize. Runs in
// every build; the Arm families are the reason it exists (kernels_neon/).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "sinkq/kernels.h"

namespace sinkq {
namespace {

const uint32_t kTokens[] = {1, 2, 3, 4, 5, 9};
const uint32_t kRows[] = {1, 2, 3, 4, 5, 7, 8, 13};
const uint32_t kCols[] = {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 64, 65, 100, 172, 515};

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

// Bit equality, except that any NaN equals any NaN: compilers may swap the
// operands of a commutative add, which changes only which NaN payload wins.
::testing::AssertionResult same_floats(const std::vector<float>& want, const std::vector<float>& got) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]) && std::isnan(got[i])) continue;
    if (bits(want[i]) != bits(got[i]))
      return ::testing::AssertionFailure() << "element " << i << ": ref " << want[i] << " (0x"
                                           << std::hex << bits(want[i]) << "), kernel " << got[i]
                                           << " (0x" << bits(got[i]) << ")";
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult same_ints(const std::vector<T>& want, const std::vector<T>& got) {
  if (want.size() == got.size() &&
      (want.empty() || std::memcmp(want.data(), got.data(), want.size() * sizeof(T)) == 0))
    return ::testing::AssertionSuccess();
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i] != got[i])
      return ::testing::AssertionFailure() << "element " << i << ": ref " << int64_t{want[i]}
                                           << ", kernel " << int64_t{got[i]};
  return ::testing::AssertionFailure() << "sizes differ";
}

std::vector<int8_t> random_s8(size_t n, std::mt19937* rng, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(*rng));
  return v;
}

// Floats of magnitude ~2^e: with e around -70 products are denormal, with e
// around -130 the inputs are; mixed signs make partial sums cancel.
std::vector<float> random_f32(size_t n, std::mt19937* rng, int e) {
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = std::ldexp(d(*rng), e);
  return v;
}

TEST(KernelFamily, GemmS8EqualsReferenceOnEveryShape) {
  std::mt19937 rng(11);
  for (uint32_t n : kTokens)
    for (uint32_t rows : kRows)
      for (uint32_t cols : kCols) {
        const auto w = random_s8(size_t{rows} * cols, &rng, -127, 127);
        const auto x = random_s8(size_t{n} * cols, &rng, -128, 127);
        std::vector<int32_t> want(size_t{n} * rows), got(want.size(), 0x5a5a5a5a);
        ref::gemm_s8(w.data(), x.data(), want.data(), n, rows, cols);
        kernels::gemm_s8(w.data(), x.data(), got.data(), n, rows, cols);
        ASSERT_TRUE(same_ints(want, got)) << n << "x" << rows << "x" << cols;
      }
}

TEST(KernelFamily, GemmS8IsExactAtTheInt8Extremes) {
  // Every product +-127 * +-128 or +-127 * 127: each int16 pair sum of the
  // widening kernel is +-32512 or +-32258, the largest that can occur.
  for (uint32_t cols : {16u, 17u, 48u, 1000u, 4099u}) {
    const uint32_t n = 3, rows = 5;
    std::vector<int8_t> w(size_t{rows} * cols), x(size_t{n} * cols);
    for (size_t i = 0; i < w.size(); ++i) w[i] = (i / cols) % 2 ? 127 : -127;
    for (size_t i = 0; i < x.size(); ++i) x[i] = (i / cols) == 1 ? 127 : -128;
    for (uint32_t r = 4; r < rows; ++r)  // one row alternating, to mix signs
      for (uint32_t j = 0; j < cols; ++j) w[r * cols + j] = j % 2 ? 127 : -127;
    std::vector<int32_t> want(n * rows), got(n * rows);
    ref::gemm_s8(w.data(), x.data(), want.data(), n, rows, cols);
    kernels::gemm_s8(w.data(), x.data(), got.data(), n, rows, cols);
    ASSERT_TRUE(same_ints(want, got)) << cols;
    EXPECT_EQ(got[0], -127 * -128 * int32_t(cols));  // independent value
  }
}

TEST(KernelFamily, GemmF32AndDotEqualReferenceBitForBit) {
  std::mt19937 rng(12);
  for (int e : {0, -70, -135, 60})  // normal, denormal products, denormal inputs, overflow to inf
    for (uint32_t n : kTokens)
      for (uint32_t rows : kRows)
        for (uint32_t cols : kCols) {
          const auto w = random_f32(size_t{rows} * cols, &rng, e);
          const auto x = random_f32(size_t{n} * cols, &rng, e);
          std::vector<float> want(size_t{n} * rows), got(want.size(), -1.f);
          ref::gemm_f32(w.data(), x.data(), want.data(), n, rows, cols);
          kernels::gemm_f32(w.data(), x.data(), got.data(), n, rows, cols);
          ASSERT_TRUE(same_floats(want, got)) << "2^" << e << " " << n << "x" << rows << "x" << cols;
          const std::vector<float> d_want{ref::dot_f32(w.data(), x.data(), cols)};
          const std::vector<float> d_got{kernels::dot_f32(w.data(), x.data(), cols)};
          ASSERT_TRUE(same_floats(d_want, d_got)) << "dot 2^" << e << " " << cols;
        }
}

TEST(KernelFamily, GemmF32KeepsDenormalPartialSums) {
  // Products of 2^-70 and 2^-70 are 2^-140, a denormal; so is every partial
  // sum. The reference keeps them; a flush-to-zero kernel returns 0.
  const uint32_t cols = 35;
  std::vector<float> w(cols, std::ldexp(1.f, -70)), x(cols, std::ldexp(1.f, -70));
  const float got = kernels::dot_f32(w.data(), x.data(), cols);
  EXPECT_EQ(got, std::ldexp(35.f, -140));
  std::vector<float> y(1);
  kernels::gemm_f32(w.data(), x.data(), y.data(), 1, 1, cols);
  EXPECT_EQ(y[0], std::ldexp(35.f, -140));
}

std::vector<float> quantize_inputs(std::mt19937* rng) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.5f,  1.5f,   2.5f,    -0.5f,   -1.5f, -2.5f,  126.5f,  -126.5f,
                          127.f, 127.5f, -127.5f, 1000.f,  -1e9f, inf,    -inf,    -0.f,
                          0.f,   std::nanf(""), -std::nanf(""), 1e-38f, -3e-39f, 1e-45f, 0.49999997f};
  std::uniform_real_distribution<float> d(-200.f, 200.f);
  for (int i = 0; i < 300; ++i) v.push_back(d(*rng));
  for (int i = -130; i <= 130; ++i) v.push_back(i * 0.5f);  // every tie in range
  return v;
}

TEST(KernelFamily, QuantizeEqualsReferenceIncludingTiesNanAndDenormals) {
  std::mt19937 rng(13);
  const auto all = quantize_inputs(&rng);
  // 2e38 lifts denormal inputs to integers; 1e-38 is a denormal inv_scale.
  for (float inv_scale : {1.f, 0.37f, 10.f, 2e38f, 1e-38f, 0.f, std::ldexp(1.f, -149)})
    for (size_t off : {size_t{0}, size_t{1}, size_t{5}})
      for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{23}, all.size() - off}) {
        std::vector<int8_t> want(n), got(n, 99);
        ref::quantize_f32_s8(all.data() + off, want.data(), uint32_t(n), inv_scale);
        kernels::quantize_f32_s8(all.data() + off, got.data(), uint32_t(n), inv_scale);
        ASSERT_TRUE(same_ints(want, got)) << "inv_scale " << inv_scale << " off " << off << " n " << n;
      }
  // Independent values: ties to even, clamps, NaN to 0, a denormal input lifted.
  const float x[] = {2.5f, -2.5f, 3.5f, 200.f, -200.f, std::nanf(""), 1e-38f, -0.5f};
  int8_t q[8];
  kernels::quantize_f32_s8(x, q, 8, 1.f);
  const int8_t want1[] = {2, -2, 4, 127, -127, 0, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(q[i], want1[i]) << i;
  kernels::quantize_f32_s8(x, q, 8, 2e38f);
  EXPECT_EQ(q[6], 2);  // 1e-38 * 2e38 = 2: the denormal is not flushed
}

TEST(KernelFamily, AbsmaxEqualsReferenceAndIgnoresNan) {
  const float inf = std::numeric_limits<float>::infinity();
  std::mt19937 rng(14);
  for (int e : {0, -140}) {  // -140: all denormal, the maximum too
    auto v = random_f32(1003, &rng, e);
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{17}, v.size()}) {
      const std::vector<float> want{ref::absmax_f32(v.data(), uint32_t(n))};
      const std::vector<float> got{kernels::absmax_f32(v.data(), uint32_t(n))};
      ASSERT_TRUE(same_floats(want, got)) << e << " " << n;
    }
  }
  const float x[] = {1.f, -std::nanf(""), -7.5f, std::nanf(""), 3.f, -0.f, 2.f, std::nanf("")};
  EXPECT_EQ(kernels::absmax_f32(x, 8), 7.5f);
  const float y[] = {-0.f, -0.f, -0.f, -0.f, -0.f};
  EXPECT_EQ(bits(kernels::absmax_f32(y, 5)), bits(ref::absmax_f32(y, 5)));
  const float z[] = {1.f, 2.f, -inf, 3.f, 4.f};
  EXPECT_EQ(kernels::absmax_f32(z, 5), inf);
  const float d[] = {1e-45f, -3e-40f, 2e-40f, 0.f, 1e-42f};
  EXPECT_EQ(kernels::absmax_f32(d, 5), 3e-40f);
}

TEST(KernelFamily, DequantizeEqualsReferenceForEveryScale) {
  std::mt19937 rng(15);
  std::vector<int32_t> acc = {0, 1, -1, INT32_MAX, INT32_MIN, 16777217, -16777217, 33554435};
  std::uniform_int_distribution<int32_t> d(INT32_MIN, INT32_MAX);
  for (int i = 0; i < 200; ++i) acc.push_back(i % 2 ? d(rng) : d(rng) % 1000);
  std::vector<float> ch = random_f32(acc.size(), &rng, 0);
  const auto tiny = random_f32(acc.size(), &rng, -140);
  for (size_t i = 0; i < ch.size(); i += 3) ch[i] = tiny[i];  // denormal channel scales
  ch[1] = 0.f;
  const float inf = std::numeric_limits<float>::infinity();
  for (float scale : {1.f, 0.0123f, -3.f, 0.f, -0.f, 1e-40f, std::ldexp(1.f, -140), 1e-30f, 3e38f,
                      inf, std::nanf("")})
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{5}, acc.size()}) {
      std::vector<float> want(n), got(n, -1.f);
      ref::dequantize_s32_f32(acc.data(), want.data(), uint32_t(n), scale);
      kernels::dequantize_s32_f32(acc.data(), got.data(), uint32_t(n), scale);
      ASSERT_TRUE(same_floats(want, got)) << "scale " << scale << " n " << n;
      ref::dequantize_s32_f32_ch(acc.data(), want.data(), uint32_t(n), scale, ch.data());
      kernels::dequantize_s32_f32_ch(acc.data(), got.data(), uint32_t(n), scale, ch.data());
      ASSERT_TRUE(same_floats(want, got)) << "per-channel, scale " << scale << " n " << n;
    }
  const int32_t a[] = {3, -5, 1, 7};
  float y[4];
  kernels::dequantize_s32_f32(a, y, 4, std::ldexp(1.f, -140));  // denormal results stay denormal
  EXPECT_EQ(y[0], std::ldexp(3.f, -140));
  EXPECT_EQ(y[1], std::ldexp(-5.f, -140));
}

TEST(KernelFamily, RequantizeEqualsReferenceIncludingNegativeTies) {
  std::mt19937 rng(16);
  std::vector<int32_t> acc = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1};
  for (int32_t v = -5000; v <= 5000; ++v) acc.push_back(v);
  std::uniform_int_distribution<int32_t> d(INT32_MIN, INT32_MAX);
  for (int i = 0; i < 3000; ++i) acc.push_back(d(rng));
  for (int32_t e = 1; e < 31; ++e)  // exact ties of the shift, both signs
    for (int32_t k : {0, 1, 2, 3, 100}) {
      const int64_t tie = (int64_t{k} << e) + (int64_t{1} << (e - 1));
      if (tie <= INT32_MAX / 2) {
        acc.push_back(int32_t(2 * tie));  // multiplier 2^30 halves, exactly
        acc.push_back(int32_t(-2 * tie));
      }
    }
  std::vector<FixedPointMultiplier> ms;
  for (int32_t shift = 0; shift <= 31; ++shift) {
    ms.push_back({1 << 30, shift});                  // exact halving: ties everywhere
    ms.push_back({INT32_MAX, shift});
    ms.push_back({int32_t((1u << 30) + 12345u), shift});
  }
  for (double real : {0.5, 0.123456, 0.0031, 1.7e-5, 0.999, 3e-10})
    ms.push_back(quantize_multiplier(real));
  ms.push_back({0, 0});
  ms.push_back({INT32_MIN, 3});  // the saturating case INT32_MIN * INT32_MIN
  for (const FixedPointMultiplier& m : ms)
    for (size_t n : {acc.size(), size_t{7}, size_t{9}, size_t{0}}) {
      std::vector<int8_t> want(n), got(n, 99);
      ref::requantize_s32_s8(acc.data(), want.data(), uint32_t(n), m);
      kernels::requantize_s32_s8(acc.data(), got.data(), uint32_t(n), m);
      ASSERT_TRUE(same_ints(want, got)) << "multiplier " << m.multiplier << " shift " << m.shift;
    }
  // Independent values for acc * 2^30 * 2^-31 * 2^-1: the high multiply rounds
  // its ties up (9 / 2 -> 5, -9 / 2 -> -4), the shift away from zero.
  const int32_t a[] = {6, -6, 2, -2, 10, -10, 9, -9};
  int8_t q[8];
  kernels::requantize_s32_s8(a, q, 8, FixedPointMultiplier{1 << 30, 1});
  const int8_t want[] = {2, -2, 1, -1, 3, -3, 3, -2};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(q[i], want[i]) << a[i];
}

}  // namespace
}  // namespace sinkq
