#include "machine.h"

#include "sinkq/kernels.h"

#include <cstring>
#include <ctime>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sinkq {
namespace bench {

double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

namespace {

// The peak that matters is that of the instructions the build's kernel family
// uses: an AVX2 build on a VNNI-capable core is held to the sign-trick peak.
bool vnni_family() { return std::strcmp(kernels::family(), "avx512vnni") == 0; }


#if defined(__x86_64__)
// 32 dependent single-cycle register adds per iteration; the loop counter
// runs beside them on another ALU, so an iteration takes 32 cycles at any
// clock. Register, not immediate, operands: recent Intel cores fold chains of
// add-immediate at rename and run them several per cycle (measured here:
// 16 "GHz" with `add $1`, 2.9 GHz with `add %reg`, the same as imul chains).
double measure_clock_hz() {
  const uint64_t iters = 4000000;
  uint64_t x = 0, one = 1;
  const double t0 = thread_seconds();
  for (uint64_t i = 0; i < iters; ++i) {
    asm volatile(
        ".rept 32\n\t"
        "add %1, %0\n\t"
        ".endr"
        : "+r"(x)
        : "r"(one));
  }
  const double s = thread_seconds() - t0;
  return x == 32 * iters ? 32.0 * static_cast<double>(iters) / s : 0;
}
#else
double measure_clock_hz() { return 0; }
#endif

Machine measure() {
  Machine m;
  measure_clock_hz();  // wake the core up to its running clock first
  m.clock_hz = measure_clock_hz();
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (vnni_family()) {
    m.int8_ops_per_cycle = 256;
    m.int8_basis =
        "2 vpdpbusd zmm per cycle x 64 int8 multiply-adds (cores with two 512-bit FMA units; "
        "halve for one)";
  } else if (__builtin_cpu_supports("avx2")) {
    m.int8_ops_per_cycle = 64;
    m.int8_basis =
        "sign trick: 1 vpmaddubsw + 1 vpmaddwd ymm per 32 int8 multiply-adds, both at 2 per "
        "cycle on the two vector-multiply pipes: 32 MAC = 64 ops per cycle";
  }
  if (__builtin_cpu_supports("avx2")) {
    m.f32_ops_per_cycle = 32;
    m.f32_basis =
        "2 vmulps + 2 vaddps ymm per cycle (separate multiply and add pipes, no FMA): "
        "16 mul + 16 add per cycle";
  }
#endif
  std::vector<uint64_t> buf(kDramBufferBytes / sizeof(uint64_t), 1);
  m.dram_read_bytes_per_s = read_bandwidth(buf.data(), kDramBufferBytes, 5);
  return m;
}

#if defined(__x86_64__)
// Register-only loops in assembly (the compiler would fold or share the
// loop-invariant work): six independent sign-trick chains of 32 int8
// multiply-adds, or eight vmulps + vaddps chains. Registers start at zero, so
// no denormals slow the float loop.
double int8_mix_loop() {
  const uint64_t iters = 2000000;
  uint64_t n = iters;
  const double t0 = thread_seconds();
  asm volatile(
      "vzeroall\n\t"
      "vpcmpeqw %%ymm5, %%ymm5, %%ymm5\n\t"
      "vpsrlw $15, %%ymm5, %%ymm5\n\t"
      "1:\n\t"
      "vpsignb %%ymm3, %%ymm0, %%ymm12\n\t"
      "vpmaddubsw %%ymm12, %%ymm4, %%ymm12\n\t"
      "vpmaddwd %%ymm5, %%ymm12, %%ymm12\n\t"
      "vpaddd %%ymm12, %%ymm6, %%ymm6\n\t"
      "vpsignb %%ymm3, %%ymm1, %%ymm13\n\t"
      "vpmaddubsw %%ymm13, %%ymm4, %%ymm13\n\t"
      "vpmaddwd %%ymm5, %%ymm13, %%ymm13\n\t"
      "vpaddd %%ymm13, %%ymm7, %%ymm7\n\t"
      "vpsignb %%ymm3, %%ymm2, %%ymm14\n\t"
      "vpmaddubsw %%ymm14, %%ymm4, %%ymm14\n\t"
      "vpmaddwd %%ymm5, %%ymm14, %%ymm14\n\t"
      "vpaddd %%ymm14, %%ymm8, %%ymm8\n\t"
      "vpsignb %%ymm3, %%ymm0, %%ymm15\n\t"
      "vpmaddubsw %%ymm15, %%ymm4, %%ymm15\n\t"
      "vpmaddwd %%ymm5, %%ymm15, %%ymm15\n\t"
      "vpaddd %%ymm15, %%ymm9, %%ymm9\n\t"
      "vpsignb %%ymm3, %%ymm1, %%ymm12\n\t"
      "vpmaddubsw %%ymm12, %%ymm4, %%ymm12\n\t"
      "vpmaddwd %%ymm5, %%ymm12, %%ymm12\n\t"
      "vpaddd %%ymm12, %%ymm10, %%ymm10\n\t"
      "vpsignb %%ymm3, %%ymm2, %%ymm13\n\t"
      "vpmaddubsw %%ymm13, %%ymm4, %%ymm13\n\t"
      "vpmaddwd %%ymm5, %%ymm13, %%ymm13\n\t"
      "vpaddd %%ymm13, %%ymm11, %%ymm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
  const double s = thread_seconds() - t0;
  return 2.0 * 6 * 32 * static_cast<double>(iters) / s;
}

// Sixteen independent vpdpbusd zmm chains (64 multiply-adds each; enough to
// cover a 5-cycle latency on two ports): the AVX-512 VNNI peak the
// instruction tables promise, checked on this core.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) double vnni_mix_loop() {
  const uint64_t iters = 2000000;
  uint64_t n = iters;
  const double t0 = thread_seconds();
  asm volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vmovdqa64 %%zmm0, %%zmm2\n\t"
      "vmovdqa64 %%zmm0, %%zmm3\n\t"
      "vmovdqa64 %%zmm0, %%zmm4\n\t"
      "vmovdqa64 %%zmm0, %%zmm5\n\t"
      "vmovdqa64 %%zmm0, %%zmm6\n\t"
      "vmovdqa64 %%zmm0, %%zmm7\n\t"
      "vmovdqa64 %%zmm0, %%zmm8\n\t"
      "vmovdqa64 %%zmm0, %%zmm9\n\t"
      "vmovdqa64 %%zmm0, %%zmm10\n\t"
      "vmovdqa64 %%zmm0, %%zmm11\n\t"
      "vmovdqa64 %%zmm0, %%zmm12\n\t"
      "vmovdqa64 %%zmm0, %%zmm13\n\t"
      "vmovdqa64 %%zmm0, %%zmm14\n\t"
      "vmovdqa64 %%zmm0, %%zmm15\n\t"
      "vmovdqa64 %%zmm0, %%zmm16\n\t"
      "vmovdqa64 %%zmm0, %%zmm17\n\t"
      "1:\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm2\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm3\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm4\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm5\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm6\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm7\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm8\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm9\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm10\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm11\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm12\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm13\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm14\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm15\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm16\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm17\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "cc");
  const double s = thread_seconds() - t0;
  return 2.0 * 16 * 64 * static_cast<double>(iters) / s;
}

double f32_mix_loop() {
  const uint64_t iters = 2000000;
  uint64_t n = iters;
  const double t0 = thread_seconds();
  asm volatile(
      "vzeroall\n\t"
      "1:\n\t"
      "vmulps %%ymm4, %%ymm0, %%ymm5\n\t"
      "vaddps %%ymm5, %%ymm8, %%ymm8\n\t"
      "vmulps %%ymm4, %%ymm1, %%ymm6\n\t"
      "vaddps %%ymm6, %%ymm9, %%ymm9\n\t"
      "vmulps %%ymm4, %%ymm2, %%ymm7\n\t"
      "vaddps %%ymm7, %%ymm10, %%ymm10\n\t"
      "vmulps %%ymm4, %%ymm3, %%ymm5\n\t"
      "vaddps %%ymm5, %%ymm11, %%ymm11\n\t"
      "vmulps %%ymm4, %%ymm0, %%ymm6\n\t"
      "vaddps %%ymm6, %%ymm12, %%ymm12\n\t"
      "vmulps %%ymm4, %%ymm1, %%ymm7\n\t"
      "vaddps %%ymm7, %%ymm13, %%ymm13\n\t"
      "vmulps %%ymm4, %%ymm2, %%ymm5\n\t"
      "vaddps %%ymm5, %%ymm14, %%ymm14\n\t"
      "vmulps %%ymm4, %%ymm3, %%ymm6\n\t"
      "vaddps %%ymm6, %%ymm15, %%ymm15\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
  const double s = thread_seconds() - t0;
  return 2.0 * 8 * 8 * static_cast<double>(iters) / s;
}
#endif

}  // namespace

const Machine& machine() {
  static const Machine m = measure();
  return m;
}

namespace {

// One pass: the sum of all words, in 32-byte loads where the CPU has AVX2
// (the kernels' load width; narrower loads read DRAM measurably slower).
#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t sum_avx2(const uint64_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 16 <= n; i += 16) {
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  return static_cast<uint64_t>(_mm256_extract_epi64(s, 0));
}
#endif

uint64_t sum(const uint64_t* p, size_t n) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) return sum_avx2(p, n);
#endif
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

}  // namespace

double read_bandwidth(const uint64_t* p, size_t bytes, int passes) {
  double best = 0;
  for (int k = 0; k < passes; ++k) {
    const double t0 = thread_seconds();
    volatile uint64_t sink = sum(p, bytes / sizeof(uint64_t));
    (void)sink;
    const double bw = static_cast<double>(bytes) / (thread_seconds() - t0);
    best = bw > best ? bw : best;
  }
  return best;
}

double measured_int8_mix_ops_per_s() {
#if defined(__x86_64__)
  if (vnni_family()) return vnni_mix_loop();
  if (__builtin_cpu_supports("avx2")) return int8_mix_loop();
#endif
  return 0;
}

double measured_f32_mix_ops_per_s() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) return f32_mix_loop();
#endif
  return 0;
}

}  // namespace bench
}  // namespace sinkq
