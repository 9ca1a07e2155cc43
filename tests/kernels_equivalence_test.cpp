// The build's kernel family (sinkq::kernels) against the reference kernels
// (sinkq::ref) on the same inputs: every output, int and float, must be equal
// byte for byte. With SINKQ_KERNELS=ref this is trivially green; the SIMD
// families must reproduce the reference's exact integer sums and its fixed
// float summation order.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_data.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace {

// Whether this CPU can execute the family compiled into the build. The test
// asks the CPU; the library never does (the family is fixed at build time).
bool cpu_runs_family(std::string* missing) {
  const std::string f = SINKQ_KERNEL_FAMILY_NAME;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (f == "avx2" && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c")))
    *missing = "AVX2 and F16C";
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
      static bool said = false;
      if (!said)
        std::fprintf(stderr,
                     "\n*** SKIPPED: kernel family '%s' needs %s, which this CPU lacks; its "
                     "equivalence with the reference is NOT checked on this machine ***\n\n",
                     SINKQ_KERNEL_FAMILY_NAME, missing.c_str());
      said = true;
      GTEST_SKIP() << "kernel family '" << SINKQ_KERNEL_FAMILY_NAME << "' needs " << missing
                   << ", which this CPU lacks: NOT TESTED HERE";
    }
  }
  std::mt19937 rng_{12345};
};

using test::describe;
using test::Shape;

void expect_gemm_s8_equal(const std::vector<int8_t>& w, const std::vector<int8_t>& x,
                          const Shape& s, const char* what) {
  std::vector<int32_t> want(size_t{s.n} * s.rows, 0x55555555), got(want.size(), 0x2a2a2a2a);
  ref::gemm_s8(w.data(), x.data(), want.data(), s.n, s.rows, s.cols);
  kernels::gemm_s8(w.data(), x.data(), got.data(), s.n, s.rows, s.cols);
  ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(int32_t)), 0)
      << what << " " << describe(s);
}

TEST_F(KernelsEquivalence, GemmS8EqualsReferenceOnRandomValues) {
  // The slowest shapes only where there is something to compare: in a ref
  // build both sides are the same code.
  const bool huge = std::strcmp(SINKQ_KERNEL_FAMILY_NAME, "ref") != 0;
  for (const Shape& s : test::gemm_shapes(huge)) {
    auto w = test::random_s8(size_t{s.rows} * s.cols, &rng_, -127, 127);
    auto x = test::random_s8(size_t{s.n} * s.cols, &rng_, -128, 127);
    expect_gemm_s8_equal(w, x, s, "random");
    if (HasFatalFailure()) return;
  }
}

TEST_F(KernelsEquivalence, GemmS8EqualsReferenceOnExtremeValues) {
  for (const Shape& s : test::gemm_shapes(false)) {
    const size_t nw = size_t{s.rows} * s.cols, nx = size_t{s.n} * s.cols;
    // Same-sign extremes: every pair sum is -32512 or +32512.
    expect_gemm_s8_equal(std::vector<int8_t>(nw, 127), std::vector<int8_t>(nx, -128), s,
                         "w=127 x=-128");
    expect_gemm_s8_equal(std::vector<int8_t>(nw, -127), std::vector<int8_t>(nx, -128), s,
                         "w=-127 x=-128");
    expect_gemm_s8_equal(std::vector<int8_t>(nw, -127), std::vector<int8_t>(nx, 127), s,
                         "w=-127 x=127");
    expect_gemm_s8_equal(test::random_pick(nw, &rng_, -127, 127),
                         test::random_pick(nx, &rng_, -128, 127), s, "random extremes");
    // Sparse activations: zeros where vpsignb zeroes the weight.
    expect_gemm_s8_equal(test::random_s8(nw, &rng_, -127, 127),
                         test::random_sparse_s8(nx, &rng_), s, "sparse x");
    if (HasFatalFailure()) return;
  }
}

TEST_F(KernelsEquivalence, GemmF32EqualsReferenceBitForBit) {
  for (const Shape& s : test::gemm_shapes(false)) {
    const auto w = test::random_f32(size_t{s.rows} * s.cols, &rng_);
    const auto x = test::random_f32(size_t{s.n} * s.cols, &rng_);
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
    const auto a = test::random_f32(n, &rng_), b = test::random_f32(n, &rng_);
    float seq = 0.f;
    for (uint32_t j = 0; j < n; ++j) seq = seq + a[j] * b[j];
    differing += seq != ref::dot_f32(a.data(), b.data(), n);
  }
  EXPECT_GT(differing, 0);
}

TEST_F(KernelsEquivalence, DotF32EqualsReferenceBitForBit) {
  for (uint32_t n = 0; n <= 300; ++n) {
    const auto a = test::random_f32(n, &rng_), b = test::random_f32(n, &rng_);
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
  const auto x = test::random_f32(100000, &rng_);
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
    if (k == 0) x = edges[(*rng)() % (sizeof edges / sizeof edges[0])];
    else x = k == 1 ? full(*rng) : small(*rng);
  }
  return v;
}

TEST_F(KernelsEquivalence, DequantizeEqualsReference) {
  for (uint32_t n = 0; n <= 70; ++n) {
    const auto acc = random_acc(n, &rng_);
    const auto ch = test::random_f32(n, &rng_);
    for (float scale : {1.f, 3.1e-5f, -0.75f, 1e-30f}) {
      // One element more than written: a sentinel that must survive.
      std::vector<float> want(n + 1, 7.f), got(n + 1, 7.f);
      ref::dequantize_s32_f32(acc.data(), want.data(), n, scale);
      kernels::dequantize_s32_f32(acc.data(), got.data(), n, scale);
      ASSERT_EQ(std::memcmp(want.data(), got.data(), (n + 1) * sizeof(float)), 0) << "n=" << n;
      ref::dequantize_s32_f32_ch(acc.data(), want.data(), n, scale, ch.data());
      kernels::dequantize_s32_f32_ch(acc.data(), got.data(), n, scale, ch.data());
      ASSERT_EQ(std::memcmp(want.data(), got.data(), (n + 1) * sizeof(float)), 0)
          << "n=" << n << " ch";
    }
  }
}

TEST_F(KernelsEquivalence, RequantizeEqualsReference) {
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX), any(INT32_MIN, INT32_MAX);
  std::uniform_real_distribution<double> real(1e-9, 0.999999);
  for (int rep = 0; rep < 500; ++rep) {
    FixedPointMultiplier m;
    switch (rep % 5) {
      case 0: m = quantize_multiplier(real(rng_)); break;
      case 1: m.multiplier = mult(rng_), m.shift = static_cast<int32_t>(rng_() % 32); break;
      // Outside the documented multiplier range, still defined by the reference.
      case 2: m.multiplier = any(rng_), m.shift = static_cast<int32_t>(rng_() % 32); break;
      case 3: m.multiplier = INT32_MIN, m.shift = static_cast<int32_t>(rng_() % 32); break;
      // 2^30: every odd accumulator lands exactly on a rounding tie of the high multiply.
      default: m.multiplier = 1 << 30, m.shift = static_cast<int32_t>(rng_() % 32); break;
    }
    const uint32_t n = rep < 140 ? static_cast<uint32_t>(rep % 70) : 1000;
    const auto acc = random_acc(n, &rng_);
    std::vector<int8_t> want(n + 1, 99), got(n + 1, 99);
    ref::requantize_s32_s8(acc.data(), want.data(), n, m);
    kernels::requantize_s32_s8(acc.data(), got.data(), n, m);
    ASSERT_EQ(want, got) << "multiplier=" << m.multiplier << " shift=" << m.shift << " n=" << n;
  }
}

TEST_F(KernelsEquivalence, RequantizeRoundsNearTiesLikeReference) {
  // Random data almost never hits the rounding tie of the high multiply, so
  // build it: for an odd accumulator a, the multiplier m = (2^30 + d) / a
  // modulo 2^31 puts a * m at 2^30 + d (mod 2^31), d in {-1, 0, 1}, with a
  // result small enough to survive the int8 clamp.
  std::uniform_int_distribution<int32_t> small(-127, 127);
  for (int rep = 0; rep < 3000; ++rep) {
    const int32_t a = small(rng_) | 1;
    uint32_t inv = static_cast<uint32_t>(a);  // Newton: inverse of a modulo 2^32
    for (int i = 0; i < 5; ++i) inv *= 2u - static_cast<uint32_t>(a) * inv;
    const uint32_t target = (1u << 30) + static_cast<uint32_t>(rep % 3) - 1u;
    FixedPointMultiplier m;
    m.multiplier = static_cast<int32_t>((target * inv) & 0x7FFFFFFFu);
    m.shift = static_cast<int32_t>(rep % 4);
    std::vector<int32_t> acc(9);
    for (auto& v : acc) v = small(rng_);
    acc[rng_() % 9] = a;
    int8_t want[9], got[9];
    ref::requantize_s32_s8(acc.data(), want, 9, m);
    kernels::requantize_s32_s8(acc.data(), got, 9, m);
    ASSERT_EQ(std::memcmp(want, got, 9), 0) << "a=" << a << " multiplier=" << m.multiplier;
  }
}

// Bit equality, except that any NaN equals any NaN: a compiler may swap the
// operands of a commutative add, which changes only which NaN payload wins.
::testing::AssertionResult same_floats(const std::vector<float>& want,
                                       const std::vector<float>& got) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]) && std::isnan(got[i])) continue;
    if (std::memcmp(&want[i], &got[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "element " << i << ": ref " << want[i]
                                           << ", kernel " << got[i];
  }
  return ::testing::AssertionSuccess();
}

// Normal values times 2^e: e = -70 makes every product and partial sum
// denormal, e = -135 the inputs themselves, e = 60 overflows to infinity and
// inf - inf to NaN. Armv7 NEON flushes denormals to zero; the reference does not.
TEST_F(KernelsEquivalence, GemmF32AndDotEqualReferenceOnDenormalsAndOverflow) {
  for (int e : {-70, -135, 60})
    for (const Shape& s : test::gemm_shapes(false)) {
      if (s.cols > 257 || s.rows > 13) continue;  // the small shapes cross every tile edge
      auto w = test::random_f32(size_t{s.rows} * s.cols, &rng_);
      auto x = test::random_f32(size_t{s.n} * s.cols, &rng_);
      for (auto& v : w) v = std::ldexp(v, e);
      for (auto& v : x) v = std::ldexp(v, e);
      std::vector<float> want(size_t{s.n} * s.rows), got(want.size(), -1.f);
      ref::gemm_f32(w.data(), x.data(), want.data(), s.n, s.rows, s.cols);
      kernels::gemm_f32(w.data(), x.data(), got.data(), s.n, s.rows, s.cols);
      ASSERT_TRUE(same_floats(want, got)) << "2^" << e << " " << describe(s);
      const std::vector<float> dw{ref::dot_f32(w.data(), x.data(), s.cols)};
      const std::vector<float> dg{kernels::dot_f32(w.data(), x.data(), s.cols)};
      ASSERT_TRUE(same_floats(dw, dg)) << "dot 2^" << e << " cols=" << s.cols;
    }
}

TEST_F(KernelsEquivalence, GemmF32KeepsDenormalPartialSums) {
  // 35 products 2^-70 * 2^-70 = 2^-140, all partial sums denormal; the sum
  // is 35 * 2^-140 exactly. A flush-to-zero kernel returns 0.
  const std::vector<float> w(35, std::ldexp(1.f, -70)), x(35, std::ldexp(1.f, -70));
  EXPECT_EQ(kernels::dot_f32(w.data(), x.data(), 35), std::ldexp(35.f, -140));
  float y = 0.f;
  kernels::gemm_f32(w.data(), x.data(), &y, 1, 1, 35);
  EXPECT_EQ(y, std::ldexp(35.f, -140));
}

TEST_F(KernelsEquivalence, QuantizeSeesDenormalInputsAndScales) {
  // A denormal input times a huge inv_scale quantizes to a nonzero value, and
  // a denormal inv_scale times a huge input too.
  const auto probe = quantize_probe(&rng_);
  std::vector<float> x = {1e-38f, -1e-38f, 5.9e-39f, -3e-39f, 1e-45f, 3e38f, -1e38f, 1.f};
  for (size_t i = 0; x.size() < 203; ++i) x.push_back(probe[i]);
  for (float inv_scale : {2e38f, 3.4e38f, 1e-38f, std::ldexp(1.f, -149), -1e-39f})
    for (uint32_t off : {0u, 1u, 3u}) {
      const uint32_t n = static_cast<uint32_t>(x.size()) - off;
      std::vector<int8_t> want(n), got(n, 99);
      ref::quantize_f32_s8(x.data() + off, want.data(), n, inv_scale);
      kernels::quantize_f32_s8(x.data() + off, got.data(), n, inv_scale);
      ASSERT_EQ(want, got) << "inv_scale=" << inv_scale << " off=" << off;
    }
  int8_t q[8];
  kernels::quantize_f32_s8(x.data(), q, 8, 2e38f);
  EXPECT_EQ(q[0], 2);   // 1e-38 * 2e38
  EXPECT_EQ(q[1], -2);
  EXPECT_EQ(q[2], 1);   // 5.9e-39 * 2e38 = 1.18
  kernels::quantize_f32_s8(x.data(), q, 8, 1e-38f);
  EXPECT_EQ(q[5], 3);   // 3e38 * 1e-38
  EXPECT_EQ(q[6], -1);
}

TEST_F(KernelsEquivalence, AbsmaxOfDenormalsIsTheLargestDenormal) {
  for (uint32_t n : {1u, 4u, 5u, 17u, 1003u}) {
    auto x = test::random_f32(n, &rng_);
    for (auto& v : x) v = std::ldexp(v, -140);
    const float want = ref::absmax_f32(x.data(), n), got = kernels::absmax_f32(x.data(), n);
    ASSERT_EQ(std::memcmp(&want, &got, sizeof(float)), 0) << "n=" << n;
  }
  const float d[] = {1e-45f, -3e-40f, std::nanf(""), 2e-40f, 0.f, 1e-42f, -std::nanf("")};
  EXPECT_EQ(kernels::absmax_f32(d, 7), 3e-40f);
}

TEST_F(KernelsEquivalence, DequantizeEqualsReferenceForDenormalAndNonFiniteScales) {
  const float inf = std::numeric_limits<float>::infinity();
  for (uint32_t n : {1u, 3u, 4u, 5u, 8u, 70u}) {
    const auto acc = random_acc(n, &rng_);
    auto ch = test::random_f32(n, &rng_);
    for (size_t i = 0; i < ch.size(); i += 3) ch[i] = std::ldexp(ch[i], -140);  // denormal
    for (float scale : {0.f, -0.f, 1e-40f, std::ldexp(1.f, -140), 1e-30f, 3e38f, -inf, inf,
                        std::nanf("")}) {
      std::vector<float> want(n + 1, 7.f), got(n + 1, 7.f);
      ref::dequantize_s32_f32(acc.data(), want.data(), n, scale);
      kernels::dequantize_s32_f32(acc.data(), got.data(), n, scale);
      ASSERT_TRUE(same_floats(want, got)) << "n=" << n << " scale=" << scale;
      ref::dequantize_s32_f32_ch(acc.data(), want.data(), n, scale, ch.data());
      kernels::dequantize_s32_f32_ch(acc.data(), got.data(), n, scale, ch.data());
      ASSERT_TRUE(same_floats(want, got)) << "n=" << n << " scale=" << scale << " ch";
    }
  }
  const int32_t a[] = {3, -5, 1, 7, 0};
  float y[5];
  kernels::dequantize_s32_f32(a, y, 5, std::ldexp(1.f, -140));  // denormal results
  EXPECT_EQ(y[0], std::ldexp(3.f, -140));
  EXPECT_EQ(y[1], std::ldexp(-5.f, -140));
}

// Memory whose end is followed by an inaccessible page: a kernel that reads
// one byte past the data placed at end() - size faults.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t bytes) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    data_bytes_ = (bytes + page_ - 1) / page_ * page_;
    void* p = mmap(nullptr, data_bytes_ + page_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    base_ = static_cast<uint8_t*>(p);
    if (mprotect(base_ + data_bytes_, page_, PROT_NONE) != 0) {
      munmap(base_, data_bytes_ + page_);
      base_ = nullptr;
    }
  }
  ~GuardedBuffer() {
    if (base_) munmap(base_, data_bytes_ + page_);
  }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  bool ok() const { return base_ != nullptr; }
  uint8_t* end() const { return base_ + data_bytes_; }

 private:
  uint8_t* base_ = nullptr;
  size_t page_ = 0, data_bytes_ = 0;
};

// fp16 values for the packed rows' (scale, min) pairs.
enum class HalfKind { kOrdinary, kExtreme, kNonFinite };

uint16_t random_half(HalfKind kind, std::mt19937* rng) {
  const uint16_t sign = ((*rng)() & 1) ? 0x8000 : 0;
  const uint32_t pick = (*rng)() % 8;
  if (kind == HalfKind::kNonFinite && pick < 2)
    return static_cast<uint16_t>(sign | (pick == 0 ? 0x7C00 : 0x7C00 | (1 + (*rng)() % 0x3FF)));
  if (kind != HalfKind::kOrdinary && pick < 6) {
    switch (pick % 4) {
      case 0: return static_cast<uint16_t>(sign | ((*rng)() % 0x400));            // zero, subnormal
      case 1: return static_cast<uint16_t>(sign | (0x7800 + (*rng)() % 0x400));   // >= 32768
      case 2: return static_cast<uint16_t>(sign | (0x0400 + (*rng)() % 0x800));   // tiny normal
      default: return static_cast<uint16_t>(sign | 0x7BFF);                       // 65504
    }
  }
  return static_cast<uint16_t>(sign | (0x2000 + (*rng)() % 0x3000));  // 2^-7 .. 2^5
}

// A packed row of `len` elements placed so that its last code byte and its
// last (scale, min) pair end at an inaccessible page.
struct GuardedRow {
  GuardedBuffer codes{1 << 15}, params{1 << 15};  // up to 8192 pairs
  PackedRow row;

  void fill(uint32_t len, uint32_t bits, uint32_t group, HalfKind kind, std::mt19937* rng) {
    const size_t nbytes = (size_t{len} * bits + 7) / 8, npairs = (len + group - 1) / group;
    uint8_t* c = codes.end() - nbytes;
    for (size_t i = 0; i < nbytes; ++i) c[i] = static_cast<uint8_t>((*rng)());
    uint16_t* p = reinterpret_cast<uint16_t*>(params.end()) - 2 * npairs;
    for (size_t i = 0; i < 2 * npairs; ++i) p[i] = random_half(kind, rng);
    row.codes = c;
    row.params = p;
    row.bits = bits;
    row.group = group;
  }
};

// The three packed kernels of the family against the reference on one row.
::testing::AssertionResult packed_kernels_match(const PackedRow& r, uint32_t first, uint32_t n,
                                                std::mt19937* rng) {
  std::vector<float> want(n + 1, 7.f), got(n + 1, 7.f);  // the sentinel must survive
  ref::dequantize_packed_f32(r, first, n, want.data());
  kernels::dequantize_packed_f32(r, first, n, got.data());
  ::testing::AssertionResult same = same_floats(want, got);
  if (!same) return same << " (dequantize)";
  const auto a = test::random_f32(n, rng);
  const std::vector<float> dw{ref::dot_f32_packed(a.data(), r, first, n)};
  const std::vector<float> dg{kernels::dot_f32_packed(a.data(), r, first, n)};
  same = same_floats(dw, dg);
  if (!same) return same << " (dot)";
  // And the dot equals dot_f32 over the dequantized vector (kernels.h).
  same = same_floats(dw, {kernels::dot_f32(a.data(), want.data(), n)});
  if (!same) return same << " (dot vs dot_f32)";
  auto y = test::random_f32(n + 1, rng);
  std::vector<float> yw = y;
  const float w = a.empty() ? 0.37f : a[0];
  ref::axpy_f32_packed(yw.data(), w, r, first, n);
  kernels::axpy_f32_packed(y.data(), w, r, first, n);
  same = same_floats(yw, y);
  if (!same) return same << " (axpy)";
  return ::testing::AssertionSuccess();
}

// Every bit width, group sizes around the 8-element blocks, offsets that are
// not on a group or byte boundary, and lengths from 0 across two 16-element
// blocks and the tails; the row ends where the call's last element does.
void check_packed_kernels(HalfKind kind, std::mt19937* rng) {
  GuardedRow g;
  ASSERT_TRUE(g.codes.ok() && g.params.ok());
  for (uint32_t bits : {2u, 3u, 4u, 8u})
    for (uint32_t group : {1u, 2u, 3u, 5u, 7u, 8u, 9u, 16u, 31u, 32u, 33u, 64u})
      for (uint32_t first : {0u, 1u, 2u, 3u, 5u, 7u, 8u, 13u, 32u, 37u, 64u})
        for (uint32_t n = 0; n <= 72; ++n) {
          g.fill(first + n, bits, group, kind, rng);
          ASSERT_TRUE(packed_kernels_match(g.row, first, n, rng))
              << "bits=" << bits << " group=" << group << " first=" << first << " n=" << n;
        }
}

TEST_F(KernelsEquivalence, PackedKernelsEqualReferenceOnOrdinaryScales) {
  check_packed_kernels(HalfKind::kOrdinary, &rng_);
}

TEST_F(KernelsEquivalence, PackedKernelsEqualReferenceOnTinyAndHugeScales) {
  check_packed_kernels(HalfKind::kExtreme, &rng_);
}

TEST_F(KernelsEquivalence, PackedKernelsEqualReferenceOnInfiniteAndNaNScales) {
  check_packed_kernels(HalfKind::kNonFinite, &rng_);
}

TEST_F(KernelsEquivalence, PackedKernelsOnLongRowsAndTheModelsShapes) {
  // Head sizes 8 and 64 inside a longer row (kv_dim 32 and 256), every head,
  // per-channel keys (group 1) and per-token values, plus one long row.
  GuardedRow g;
  ASSERT_TRUE(g.codes.ok() && g.params.ok());
  for (uint32_t bits : {2u, 3u, 4u, 8u}) {
    for (uint32_t hs : {8u, 64u})
      for (uint32_t group : {1u, 8u, 32u, 64u}) {
        const uint32_t kv_dim = hs == 8 ? 32 : 256;
        g.fill(kv_dim, bits, group, HalfKind::kOrdinary, &rng_);
        for (uint32_t off = 0; off < kv_dim; off += hs)
          ASSERT_TRUE(packed_kernels_match(g.row, off, hs, &rng_))
              << "bits=" << bits << " hs=" << hs << " group=" << group << " off=" << off;
      }
    g.fill(5000, bits, 7, HalfKind::kOrdinary, &rng_);
    ASSERT_TRUE(packed_kernels_match(g.row, 3, 4997, &rng_)) << "bits=" << bits;
  }
}

TEST_F(KernelsEquivalence, PackedKernelsKeepDenormalResults) {
  // Codes times the smallest fp16 subnormal (2^-24) times a[j] of 2^-110
  // makes every product and partial sum denormal; a flushing kernel gives 0.
  uint8_t codes[40];
  for (uint32_t i = 0; i < 40; ++i) codes[i] = static_cast<uint8_t>(i % 7 + 1);
  const uint16_t params[2] = {0x0001, 0x0000};  // scale 2^-24, min +0
  PackedRow r;
  r.codes = codes;
  r.params = params;
  r.bits = 8;
  r.group = 64;
  const std::vector<float> a(40, std::ldexp(1.f, -110));
  const float got = kernels::dot_f32_packed(a.data(), r, 0, 40);
  EXPECT_EQ(got, ref::dot_f32_packed(a.data(), r, 0, 40));
  EXPECT_GT(got, 0.f);
  float x[40];
  kernels::dequantize_packed_f32(r, 0, 40, x);
  EXPECT_EQ(x[0], std::ldexp(1.f, -24));
}

TEST_F(KernelsEquivalence, RequantizeRoundsShiftTiesAwayFromZero) {
  // With multiplier 2^30 the high multiply halves exactly, so acc = 2 t with
  // t = k 2^e + 2^(e - 1) lands on a tie of the shift by e, for every e.
  std::vector<int32_t> acc;
  for (int32_t e = 1; e < 32; ++e)
    for (int64_t k : {0, 1, 2, 3, 100}) {
      const int64_t t = (k << e) + (int64_t{1} << (e - 1));
      if (2 * t > INT32_MAX) continue;
      acc.push_back(static_cast<int32_t>(2 * t));
      acc.push_back(static_cast<int32_t>(-2 * t));
    }
  for (int32_t shift = 0; shift < 32; ++shift) {
    const FixedPointMultiplier m{1 << 30, shift};
    const uint32_t n = static_cast<uint32_t>(acc.size());
    std::vector<int8_t> want(n), got(n, 99);
    ref::requantize_s32_s8(acc.data(), want.data(), n, m);
    kernels::requantize_s32_s8(acc.data(), got.data(), n, m);
    ASSERT_EQ(want, got) << "shift=" << shift;
  }
  // Independent values for acc * 2^30 * 2^-31 * 2^-1: the high multiply rounds
  // its ties up (9 / 2 -> 5, -9 / 2 -> -4), the shift away from zero.
  const int32_t a[] = {6, -6, 2, -2, 10, -10, 9, -9};
  int8_t q[8];
  kernels::requantize_s32_s8(a, q, 8, FixedPointMultiplier{1 << 30, 1});
  const int8_t want[] = {2, -2, 1, -1, 3, -3, 3, -2};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(q[i], want[i]) << "acc=" << a[i];
}

TEST(KernelFamily, NameMatchesTheBuild) {
  EXPECT_STREQ(kernels::family(), SINKQ_KERNEL_FAMILY_NAME);
  RecordProperty("kernel_family", SINKQ_KERNEL_FAMILY_NAME);
}

}  // namespace
}  // namespace sinkq
