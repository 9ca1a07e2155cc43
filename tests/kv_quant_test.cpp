// Bit packing, fp16 scales and min-max quantization of the KV cache, checked
// against independent double-precision computations.
#include "kv_quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "half.h"
#include "half_ref.h"

namespace sinkq {
namespace {

using test::half_value;
using test::nearest_half;

TEST(Half, EveryFiniteHalfConvertsExactlyBothWays) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00) continue;
    const float f = half::to_f32(static_cast<uint16_t>(h));
    ASSERT_EQ(double(f), half_value(static_cast<uint16_t>(h))) << h;
    ASSERT_EQ(half::from_f32(f), h == 0x8000 ? 0x8000 : h) << h;
  }
}

TEST(Half, RoundsToNearestEvenLikeASearchOverAllValues) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> exponent(-30, 17);
  for (int i = 0; i < 200000; ++i) {
    float x = static_cast<float>(std::exp2(exponent(rng)));
    if (rng() & 1) x = -x;
    ASSERT_EQ(half::from_f32(x), nearest_half(x)) << x;
  }
  // Exact ties: halfway between 1 and the next half goes to 1 (even).
  EXPECT_EQ(half::from_f32(1.f + 1.f / 2048), 0x3C00);
  EXPECT_EQ(half::from_f32(1.f + 3.f / 2048), 0x3C02);
  EXPECT_EQ(half::from_f32(65519.f), 0x7BFF);
  EXPECT_EQ(half::from_f32(65520.f), 0x7C00);
  EXPECT_EQ(half::from_f32(std::ldexp(1.f, -25)), 0);       // tie with 0: even
  EXPECT_EQ(half::from_f32(std::ldexp(3.f, -26)), 1);       // 0.75 ulp: up
  EXPECT_TRUE(std::isnan(half::to_f32(half::from_f32(std::nanf("")))));
}

TEST(Half, DirectedRoundingBracketsTheValue) {
  std::mt19937 rng(8);
  std::normal_distribution<float> d(0.f, 100.f);
  for (int i = 0; i < 20000; ++i) {
    const float x = d(rng) * (i % 3 ? 1.f : 1e-4f);
    const uint16_t lo = half::round_down(x), hi = half::round_up(x);
    ASSERT_LE(half_value(lo), x);
    ASSERT_GE(half_value(hi), x);
    ASSERT_GT(half_value(half::next_up(lo)), x);
    ASSERT_LT(half_value(half::next_down(hi)), x);
  }
}

TEST(KvQuant, PackUnpackRoundTripsEveryBitWidth) {
  std::mt19937 rng(1);
  for (uint32_t bits : {2u, 3u, 4u, 8u}) {
    for (uint32_t n : {1u, 7u, 8u, 31u, 32u, 100u}) {
      std::vector<uint32_t> codes(n);
      for (auto& c : codes) c = rng() % (1u << bits);
      // Noise in the buffer first: put_code must overwrite only its own bits.
      std::vector<uint8_t> row(kvq::row_bytes(n, bits) + 2);
      for (auto& b : row) b = static_cast<uint8_t>(rng());
      const uint8_t guard = row[row.size() - 1];
      for (uint32_t j = 0; j < n; ++j) kvq::put_code(row.data(), j, bits, codes[j]);
      for (uint32_t j = 0; j < n; ++j) ASSERT_EQ(kvq::get_code(row.data(), j, bits), codes[j]);
      EXPECT_EQ(row[row.size() - 1], guard);
      // Rewriting in reverse order leaves the same stream.
      const std::vector<uint8_t> once = row;
      for (uint32_t j = n; j-- > 0;) kvq::put_code(row.data(), j, bits, codes[j]);
      EXPECT_EQ(row, once);
    }
  }
}

TEST(KvQuant, PackedStreamIsLittleEndianBitOrder) {
  // Code j occupies bits [3j, 3j + 3): the stream is the integer sum of
  // code_j << 3j written little-endian.
  const uint32_t codes[8] = {1, 2, 3, 4, 5, 6, 7, 0};
  uint64_t stream = 0;
  for (int j = 0; j < 8; ++j) stream |= uint64_t{codes[j]} << (3 * j);
  uint8_t row[3] = {0, 0, 0};
  for (uint32_t j = 0; j < 8; ++j) kvq::put_code(row, j, 3, codes[j]);
  for (int b = 0; b < 3; ++b) EXPECT_EQ(row[b], (stream >> (8 * b)) & 0xFF) << b;
  uint8_t two[1] = {0};
  for (uint32_t j = 0; j < 4; ++j) kvq::put_code(two, j, 2, j);
  EXPECT_EQ(two[0], 0b11100100);
  EXPECT_EQ(kvq::row_bytes(32, 3), 12u);
  EXPECT_EQ(kvq::row_bytes(5, 3), 2u);
}

// Reconstruction of element i of a quantized row, in double.
double reconstruct(uint32_t code, const uint16_t* pair) {
  return code * half_value(pair[0]) + half_value(pair[1]);
}

TEST(KvQuant, RowErrorIsAtMostHalfAStepAndTheGridCoversTheRange) {
  std::mt19937 rng(2);
  std::normal_distribution<float> d(0.f, 2.f);
  for (uint32_t bits : {2u, 3u, 4u, 8u}) {
    const uint32_t n = 64, group = 16, levels = (1u << bits) - 1;
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<float> x(n);
      for (auto& v : x) v = d(rng) + (trial % 4 == 0 ? 300.f : 0.f);  // offset groups too
      std::vector<uint8_t> codes(kvq::row_bytes(n, bits));
      std::vector<uint16_t> params(2 * n / group);
      kvq::quantize_row(x.data(), n, group, bits, codes.data(), params.data());
      for (uint32_t g = 0; g < n / group; ++g) {
        const uint16_t* pair = &params[2 * g];
        double lo = 1e30, hi = -1e30;
        for (uint32_t i = 0; i < group; ++i) {
          lo = std::min(lo, double(x[g * group + i]));
          hi = std::max(hi, double(x[g * group + i]));
        }
        const double scale = half_value(pair[0]), min = half_value(pair[1]);
        EXPECT_LE(min, lo);
        EXPECT_GE(min + levels * scale, hi * (1 - 1e-6) - 1e-6);
        // The scale is the smallest the fp16 grid allows, up to rounding.
        EXPECT_LE(scale, (hi - min) / levels * (1 + 1.0 / 1024) + 1e-7);
        for (uint32_t i = 0; i < group; ++i) {
          const uint32_t c = kvq::get_code(codes.data(), g * group + i, bits);
          ASSERT_LE(c, levels);
          const double err = std::fabs(reconstruct(c, pair) - x[g * group + i]);
          // Half a step, plus float rounding of (x - min) / scale.
          ASSERT_LE(err, scale / 2 + 4e-7 * (std::fabs(x[g * group + i]) + std::fabs(min)))
              << "bits " << bits << " i " << i;
        }
      }
    }
  }
}

TEST(KvQuant, ConstantGroupsAreExactAndOutOfRangeInputIsBounded) {
  const float x[4] = {0.75f, 0.75f, 0.75f, 0.75f};
  uint8_t codes[1];
  uint16_t pair[2];
  kvq::quantize_row(x, 4, 4, 2, codes, pair);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(reconstruct(kvq::get_code(codes, i, 2), pair), 0.75);
  // NaN counts as 0 and magnitudes beyond fp16 saturate at 65504, so the
  // reconstruction is within half a step of 0, 65504, -65504 and 1.
  const float y[4] = {std::nanf(""), 1e30f, -1e30f, 1.f};
  const double want[4] = {0.0, 65504.0, -65504.0, 1.0};
  uint8_t c8[4];
  kvq::quantize_row(y, 4, 4, 8, c8, pair);
  const double step = half_value(pair[0]);
  EXPECT_LE(step, 131008.0 / 255 * (1 + 1.0 / 1024));
  for (uint32_t i = 0; i < 4; ++i)
    EXPECT_LE(std::fabs(reconstruct(kvq::get_code(c8, i, 8), pair) - want[i]), step / 2) << i;
}

TEST(KvQuant, ColumnsIgnoreSkippedRowsInTheirRanges) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  const uint32_t rows = 8, cols = 5, bits = 3;
  std::vector<float> x(rows * cols);
  for (auto& v : x) v = d(rng);
  uint8_t skip[rows] = {0, 0, 1, 0, 0, 0, 1, 0};
  for (uint32_t c = 0; c < cols; ++c) x[2 * cols + c] = 1000.f;  // a sink-like outlier row
  const uint32_t rb = kvq::row_bytes(cols, bits);
  std::vector<uint8_t> codes(rows * rb, 0xFF);
  std::vector<uint16_t> params(2 * cols);
  kvq::quantize_columns(x.data(), rows, cols, skip, bits, codes.data(), params.data());
  for (uint32_t c = 0; c < cols; ++c) {
    double lo = 1e30, hi = -1e30;
    for (uint32_t r = 0; r < rows; ++r)
      if (!skip[r]) lo = std::min(lo, double(x[r * cols + c])), hi = std::max(hi, double(x[r * cols + c]));
    const double scale = half_value(params[2 * c]);
    EXPECT_LE(scale, (hi - lo) / 7 * 1.01 + 1e-3);  // fitted to the kept rows only
    for (uint32_t r = 0; r < rows; ++r) {
      const uint32_t code = kvq::get_code(codes.data() + r * rb, c, bits);
      if (skip[r]) {
        EXPECT_EQ(code, 0u);
      } else {
        EXPECT_LE(std::fabs(reconstruct(code, &params[2 * c]) - x[r * cols + c]), scale / 2 * (1 + 1e-5));
      }
    }
  }
}

}  // namespace
}  // namespace sinkq
