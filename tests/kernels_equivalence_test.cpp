// The build's kernel family (sinkq::kernels) against the reference kernels
// (sinkq::ref) on the same inputs: every output, int and float, must be equal
// byte for byte. With SINKQ_KERNELS=ref this is trivially green; the SIMD
// families must reproduce the reference's exact integer sums and its fixed
// float summation order.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sinkq/kernels.h"

namespace sinkq {
namespace {

// Whether this CPU can execute the family compiled into the build. The test
// asks the CPU; the library never does (the family is fixed at build time).
bool cpu_runs_family(std::string* missing) {
  const std::string f = SINKQ_KERNEL_FAMILY_NAME;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (f == "avx2" && !__builtin_cpu_supports("avx2")) *missing = "AVX2";
  if (f == "avx512vnni" &&
      !(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vnni")))
    *missing = "AVX-512 F/BW/VNNI";
#endif
  return missing->empty();
}

class KernelsEquivalence : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing;
    if (!cpu_runs_family(&missing)) {
      std::fprintf(stderr,
                   "\n*** SKIPPED: kernel family '%s' needs %s, which this CPU lacks; its "
                   "equivalence with the reference is NOT checked on this machine ***\n\n",
                   SINKQ_KERNEL_FAMILY_NAME, missing.c_str());
      GTEST_SKIP() << "kernel family '" << SINKQ_KERNEL_FAMILY_NAME << "' needs " << missing
                   << ", which this CPU lacks: NOT TESTED HERE";
    }
  }
  std::mt19937 rng_{12345};
};

struct Shape {
  uint32_t n, rows, cols;
};

std::string describe(const Shape& s) {
  return "n=" + std::to_string(s.n) + " rows=" + std::to_string(s.rows) +
         " cols=" + std::to_string(s.cols);
}

// Small shapes crossing every block boundary (16/32/64 columns, 4-row and
// 2/4-token tiles), the model's shapes, and large ones.
std::vector<Shape> gemm_shapes(bool large_int8) {
  std::vector<Shape> v;
  for (uint32_t n : {1u, 2u, 3u, 4u, 5u, 8u, 9u})
    for (uint32_t rows : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 13u})
      for (uint32_t cols : {1u,  2u,  3u,  7u,  8u,  15u, 16u, 17u,  31u,  32u,  33u, 47u,
                            63u, 64u, 65u, 95u, 96u, 97u, 127u, 128u, 129u, 172u, 255u, 257u})
        v.push_back({n, rows, cols});
  for (uint32_t n : {1u, 7u, 8u, 16u, 64u}) {
    v.push_back({n, 64, 64});    // wq, wo
    v.push_back({n, 32, 64});    // wk, wv
    v.push_back({n, 172, 64});   // w1, w3
    v.push_back({n, 64, 172});   // w2
    v.push_back({n, 512, 64});   // classifier
  }
  v.push_back({1, 1000, 1000});
  v.push_back({17, 33, 1000});
  if (large_int8) {
    v.push_back({1, 4096, 4096});
    v.push_back({3, 300, 11008});
    v.push_back({64, 256, 4096});
  } else {
    v.push_back({1, 1024, 4096});
    v.push_back({5, 64, 11008});
  }
  return v;
}

std::vector<int8_t> random_s8(size_t n, std::mt19937* rng, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(*rng));
  return v;
}

// Values only from {a, b}: all-extreme rows drive every int16 pair sum of the
// AVX2 sign trick to its largest magnitude.
std::vector<int8_t> random_pick(size_t n, std::mt19937* rng, int8_t a, int8_t b) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = ((*rng)() & 1) ? a : b;
  return v;
}

void expect_gemm_s8_equal(const std::vector<int8_t>& w, const std::vector<int8_t>& x,
                          const Shape& s, const char* what) {
  std::vector<int32_t> want(size_t{s.n} * s.rows, 0x55555555), got(want.size(), 0x2a2a2a2a);
  ref::gemm_s8(w.data(), x.data(), want.data(), s.n, s.rows, s.cols);
  kernels::gemm_s8(w.data(), x.data(), got.data(), s.n, s.rows, s.cols);
  ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(int32_t)), 0)
      << what << " " << describe(s);
}

TEST_F(KernelsEquivalence, GemmS8EqualsReferenceOnRandomValues) {
  for (const Shape& s : gemm_shapes(true)) {
    auto w = random_s8(size_t{s.rows} * s.cols, &rng_, -127, 127);
    auto x = random_s8(size_t{s.n} * s.cols, &rng_, -128, 127);
    expect_gemm_s8_equal(w, x, s, "random");
    if (HasFatalFailure()) return;
  }
}

TEST_F(KernelsEquivalence, GemmS8EqualsReferenceOnExtremeValues) {
  for (const Shape& s : gemm_shapes(false)) {
    const size_t nw = size_t{s.rows} * s.cols, nx = size_t{s.n} * s.cols;
    // Same-sign extremes: every pair sum is -32512 or +32512.
    expect_gemm_s8_equal(std::vector<int8_t>(nw, 127), std::vector<int8_t>(nx, -128), s,
                         "w=127 x=-128");
    expect_gemm_s8_equal(std::vector<int8_t>(nw, -127), std::vector<int8_t>(nx, -128), s,
                         "w=-127 x=-128");
    expect_gemm_s8_equal(std::vector<int8_t>(nw, -127), std::vector<int8_t>(nx, 127), s,
                         "w=-127 x=127");
    expect_gemm_s8_equal(random_pick(nw, &rng_, -127, 127), random_pick(nx, &rng_, -128, 127), s,
                         "random extremes");
    // Sparse activations: zeros where vpsignb zeroes the weight.
    auto x = random_s8(nx, &rng_, -128, 127);
    for (auto& v : x) v = (rng_() % 3 == 0) ? v : 0;
    expect_gemm_s8_equal(random_s8(nw, &rng_, -127, 127), x, s, "sparse x");
    if (HasFatalFailure()) return;
  }
}

// Normal values spread over six orders of magnitude, so that a different
// summation order changes the rounded result (checked below).
std::vector<float> random_f32(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d;
  std::uniform_real_distribution<float> e(-3.f, 3.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(*rng) * std::pow(10.f, e(*rng));
  return v;
}

TEST_F(KernelsEquivalence, GemmF32EqualsReferenceBitForBit) {
  for (const Shape& s : gemm_shapes(false)) {
    const auto w = random_f32(size_t{s.rows} * s.cols, &rng_);
    const auto x = random_f32(size_t{s.n} * s.cols, &rng_);
    std::vector<float> want(size_t{s.n} * s.rows, -1.f), got(want.size(), -2.f);
    ref::gemm_f32(w.data(), x.data(), want.data(), s.n, s.rows, s.cols);
    kernels::gemm_f32(w.data(), x.data(), got.data(), s.n, s.rows, s.cols);
    ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0) << describe(s);
  }
}

TEST_F(KernelsEquivalence, FloatInputsAreOrderSensitive) {
  // Guards the float tests above: on these inputs a plain left-to-right sum
  // differs from the fixed order, so a family summing differently would fail.
  int differing = 0;
  for (uint32_t n : {64u, 172u, 1000u}) {
    const auto a = random_f32(n, &rng_), b = random_f32(n, &rng_);
    float seq = 0.f;
    for (uint32_t j = 0; j < n; ++j) seq = seq + a[j] * b[j];
    differing += seq != ref::dot_f32(a.data(), b.data(), n);
  }
  EXPECT_GT(differing, 0);
}

TEST_F(KernelsEquivalence, DotF32EqualsReferenceBitForBit) {
  for (uint32_t n = 0; n <= 300; ++n) {
    const auto a = random_f32(n, &rng_), b = random_f32(n, &rng_);
    const float want = ref::dot_f32(a.data(), b.data(), n);
    const float got = kernels::dot_f32(a.data(), b.data(), n);
    ASSERT_EQ(std::memcmp(&want, &got, sizeof(float)), 0) << "n=" << n;
  }
  // Signed zeros: the sum of -0 products must come out as the reference's.
  const std::vector<float> nz(40, -0.f), one(40, 1.f);
  for (uint32_t n : {1u, 8u, 16u, 17u, 40u}) {
    const float want = ref::dot_f32(nz.data(), one.data(), n);
    const float got = kernels::dot_f32(nz.data(), one.data(), n);
    ASSERT_EQ(std::memcmp(&want, &got, sizeof(float)), 0) << "n=" << n;
  }
}

// Floats that probe quantization: ties at k + 0.5 on both sides of the
// clamp, huge, infinite, NaN, signed zero and subnormal values.
std::vector<float> quantize_probe(std::mt19937* rng) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.5f,   1.5f,    2.5f,     -0.5f,   -1.5f,   -2.5f,   126.5f,
                          -126.5f, 127.5f, -127.5f, 127.49f, 128.f,   -128.f,  1e30f,
                          -1e30f, inf,     -inf,     std::nanf(""), -std::nanf(""),
                          0.f,    -0.f,    1e-40f,   -1e-40f, 0.49999997f, -0.49999997f};
  std::uniform_real_distribution<float> d(-140.f, 140.f);
  for (int i = 0; i < 1000; ++i) v.push_back(d(*rng));
  for (int k = -130; k <= 130; ++k) v.push_back(k + 0.5f);
  return v;
}

TEST_F(KernelsEquivalence, QuantizeEqualsReference) {
  const auto probe = quantize_probe(&rng_);
  for (float inv_scale : {1.f, 0.37f, 3.f, 1e-3f, 1e20f, 0.f}) {
    for (uint32_t n = 0; n <= 70; ++n) {
      std::vector<float> x(n);
      for (auto& v : x) v = probe[rng_() % probe.size()];
      std::vector<int8_t> want(n + 1, 99), got(n + 1, 99);
      ref::quantize_f32_s8(x.data(), want.data(), n, inv_scale);
      kernels::quantize_f32_s8(x.data(), got.data(), n, inv_scale);
      ASSERT_EQ(want, got) << "n=" << n << " inv_scale=" << inv_scale;  // and no write past n
    }
    std::vector<int8_t> want(probe.size()), got(probe.size());
    ref::quantize_f32_s8(probe.data(), want.data(), probe.size(), inv_scale);
    kernels::quantize_f32_s8(probe.data(), got.data(), probe.size(), inv_scale);
    ASSERT_EQ(want, got) << "inv_scale=" << inv_scale;
  }
}

TEST_F(KernelsEquivalence, AbsmaxEqualsReference) {
  const auto probe = quantize_probe(&rng_);
  for (uint32_t n = 0; n <= 70; ++n) {
    for (int rep = 0; rep < 20; ++rep) {
      std::vector<float> x(n);
      for (auto& v : x) v = probe[rng_() % probe.size()];
      if (rep % 2) for (auto& v : x) v = -std::fabs(v);
      const float want = ref::absmax_f32(x.data(), n);
      const float got = kernels::absmax_f32(x.data(), n);
      ASSERT_EQ(std::memcmp(&want, &got, sizeof(float)), 0) << "n=" << n << " rep=" << rep;
    }
  }
  const auto x = random_f32(100000, &rng_);
  const float want = ref::absmax_f32(x.data(), 100000), got = kernels::absmax_f32(x.data(), 100000);
  EXPECT_EQ(std::memcmp(&want, &got, sizeof(float)), 0);
}

std::vector<int32_t> random_acc(size_t n, std::mt19937* rng) {
  const int32_t edges[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MIN + 1, INT32_MAX - 1,
                           1 << 30, -(1 << 30), (1 << 16) + 1, -(1 << 16) - 1, 32512, -32512};
  std::uniform_int_distribution<int32_t> full(INT32_MIN, INT32_MAX), small(-70000, 70000);
  std::vector<int32_t> v(n);
  for (auto& x : v) {
    const uint32_t k = (*rng)() % 4;
    x = k == 0 ? edges[(*rng)() % (sizeof edges / sizeof edges[0])] : k == 1 ? full(*rng) : small(*rng);
  }
  return v;
}

TEST_F(KernelsEquivalence, DequantizeEqualsReference) {
  for (uint32_t n = 0; n <= 70; ++n) {
    const auto acc = random_acc(n, &rng_);
    const auto ch = random_f32(n, &rng_);
    for (float scale : {1.f, 3.1e-5f, -0.75f, 1e-30f}) {
      std::vector<float> want(n), got(n);
      ref::dequantize_s32_f32(acc.data(), want.data(), n, scale);
      kernels::dequantize_s32_f32(acc.data(), got.data(), n, scale);
      ASSERT_EQ(std::memcmp(want.data(), got.data(), n * sizeof(float)), 0) << "n=" << n;
      ref::dequantize_s32_f32_ch(acc.data(), want.data(), n, scale, ch.data());
      kernels::dequantize_s32_f32_ch(acc.data(), got.data(), n, scale, ch.data());
      ASSERT_EQ(std::memcmp(want.data(), got.data(), n * sizeof(float)), 0) << "n=" << n << " ch";
    }
  }
}

TEST_F(KernelsEquivalence, RequantizeEqualsReference) {
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX), any(INT32_MIN, INT32_MAX);
  std::uniform_real_distribution<double> real(1e-9, 0.999999);
  for (int rep = 0; rep < 400; ++rep) {
    FixedPointMultiplier m;
    switch (rep % 4) {
      case 0: m = quantize_multiplier(real(rng_)); break;
      case 1: m.multiplier = mult(rng_), m.shift = static_cast<int32_t>(rng_() % 31); break;
      // Outside the documented multiplier range, still defined by the reference.
      case 2: m.multiplier = any(rng_), m.shift = static_cast<int32_t>(rng_() % 31); break;
      default: m.multiplier = INT32_MIN, m.shift = static_cast<int32_t>(rng_() % 31); break;
    }
    if (m.shift > 30) continue;  // the reference's mask overflows at 31
    const uint32_t n = rep < 140 ? static_cast<uint32_t>(rep % 70) : 1000;
    const auto acc = random_acc(n, &rng_);
    std::vector<int8_t> want(n + 1, 99), got(n + 1, 99);
    ref::requantize_s32_s8(acc.data(), want.data(), n, m);
    kernels::requantize_s32_s8(acc.data(), got.data(), n, m);
    ASSERT_EQ(want, got) << "multiplier=" << m.multiplier << " shift=" << m.shift << " n=" << n;
  }
}

TEST(KernelFamily, NameMatchesTheBuild) {
  EXPECT_STREQ(kernels::family(), SINKQ_KERNEL_FAMILY_NAME);
  RecordProperty("kernel_family", SINKQ_KERNEL_FAMILY_NAME);
}

}  // namespace
}  // namespace sinkq
