// Shapes and inputs shared by the kernel family tests: sizes crossing every
// block boundary of the SIMD tiles, the model's shapes, and value
// distributions that stress exactness (extremes) and summation order.
#ifndef SINKQ_TESTS_KERNEL_TEST_DATA_H_
#define SINKQ_TESTS_KERNEL_TEST_DATA_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace sinkq {
namespace test {

struct Shape {
  uint32_t n, rows, cols;
};

inline std::string describe(const Shape& s) {
  return "n=" + std::to_string(s.n) + " rows=" + std::to_string(s.rows) +
         " cols=" + std::to_string(s.cols);
}

// Small shapes crossing every block boundary (16/32/64 columns, 4-row and
// 2/4-token tiles), the model's shapes (stories260K: dim 64, kv_dim 32,
// hidden 172, vocab 512), and large ones (`huge` adds the slowest).
inline std::vector<Shape> gemm_shapes(bool huge) {
  std::vector<Shape> v;
  for (uint32_t n : {1u, 2u, 3u, 4u, 5u, 8u, 9u, 13u})  // 13: a tile of 8, of 4 and one token
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
  if (huge) {
    v.push_back({1, 4096, 4096});
    v.push_back({3, 300, 11008});
    v.push_back({64, 256, 4096});
  } else {
    v.push_back({1, 1024, 4096});
    v.push_back({5, 64, 11008});
  }
  return v;
}

inline std::vector<int8_t> random_s8(size_t n, std::mt19937* rng, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(*rng));
  return v;
}

// Values only from {a, b}: all-extreme rows drive every int16 pair sum of the
// AVX2 sign trick to its largest magnitude.
inline std::vector<int8_t> random_pick(size_t n, std::mt19937* rng, int8_t a, int8_t b) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = ((*rng)() & 1) ? a : b;
  return v;
}

// Activations where two in three are zero.
inline std::vector<int8_t> random_sparse_s8(size_t n, std::mt19937* rng) {
  auto v = random_s8(n, rng, -128, 127);
  for (auto& x : v) x = ((*rng)() % 3 == 0) ? x : 0;
  return v;
}

// Normal values spread over six orders of magnitude, so that a different
// summation order changes the rounded result.
inline std::vector<float> random_f32(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> d;
  std::uniform_real_distribution<float> e(-3.f, 3.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(*rng) * std::pow(10.f, e(*rng));
  return v;
}

}  // namespace test
}  // namespace sinkq

#endif  // SINKQ_TESTS_KERNEL_TEST_DATA_H_
