// Scalar stand-ins for the x86 intrinsics the AVX-512 VNNI kernel uses,
// written from the instruction descriptions in Intel's SDM, so that kernel's
// tiling, tails, masks and reductions run (and are compared with the
// reference) on machines without AVX-512. Test-only. Including this header
// first makes the kernel's own #include <immintrin.h> a no-op (the compilers'
// include guards are defined here), so nothing below clashes with the real
// declarations. Loads touch exactly the bytes the instruction would, so the
// sanitizer build also catches reads past a buffer.
#ifndef SINKQ_TESTS_X86_INTRINSICS_EMULATION_H_
#define SINKQ_TESTS_X86_INTRINSICS_EMULATION_H_

#include <cstdint>
#include <cstring>

#define _IMMINTRIN_H_INCLUDED  // GCC
#define __IMMINTRIN_H          // Clang

struct __m128i {
  int32_t d[4];
};
struct __m256i {
  int32_t d[8];
};
struct __m512i {
  int8_t b[64];
};
using __mmask8 = uint8_t;
using __mmask64 = uint64_t;

#define _MM_SHUFFLE(z, y, x, w) (((z) << 6) | ((y) << 4) | ((x) << 2) | (w))

inline __m512i _mm512_setzero_si512() { return __m512i{}; }

inline __m512i _mm512_loadu_si512(const void* p) {
  __m512i r;
  std::memcpy(r.b, p, 64);
  return r;
}

// Masked-off bytes are zero and never read (AVX-512 fault suppression).
inline __m512i _mm512_maskz_loadu_epi8(__mmask64 k, const void* p) {
  __m512i r{};
  for (int i = 0; i < 64; ++i)
    if ((k >> i) & 1) r.b[i] = static_cast<const int8_t*>(p)[i];
  return r;
}

inline __m512i _mm512_set1_epi8(char c) {
  __m512i r;
  for (int i = 0; i < 64; ++i) r.b[i] = static_cast<int8_t>(c);
  return r;
}

inline __m512i _mm512_xor_si512(__m512i a, __m512i b) {
  __m512i r;
  for (int i = 0; i < 64; ++i) r.b[i] = static_cast<int8_t>(a.b[i] ^ b.b[i]);
  return r;
}

// vpabsb: |-128| is 0x80 (128 when read as unsigned).
inline __m512i _mm512_abs_epi8(__m512i a) {
  __m512i r;
  for (int i = 0; i < 64; ++i)
    r.b[i] = static_cast<int8_t>(static_cast<uint8_t>(a.b[i] < 0 ? -a.b[i] : a.b[i]));
  return r;
}

// vpmovb2m: the sign bit of every byte.
inline __mmask64 _mm512_movepi8_mask(__m512i a) {
  __mmask64 k = 0;
  for (int i = 0; i < 64; ++i) k |= uint64_t{a.b[i] < 0} << i;
  return k;
}

// vpsubb with merge masking: a - b (wrapping) where k is set, src elsewhere.
inline __m512i _mm512_mask_sub_epi8(__m512i src, __mmask64 k, __m512i a, __m512i b) {
  __m512i r;
  for (int i = 0; i < 64; ++i)
    r.b[i] = ((k >> i) & 1) ? static_cast<int8_t>(static_cast<uint8_t>(a.b[i] - b.b[i])) : src.b[i];
  return r;
}

// vpdpbusd: each dword lane adds four unsigned(a) * signed(b) byte products,
// wrapping (no saturation).
inline __m512i _mm512_dpbusd_epi32(__m512i src, __m512i a, __m512i b) {
  __m512i r;
  for (int j = 0; j < 16; ++j) {
    int32_t acc;
    std::memcpy(&acc, src.b + 4 * j, 4);
    uint32_t sum = static_cast<uint32_t>(acc);
    for (int k = 0; k < 4; ++k)
      sum += static_cast<uint32_t>(int32_t{static_cast<uint8_t>(a.b[4 * j + k])} *
                                   int32_t{b.b[4 * j + k]});
    acc = static_cast<int32_t>(sum);
    std::memcpy(r.b + 4 * j, &acc, 4);
  }
  return r;
}

inline __m256i _mm512_maskz_extracti64x4_epi64(__mmask8 k, __m512i a, int imm) {
  __m256i r{};
  for (int q = 0; q < 4; ++q)
    if ((k >> q) & 1) std::memcpy(r.d + 2 * q, a.b + 32 * (imm & 1) + 8 * q, 8);
  return r;
}

inline __m256i _mm256_add_epi32(__m256i a, __m256i b) {
  __m256i r;
  for (int i = 0; i < 8; ++i)
    r.d[i] = static_cast<int32_t>(static_cast<uint32_t>(a.d[i]) + static_cast<uint32_t>(b.d[i]));
  return r;
}

inline __m128i _mm256_castsi256_si128(__m256i a) { return {{a.d[0], a.d[1], a.d[2], a.d[3]}}; }

inline __m128i _mm256_extracti128_si256(__m256i a, int imm) {
  const int o = 4 * (imm & 1);
  return {{a.d[o], a.d[o + 1], a.d[o + 2], a.d[o + 3]}};
}

inline __m128i _mm_add_epi32(__m128i a, __m128i b) {
  __m128i r;
  for (int i = 0; i < 4; ++i)
    r.d[i] = static_cast<int32_t>(static_cast<uint32_t>(a.d[i]) + static_cast<uint32_t>(b.d[i]));
  return r;
}

inline __m128i _mm_shuffle_epi32(__m128i a, int imm) {
  return {{a.d[imm & 3], a.d[(imm >> 2) & 3], a.d[(imm >> 4) & 3], a.d[(imm >> 6) & 3]}};
}

inline int32_t _mm_cvtsi128_si32(__m128i a) { return a.d[0]; }

#endif  // SINKQ_TESTS_X86_INTRINSICS_EMULATION_H_
