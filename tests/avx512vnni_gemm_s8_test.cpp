// The AVX-512 VNNI int8 GEMM (kernels_x86/avx512vnni_gemm_s8.cpp) run through
// scalar stand-ins of its intrinsics (x86_intrinsics_emulation.h) against the
// reference, in every x86 build: its tiles, byte-masked tails, masked sign
// emulation and reductions are checked even where no CPU runs AVX-512. The
// real instructions are checked by kernels_equivalence_test on AVX-512 VNNI
// machines (it skips loudly elsewhere).
#include "x86_intrinsics_emulation.h"  // first: replaces <immintrin.h>

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernel_test_data.h"
#include "sinkq/kernels.h"

// The kernel's definitions under names of their own, beside the build's
// family in this binary.
#define gemm_s8 emulated_avx512vnni_gemm_s8
#define family emulated_avx512vnni_family
#include "avx512vnni_gemm_s8.cpp"
#undef gemm_s8
#undef family

namespace sinkq {
namespace {

void expect_equal(const std::vector<int8_t>& w, const std::vector<int8_t>& x, const test::Shape& s,
                  const char* what) {
  std::vector<int32_t> want(size_t{s.n} * s.rows, 0x55555555), got(want.size(), 0x2a2a2a2a);
  ref::gemm_s8(w.data(), x.data(), want.data(), s.n, s.rows, s.cols);
  kernels::emulated_avx512vnni_gemm_s8(w.data(), x.data(), got.data(), s.n, s.rows, s.cols);
  ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(int32_t)), 0)
      << what << " " << test::describe(s);
}

TEST(Avx512VnniGemmS8Emulated, EqualsReferenceOnRandomAndExtremeValues) {
  std::mt19937 rng(777);
  for (const test::Shape& s : test::gemm_shapes(false)) {
    const size_t nw = size_t{s.rows} * s.cols, nx = size_t{s.n} * s.cols;
    expect_equal(test::random_s8(nw, &rng, -127, 127), test::random_s8(nx, &rng, -128, 127), s,
                 "random");
    expect_equal(test::random_pick(nw, &rng, -127, 127), test::random_pick(nx, &rng, -128, 127), s,
                 "random extremes");
    expect_equal(std::vector<int8_t>(nw, -127), std::vector<int8_t>(nx, -128), s,
                 "w=-127 x=-128");
    expect_equal(test::random_s8(nw, &rng, -127, 127), test::random_sparse_s8(nx, &rng), s,
                 "sparse x");
    if (HasFatalFailure()) return;
  }
}

TEST(Avx512VnniGemmS8Emulated, NamesItsFamily) {
  EXPECT_STREQ(kernels::emulated_avx512vnni_family(), "avx512vnni");
}

}  // namespace
}  // namespace sinkq
