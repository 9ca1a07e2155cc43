// The reference kernels against independent computations (int64 / double).
#include "sinkq/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "half_ref.h"

namespace sinkq {
namespace {

std::vector<int8_t> random_s8(size_t n, std::mt19937* rng, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(*rng));
  return v;
}

TEST(RefKernels, GemmS8IsExactIncludingExtremes) {
  std::mt19937 rng(1);
  for (uint32_t cols : {1u, 7u, 16u, 33u, 64u, 172u, 1000u}) {
    const uint32_t rows = 5, n = 3;
    auto w = random_s8(size_t{rows} * cols, &rng, -127, 127);
    auto x = random_s8(size_t{n} * cols, &rng, -128, 127);
    w[0] = -127;
    x[0] = -128;
    std::vector<int32_t> y(n * rows);
    ref::gemm_s8(w.data(), x.data(), y.data(), n, rows, cols);
    for (uint32_t t = 0; t < n; ++t)
      for (uint32_t r = 0; r < rows; ++r) {
        int64_t s = 0;
        for (uint32_t j = 0; j < cols; ++j) s += int64_t{w[r * cols + j]} * x[t * cols + j];
        EXPECT_EQ(y[t * rows + r], s);
      }
  }
  // All-extreme rows: 127 * -128 * cols.
  std::vector<int8_t> w(4096, 127), x(4096, -128);
  int32_t y;
  ref::gemm_s8(w.data(), x.data(), &y, 1, 1, 4096);
  EXPECT_EQ(y, 127 * -128 * 4096);
}

TEST(RefKernels, FloatDotIsCloseToDoubleAndExactOnSmallIntegers) {
  std::mt19937 rng(2);
  std::normal_distribution<float> d;
  for (uint32_t n : {1u, 15u, 16u, 17u, 100u, 1025u}) {
    std::vector<float> a(n), b(n);
    double want = 0, mag = 0;
    for (uint32_t i = 0; i < n; ++i) {
      a[i] = d(rng);
      b[i] = d(rng);
      want += double(a[i]) * b[i];
      mag += std::fabs(double(a[i]) * b[i]);
    }
    EXPECT_NEAR(ref::dot_f32(a.data(), b.data(), n), want, 1e-6 * mag + 1e-7) << n;
    for (uint32_t i = 0; i < n; ++i) {
      a[i] = float(int(rng() % 7) - 3);
      b[i] = float(int(rng() % 5) - 2);
    }
    double exact = 0;
    for (uint32_t i = 0; i < n; ++i) exact += double(a[i]) * b[i];
    EXPECT_EQ(ref::dot_f32(a.data(), b.data(), n), float(exact));
  }
}

TEST(RefKernels, QuantizeRoundsHalfToEvenAndClamps) {
  const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 126.5f, 1000.f, -1000.f, std::nanf(""), 0.49f};
  int8_t q[10];
  ref::quantize_f32_s8(x, q, 10, 1.f);
  const int8_t want[] = {0, 2, 2, 0, -2, 126, 127, -127, 0, 0};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(q[i], want[i]) << i;
  const float y[] = {0.3f, -0.3f};
  ref::quantize_f32_s8(y, q, 2, 10.f);
  EXPECT_EQ(q[0], 3);
  EXPECT_EQ(q[1], -3);
}

TEST(RefKernels, AbsmaxAndDequantize) {
  const float x[] = {1.f, -7.5f, 3.f};
  EXPECT_EQ(ref::absmax_f32(x, 3), 7.5f);
  EXPECT_EQ(ref::absmax_f32(x, 0), 0.f);
  const int32_t acc[] = {100, -3, 0};
  float y[3];
  ref::dequantize_s32_f32(acc, y, 3, 0.5f);
  EXPECT_EQ(y[0], 50.f);
  EXPECT_EQ(y[1], -1.5f);
  const float ch[] = {2.f, 4.f, 1.f};
  ref::dequantize_s32_f32_ch(acc, y, 3, 0.5f, ch);
  EXPECT_EQ(y[0], 100.f);
  EXPECT_EQ(y[1], -6.f);
}

TEST(RefKernels, RequantizeMatchesRoundedRealProduct) {
  std::mt19937 rng(3);
  for (double real : {0.5, 0.123456, 0.0031, 1.7e-5, 0.999}) {
    const FixedPointMultiplier m = quantize_multiplier(real);
    ASSERT_GE(m.multiplier, 1 << 30);
    const double represented = m.multiplier * std::ldexp(1.0, -31 - m.shift);
    EXPECT_NEAR(represented / real, 1.0, 1e-9);
    for (int i = 0; i < 2000; ++i) {
      const int32_t acc = static_cast<int32_t>(rng() % 2000001) - 1000000;
      int8_t out;
      ref::requantize_s32_s8(&acc, &out, 1, m);
      const double want = std::max(-128.0, std::min(127.0, std::round(acc * represented)));
      // Two roundings (high-mul, then shift) may differ from one by at most 1.
      EXPECT_NEAR(out, want, 1.0) << acc << " * " << real;
    }
  }
  const int32_t acc[] = {300, -300, 5};
  int8_t out[3];
  ref::requantize_s32_s8(acc, out, 3, quantize_multiplier(0.5));
  EXPECT_EQ(out[0], 127);
  EXPECT_EQ(out[1], -128);
  EXPECT_EQ(out[2], 3);  // 2.5 rounds half away from zero
}

// A packed row built bit by bit (independently of the library's packing),
// with random codes and random finite fp16 (scale, min) pairs.
struct TestRow {
  std::vector<uint32_t> codes;
  std::vector<uint8_t> bytes;
  std::vector<uint16_t> params;
  PackedRow row;
};

float half_to_float(uint16_t h) { return static_cast<float>(test::half_value(h)); }

void make_row(uint32_t n, uint32_t bits, uint32_t group, std::mt19937* rng, TestRow* t) {
  t->codes.resize(n);
  t->bytes.assign((n * bits + 7) / 8, 0);
  for (uint32_t j = 0; j < n; ++j) {
    t->codes[j] = (*rng)() % (1u << bits);
    for (uint32_t b = 0; b < bits; ++b)
      if (t->codes[j] >> b & 1) t->bytes[(j * bits + b) / 8] |= uint8_t(1u << ((j * bits + b) % 8));
  }
  t->params.resize(2 * ((n + group - 1) / group));
  for (auto& p : t->params) p = static_cast<uint16_t>((*rng)() % 0x7C00) | ((*rng)() & 1 ? 0x8000 : 0);
  for (size_t i = 0; i < t->params.size(); i += 2) t->params[i] &= 0x3FFF;  // positive scale < 2
  t->row.codes = t->bytes.data();
  t->row.params = t->params.data();
  t->row.bits = bits;
  t->row.group = group;
}

TEST(RefKernels, PackedKernelsDequantizeThenFollowTheFloatOrder) {
  std::mt19937 rng(4);
  std::normal_distribution<float> d;
  for (uint32_t bits : {2u, 3u, 4u, 8u}) {
    for (uint32_t group : {1u, 4u, 8u, 64u}) {
      TestRow t;
      make_row(64, bits, group, &rng, &t);
      for (uint32_t first : {0u, 3u, 8u}) {
        for (uint32_t n : {1u, 8u, 15u, 16u, 17u, 40u}) {
          std::vector<float> want(n), got(n), a(n), y(n), y_want(n);
          for (uint32_t i = 0; i < n; ++i) {
            const uint32_t j = first + i, g = j / group;
            const float scale = half_to_float(t.params[2 * g]), min = half_to_float(t.params[2 * g + 1]);
            want[i] = static_cast<float>(t.codes[j]) * scale + min;
            a[i] = d(rng);
            y[i] = d(rng);
          }
          ref::dequantize_packed_f32(t.row, first, n, got.data());
          for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(got[i], want[i]) << bits << " " << i;
          // Bit-exact against the float dot over the dequantized vector.
          const float dot = ref::dot_f32_packed(a.data(), t.row, first, n);
          EXPECT_EQ(dot, ref::dot_f32(a.data(), want.data(), n)) << bits << " " << n;
          const float w = d(rng);
          for (uint32_t i = 0; i < n; ++i) y_want[i] = y[i] + w * want[i];
          ref::axpy_f32_packed(y.data(), w, t.row, first, n);
          for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(y[i], y_want[i]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace sinkq
