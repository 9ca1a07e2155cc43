// The packed KV-cache kernels for AVX2 (shared by the x86 families): 8
// elements at a time, the codes spread over the lanes by one variable shift
// (vpsrlvd) or widened from bytes, their fp16 (scale, min) pairs converted by
// F16C, then float(code) * scale + min as a vmulps and a vaddps, exactly the
// reference's two roundings. The dot product then follows dot_f32's order
// (avx2_float_order.h): 16 partial sums, the documented tree, the tail added
// element by element, so the result equals ref::dot_f32_packed bit for bit.
// Fewer than 8 trailing elements are dequantized by the reference.
#include <immintrin.h>
#include <string.h>

#include "avx2_float_order.h"
#include "packed_blocks.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {
namespace {

// The scales (low halves) and mins (high halves) of 8 (scale, min) words.
inline void split_pairs(__m256i words, __m256* scale, __m256* min) {
  const __m256i s = _mm256_and_si256(words, _mm256_set1_epi32(0xFFFF));
  const __m256i m = _mm256_srli_epi32(words, 16);
  // {s0..s3, m0..m3 | s4..s7, m4..m7} -> {s0..s7 | m0..m7}
  const __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(s, m), 0xD8);
  *scale = _mm256_cvtph_ps(_mm256_castsi256_si128(p));
  *min = _mm256_cvtph_ps(_mm256_extracti128_si256(p, 1));
}

// Lane k's shift for 8 codes of 2, 3 and 4 bits: k * bits.
alignas(32) const int32_t kShifts[3][8] = {
    {0, 2, 4, 6, 8, 10, 12, 14}, {0, 3, 6, 9, 12, 15, 18, 21}, {0, 4, 8, 12, 16, 20, 24, 28}};

// out + p[0] + p[1] + ... + p[7], left to right, in registers (a store and
// eight scalar reloads would stall on store forwarding).
inline float add_in_order(float out, __m256 p) {
  __m128 s = _mm_set_ss(out);
  const __m128 halves[2] = {_mm256_castps256_ps128(p), _mm256_extractf128_ps(p, 1)};
  for (const __m128 h : halves) {
    s = _mm_add_ss(s, h);
    s = _mm_add_ss(s, _mm_movehdup_ps(h));
    s = _mm_add_ss(s, _mm_movehl_ps(h, h));
    s = _mm_add_ss(s, _mm_shuffle_ps(h, h, 3));
  }
  return _mm_cvtss_f32(s);
}

class Unpacker {
 public:
  Unpacker(const PackedRow& r, uint32_t first, uint32_t n)
      : blocks_(r, first, first + n),
        params_(r.params),
        bits_(r.bits),
        group_(r.group),
        shifts_(_mm256_load_si256(
            reinterpret_cast<const __m256i*>(kShifts[r.bits < 4 ? r.bits - 2 : 2]))),
        mask_(_mm256_set1_epi32(static_cast<int>((1u << r.bits) - 1u))) {}

  // Elements [e, e + 8) dequantized; e advances by 8 from `first` per call.
  __m256 next(uint32_t e) {
    const uint64_t w = blocks_.code_bits(e);
    __m256i codes;
    if (bits_ == 8) {
      codes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(w)));
    } else {  // 8 codes of at most 4 bits fit the low 32 bits
      codes = _mm256_and_si256(
          _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(w))), shifts_),
          mask_);
    }
    __m256 scale, min;
    if (group_ == 1) {  // per channel: 8 consecutive pairs
      split_pairs(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(params_ + 2 * size_t{e})),
                  &scale, &min);
    } else if (blocks_.one_group()) {
      uint32_t word;
      memcpy(&word, params_ + 2 * size_t{blocks_.group_index()}, 4);
      const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(word)));
      scale = _mm256_broadcastss_ps(f);
      min = _mm256_broadcastss_ps(_mm_movehdup_ps(f));
    } else {
      alignas(32) int32_t idx[8];
      blocks_.group_indices(idx);
      split_pairs(_mm256_i32gather_epi32(reinterpret_cast<const int*>(params_),
                                         _mm256_load_si256(reinterpret_cast<const __m256i*>(idx)),
                                         4),
                  &scale, &min);
    }
    blocks_.next();
    return _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(codes), scale), min);
  }

 private:
  kvq::PackedBlocks blocks_;
  const uint16_t* params_;
  uint32_t bits_, group_;
  __m256i shifts_, mask_;
};

}  // namespace

float dot_f32_packed(const float* a, const PackedRow& r, uint32_t first, uint32_t n) {
  if (n == 0) return 0.f;  // the reference's s[0] + s[1] of zeros
  Unpacker u(r, first, n);
  avx2::Partial p{_mm256_setzero_ps(), _mm256_setzero_ps()};
  const uint32_t body = n & ~15u;
  for (uint32_t j = 0; j < body; j += 16) {
    p.lo = _mm256_add_ps(p.lo, _mm256_mul_ps(_mm256_loadu_ps(a + j), u.next(first + j)));
    p.hi = _mm256_add_ps(p.hi, _mm256_mul_ps(_mm256_loadu_ps(a + j + 8), u.next(first + j + 8)));
  }
  return kvq::dot_tail(body ? avx2::reduce1(p) : 0.f, a, r, first, body, n,
                       [&](uint32_t j, float out) {
                         const __m256 prod = _mm256_mul_ps(_mm256_loadu_ps(a + j), u.next(first + j));
                         return add_in_order(out, prod);
                       });
}

void axpy_f32_packed(float* y, float a, const PackedRow& r, uint32_t first, uint32_t n) {
  if (n == 0) return;
  Unpacker u(r, first, n);
  const __m256 av = _mm256_set1_ps(a);
  uint32_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(y + j, _mm256_add_ps(_mm256_loadu_ps(y + j), _mm256_mul_ps(av, u.next(first + j))));
  if (j < n) kvq::tail_axpy(y + j, a, r, first + j, n - j);
}

void dequantize_packed_f32(const PackedRow& r, uint32_t first, uint32_t n, float* out) {
  if (n == 0) return;
  Unpacker u(r, first, n);
  uint32_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, u.next(first + j));
  if (j < n) ref::dequantize_packed_f32(r, first + j, n - j, out + j);
}

}  // namespace kernels
}  // namespace sinkq
