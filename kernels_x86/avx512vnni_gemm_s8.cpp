// int8 GEMM/GEMV for AVX-512 VNNI (the "avx512vnni" family; compiled with
// -mavx512f -mavx512bw -mavx512vnni). The float and elementwise kernels are
// the AVX2 ones (avx2_float.cpp, avx2_elementwise.cpp).
//
// vpdpbusd adds four unsigned-by-signed byte products straight into each
// int32 lane, without the int16 step of vpmaddubsw, so the sign trick of the
// AVX2 family carries over and nothing can saturate: w * x = |x| * (x < 0 ? -w
// : w). AVX-512 has no vpsignb; the negation is a byte subtract masked by the
// sign bits of x (vpmovb2m). Where x == 0 the weight is kept, harmless since
// |x| is 0 there. Column tails use byte-masked loads (no fault past the end).
//
// Decode (n = 1) runs eight weight rows per pass and streams the weights
// once; prefill runs tiles of 2 rows by 8 tokens (16 accumulators, 2 row
// sums and 8 activation vectors fit the 32 zmm registers; see tile_offset),
// and one pass over a two-row block serves every token tile. Of the shapes
// tried on a 4096 x 4096 GEMM (4x4, 2x8, 8x2, 3x6), 2x8 was fastest at 8 and
// 64 tokens. Its column loop is in assembly (body_2x8): GCC 12 moved part of
// the accumulators through the stack in every iteration (0.39 -> 0.45 of the
// int8 peak at 8 tokens, 0.34 -> 0.48 at 64). Tiles are forced inline, as
// in the AVX2 family.
#include <immintrin.h>

#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {
namespace {

#define SINKQ_INLINE __attribute__((always_inline)) inline

struct Act {
  __m512i abs;
  __mmask64 neg;
};

inline Act act(__m512i x) { return {_mm512_abs_epi8(x), _mm512_movepi8_mask(x)}; }

inline __m512i dot64(__m512i acc, const Act& x, __m512i w) {
  const __m512i sw = _mm512_mask_sub_epi8(w, x.neg, _mm512_setzero_si512(), w);
  return _mm512_dpbusd_epi32(acc, x.abs, sw);
}

// Written out because GCC 12's _mm512_reduce_add_epi32, and the unmasked
// 512-to-256 extracts it uses, trip -Wmaybe-uninitialized inside its own
// headers; the zero-masking extract with a full mask is the same instruction.
inline int32_t hsum(__m512i a) {
  const __m256i s = _mm256_add_epi32(_mm512_maskz_extracti64x4_epi64(0xFF, a, 0),
                                     _mm512_maskz_extracti64x4_epi64(0xFF, a, 1));
  __m128i q = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  q = _mm_add_epi32(q, _mm_shuffle_epi32(q, _MM_SHUFFLE(1, 0, 3, 2)));
  q = _mm_add_epi32(q, _mm_shuffle_epi32(q, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(q);
}

// Y[t][r] for R rows starting at W and T tokens starting at X.
template <uint32_t R, uint32_t T>
SINKQ_INLINE void tile(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t rows, uint32_t cols) {
  __m512i acc[R][T];
  for (uint32_t r = 0; r < R; ++r)
    for (uint32_t t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_si512();
  const uint32_t body = cols & ~63u;
  for (uint32_t j = 0; j < body; j += 64) {
    Act x[T];
    for (uint32_t t = 0; t < T; ++t) x[t] = act(_mm512_loadu_si512(X + size_t{t} * cols + j));
    for (uint32_t r = 0; r < R; ++r) {
      const __m512i w = _mm512_loadu_si512(W + size_t{r} * cols + j);
      for (uint32_t t = 0; t < T; ++t) acc[r][t] = dot64(acc[r][t], x[t], w);
    }
  }
  if (body < cols) {
    const __mmask64 m = (~uint64_t{0}) >> (64 - (cols - body));
    Act x[T];
    for (uint32_t t = 0; t < T; ++t)
      x[t] = act(_mm512_maskz_loadu_epi8(m, X + size_t{t} * cols + body));
    for (uint32_t r = 0; r < R; ++r) {
      const __m512i w = _mm512_maskz_loadu_epi8(m, W + size_t{r} * cols + body);
      for (uint32_t t = 0; t < T; ++t) acc[r][t] = dot64(acc[r][t], x[t], w);
    }
  }
  for (uint32_t t = 0; t < T; ++t)
    for (uint32_t r = 0; r < R; ++r) Y[size_t{t} * rows + r] = hsum(acc[r][t]);
}

// Prefill tiles take the other route to unsigned activations: x + 128 (a
// flip of the sign bit) is in [1, 255], so vpdpbusd gives sum (x + 128) w
// exactly, and subtracting 128 * sum w (one more vpdpbusd per row, against a
// vector of ones, shared by the T tokens) leaves sum x w. Per 64 columns that
// is T + R + R*T vector operations instead of 2T + 2*R*T with the sign trick:
// 26 instead of 48 for the 2 x 8 tile, where vpdpbusd is what the two
// 512-bit ports should be busy with. vpdpbusd and the lane sums wrap modulo
// 2^32 (no saturation), so the difference is exact whenever sum x w itself
// fits in int32, as the reference requires too.
#ifndef SINKQ_TESTS_X86_INTRINSICS_EMULATION_H_
// The body of the 2 x 8 tile in assembly: with intrinsics GCC 12 keeps part
// of the 16 accumulators on the stack and copies them between registers in
// every iteration. Here they and the two row sums stay in zmm9-26 for the
// whole loop (loaded from and stored back to the tile's arrays once), the
// eight activation vectors in zmm0-7, the weights in zmm8. Same operations,
// same order as tile_offset's loop.
SINKQ_INLINE void body_2x8(const int8_t* W, const int8_t* X, uint32_t cols, uint32_t blocks,
                           __m512i flip, __m512i ones, __m512i (&acc)[2][8], __m512i (&wsum)[2]) {
  const int8_t* x = X;
  const int8_t* p = X + 4 * size_t{cols};
  const int8_t* w = W;
  const size_t c = cols, c3 = 3 * size_t{cols};
  size_t n = blocks;
  asm volatile(
      "vmovdqu64 0(%[a]), %%zmm9\n\t"
      "vmovdqu64 64(%[a]), %%zmm10\n\t"
      "vmovdqu64 128(%[a]), %%zmm11\n\t"
      "vmovdqu64 192(%[a]), %%zmm12\n\t"
      "vmovdqu64 256(%[a]), %%zmm13\n\t"
      "vmovdqu64 320(%[a]), %%zmm14\n\t"
      "vmovdqu64 384(%[a]), %%zmm15\n\t"
      "vmovdqu64 448(%[a]), %%zmm16\n\t"
      "vmovdqu64 512(%[a]), %%zmm17\n\t"
      "vmovdqu64 576(%[a]), %%zmm18\n\t"
      "vmovdqu64 640(%[a]), %%zmm19\n\t"
      "vmovdqu64 704(%[a]), %%zmm20\n\t"
      "vmovdqu64 768(%[a]), %%zmm21\n\t"
      "vmovdqu64 832(%[a]), %%zmm22\n\t"
      "vmovdqu64 896(%[a]), %%zmm23\n\t"
      "vmovdqu64 960(%[a]), %%zmm24\n\t"
      "vmovdqu64 (%[s]), %%zmm25\n\t"
      "vmovdqu64 64(%[s]), %%zmm26\n\t"
      "1:\n\t"
      "vpxord (%[x]), %[flip], %%zmm0\n\t"
      "vpxord (%[x],%[c],1), %[flip], %%zmm1\n\t"
      "vpxord (%[x],%[c],2), %[flip], %%zmm2\n\t"
      "vpxord (%[x],%[c3],1), %[flip], %%zmm3\n\t"
      "vpxord (%[p]), %[flip], %%zmm4\n\t"
      "vpxord (%[p],%[c],1), %[flip], %%zmm5\n\t"
      "vpxord (%[p],%[c],2), %[flip], %%zmm6\n\t"
      "vpxord (%[p],%[c3],1), %[flip], %%zmm7\n\t"
      "vmovdqu64 (%[w]), %%zmm8\n\t"
      "vpdpbusd %%zmm8, %[ones], %%zmm25\n\t"
      "vpdpbusd %%zmm8, %%zmm0, %%zmm9\n\t"
      "vpdpbusd %%zmm8, %%zmm1, %%zmm10\n\t"
      "vpdpbusd %%zmm8, %%zmm2, %%zmm11\n\t"
      "vpdpbusd %%zmm8, %%zmm3, %%zmm12\n\t"
      "vpdpbusd %%zmm8, %%zmm4, %%zmm13\n\t"
      "vpdpbusd %%zmm8, %%zmm5, %%zmm14\n\t"
      "vpdpbusd %%zmm8, %%zmm6, %%zmm15\n\t"
      "vpdpbusd %%zmm8, %%zmm7, %%zmm16\n\t"
      "vmovdqu64 (%[w],%[c],1), %%zmm8\n\t"
      "vpdpbusd %%zmm8, %[ones], %%zmm26\n\t"
      "vpdpbusd %%zmm8, %%zmm0, %%zmm17\n\t"
      "vpdpbusd %%zmm8, %%zmm1, %%zmm18\n\t"
      "vpdpbusd %%zmm8, %%zmm2, %%zmm19\n\t"
      "vpdpbusd %%zmm8, %%zmm3, %%zmm20\n\t"
      "vpdpbusd %%zmm8, %%zmm4, %%zmm21\n\t"
      "vpdpbusd %%zmm8, %%zmm5, %%zmm22\n\t"
      "vpdpbusd %%zmm8, %%zmm6, %%zmm23\n\t"
      "vpdpbusd %%zmm8, %%zmm7, %%zmm24\n\t"
      "add $64, %[x]\n\t"
      "add $64, %[p]\n\t"
      "add $64, %[w]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vmovdqu64 %%zmm9, 0(%[a])\n\t"
      "vmovdqu64 %%zmm10, 64(%[a])\n\t"
      "vmovdqu64 %%zmm11, 128(%[a])\n\t"
      "vmovdqu64 %%zmm12, 192(%[a])\n\t"
      "vmovdqu64 %%zmm13, 256(%[a])\n\t"
      "vmovdqu64 %%zmm14, 320(%[a])\n\t"
      "vmovdqu64 %%zmm15, 384(%[a])\n\t"
      "vmovdqu64 %%zmm16, 448(%[a])\n\t"
      "vmovdqu64 %%zmm17, 512(%[a])\n\t"
      "vmovdqu64 %%zmm18, 576(%[a])\n\t"
      "vmovdqu64 %%zmm19, 640(%[a])\n\t"
      "vmovdqu64 %%zmm20, 704(%[a])\n\t"
      "vmovdqu64 %%zmm21, 768(%[a])\n\t"
      "vmovdqu64 %%zmm22, 832(%[a])\n\t"
      "vmovdqu64 %%zmm23, 896(%[a])\n\t"
      "vmovdqu64 %%zmm24, 960(%[a])\n\t"
      "vmovdqu64 %%zmm25, (%[s])\n\t"
      "vmovdqu64 %%zmm26, 64(%[s])"
      : [x] "+r"(x), [p] "+r"(p), [w] "+r"(w), [n] "+r"(n)
      : [a] "r"(&acc[0][0]), [s] "r"(&wsum[0]), [c] "r"(c), [c3] "r"(c3), [flip] "v"(flip),
        [ones] "v"(ones)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "cc", "memory");
}
#endif

template <uint32_t R, uint32_t T>
SINKQ_INLINE void tile_offset(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t rows,
                              uint32_t cols) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i acc[R][T], wsum[R];
  for (uint32_t r = 0; r < R; ++r) {
    wsum[r] = _mm512_setzero_si512();
    for (uint32_t t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_si512();
  }
  const uint32_t body = cols & ~63u;
  uint32_t j = 0;
#ifndef SINKQ_TESTS_X86_INTRINSICS_EMULATION_H_
  if constexpr (R == 2 && T == 8) {
    if (body > 0) {
      body_2x8(W, X, cols, body / 64, flip, ones, acc, wsum);
      j = body;
    }
  }
#endif
  for (; j < body; j += 64) {
    __m512i x[T];
    for (uint32_t t = 0; t < T; ++t)
      x[t] = _mm512_xor_si512(_mm512_loadu_si512(X + size_t{t} * cols + j), flip);
    for (uint32_t r = 0; r < R; ++r) {
      const __m512i w = _mm512_loadu_si512(W + size_t{r} * cols + j);
      wsum[r] = _mm512_dpbusd_epi32(wsum[r], ones, w);
      for (uint32_t t = 0; t < T; ++t) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], x[t], w);
    }
  }
  if (body < cols) {  // zero-filled weights make the padding's x + 128 harmless
    const __mmask64 m = (~uint64_t{0}) >> (64 - (cols - body));
    __m512i x[T];
    for (uint32_t t = 0; t < T; ++t)
      x[t] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, X + size_t{t} * cols + body), flip);
    for (uint32_t r = 0; r < R; ++r) {
      const __m512i w = _mm512_maskz_loadu_epi8(m, W + size_t{r} * cols + body);
      wsum[r] = _mm512_dpbusd_epi32(wsum[r], ones, w);
      for (uint32_t t = 0; t < T; ++t) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], x[t], w);
    }
  }
  for (uint32_t r = 0; r < R; ++r) {
    const uint32_t bias = 128u * static_cast<uint32_t>(hsum(wsum[r]));
    for (uint32_t t = 0; t < T; ++t)
      Y[size_t{t} * rows + r] = static_cast<int32_t>(static_cast<uint32_t>(hsum(acc[r][t])) - bias);
  }
}

template <uint32_t R>
inline void row_block(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
                      uint32_t cols) {
  uint32_t t = 0;
  for (; t + 8 <= n; t += 8)
    tile_offset<R, 8>(W, X + size_t{t} * cols, Y + size_t{t} * rows, rows, cols);
  for (; t + 4 <= n; t += 4)
    tile_offset<R, 4>(W, X + size_t{t} * cols, Y + size_t{t} * rows, rows, cols);
  for (; t < n; ++t) tile<R, 1>(W, X + size_t{t} * cols, Y + size_t{t} * rows, rows, cols);
}

__attribute__((noinline)) void gemv(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t rows,
                                    uint32_t cols) {
  uint32_t r = 0;
  for (; r + 8 <= rows; r += 8) tile<8, 1>(W + size_t{r} * cols, X, Y + r, rows, cols);
  for (; r < rows; ++r) tile<1, 1>(W + size_t{r} * cols, X, Y + r, rows, cols);
}

__attribute__((noinline)) void gemm(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n,
                                    uint32_t rows, uint32_t cols) {
  uint32_t r = 0;
  for (; r + 2 <= rows; r += 2) row_block<2>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
  for (; r < rows; ++r) row_block<1>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
}

}  // namespace

void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
             uint32_t cols) {
  if (n == 1) return gemv(W, X, Y, rows, cols);
  gemm(W, X, Y, n, rows, cols);
}

const char* family() { return "avx512vnni"; }

}  // namespace kernels
}  // namespace sinkq
