// The build's GEMV (n = 1) and GEMM (n = 8, 16, 64) kernels, int8 and fp32,
// on the model's shapes and on large ones. Counters: ops/s (2 per
// multiply-add) and weight bytes/s, with the fraction of the core's peak
// (frac_peak) and of the measured DRAM read bandwidth (frac_dram) next to
// them. Weights larger than the last-level cache stream from DRAM on every
// call; smaller ones sit in cache, where frac_dram can exceed 1. Rates are per
// CPU second of the benchmark thread (Google Benchmark's default), so other
// load on a shared machine inflates wall time, not the figures.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "host/io.h"
#include "machine.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace bench {
namespace {

// Operands reused across benchmarks: weights refilled only when the shape
// changes, activations when more tokens or another width are needed.
template <typename T>
struct Operands {
  host::AlignedBuffer w, x, y;
  uint32_t rows = 0, cols = 0, n = 0;
  std::mt19937 rng{5};
  void prepare(uint32_t r, uint32_t c, uint32_t tokens) {
    if (r != rows || c != cols) {
      w.resize(size_t{r} * c * sizeof(T));
      fill(reinterpret_cast<T*>(w.data()), size_t{r} * c);
    }
    if (c != cols || tokens > n) {
      x.resize(size_t{tokens} * c * sizeof(T));
      fill(reinterpret_cast<T*>(x.data()), size_t{tokens} * c);
      n = tokens;
    }
    y.resize(size_t{n} * r * 4);
    rows = r, cols = c;
  }
  void fill(int8_t* p, size_t count) {
    for (size_t i = 0; i < count; ++i)
      p[i] = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  }
  void fill(float* p, size_t count) {
    std::normal_distribution<float> d;
    for (size_t i = 0; i < count; ++i) p[i] = d(rng);
  }
};

void set_counters(benchmark::State& state, double ops_per_call, double weight_bytes,
                  double seconds, double peak) {
  const double calls = static_cast<double>(state.iterations());
  state.counters["ops/s"] =
      benchmark::Counter(ops_per_call, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["wbytes/s"] =
      benchmark::Counter(weight_bytes, benchmark::Counter::kIsIterationInvariantRate);
  if (seconds > 0) {
    if (peak > 0) state.counters["frac_peak"] = ops_per_call * calls / seconds / peak;
    const double bw = machine().dram_read_bytes_per_s;
    if (bw > 0) state.counters["frac_dram"] = weight_bytes * calls / seconds / bw;
  }
}

void gemm(const int8_t* w, const int8_t* x, void* y, uint32_t n, uint32_t rows, uint32_t cols) {
  kernels::gemm_s8(w, x, static_cast<int32_t*>(y), n, rows, cols);
}
void gemm(const float* w, const float* x, void* y, uint32_t n, uint32_t rows, uint32_t cols) {
  kernels::gemm_f32(w, x, static_cast<float*>(y), n, rows, cols);
}

template <typename T>
void run_gemm(benchmark::State& state, double peak) {
  const auto rows = static_cast<uint32_t>(state.range(0));
  const auto cols = static_cast<uint32_t>(state.range(1));
  const auto n = static_cast<uint32_t>(state.range(2));
  static Operands<T> op;
  op.prepare(rows, cols, n);
  const auto* w = reinterpret_cast<const T*>(op.w.data());
  const auto* x = reinterpret_cast<const T*>(op.x.data());
  const double t0 = thread_seconds();
  for (auto _ : state) {
    gemm(w, x, op.y.data(), n, rows, cols);
    benchmark::ClobberMemory();
  }
  const double s = thread_seconds() - t0;
  set_counters(state, 2.0 * n * rows * cols, double(sizeof(T)) * rows * cols, s, peak);
}

void BM_GemmS8(benchmark::State& state) { run_gemm<int8_t>(state, machine().int8_peak()); }
void BM_GemmF32(benchmark::State& state) { run_gemm<float>(state, machine().f32_peak()); }

// rows x cols: stories260K's wq/wo, wk/wv, w1/w3, w2 and classifier; then a
// 7B-class attention projection and the FFN up and down projections.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "cols", "n"});
  const int64_t model[][2] = {{64, 64}, {32, 64}, {172, 64}, {64, 172}, {512, 64}};
  const int64_t large[][2] = {{4096, 4096}, {11008, 4096}, {4096, 11008}};
  for (const auto& s : model)
    for (int64_t n : {1, 8, 16, 64}) b->Args({s[0], s[1], n});
  for (const auto& s : large)
    for (int64_t n : {1, 8, 16, 64}) b->Args({s[0], s[1], n});
}

BENCHMARK(BM_GemmS8)->Apply(shapes);
// A GEMV whose 512 MiB of int8 weights cannot sit in any cache (the largest
// last-level cache seen here is 260 MiB): the DRAM-bound decode case.
BENCHMARK(BM_GemmS8)->ArgNames({"rows", "cols", "n"})->Args({16384, 32768, 1});
BENCHMARK(BM_GemmF32)->Apply(shapes);

// The packed KV-cache kernels as attention calls them: a query against kRows
// cached keys (dot_f32_packed, per-channel pairs, group 1) and kRows value
// rows accumulated into a head's output (axpy_f32_packed, groups of
// min(32, head size) channels), at head size 8 (stories260K) and 64 and 2, 3,
// 4 and 8 bits. Each row holds 4 heads (stories260K's kv_dim is 4 x 8) and
// row t is read at head t % 4, so the calls end inside and at the row's end. Counters: elements/s of the build's family and
// vs_ref, the reference kernels' time over the family's, measured
// interleaved in the same iterations.
constexpr uint32_t kRows = 256;

void run_packed(benchmark::State& state, bool dot) {
  const auto hs = static_cast<uint32_t>(state.range(0));
  const auto bits = static_cast<uint32_t>(state.range(1));
  const uint32_t group = dot ? 1 : (hs < 32 ? hs : 32);
  const uint32_t kv_dim = 4 * hs, row_bytes = (kv_dim * bits + 7) / 8, pairs = kv_dim / group;
  std::mt19937 rng(9);
  std::normal_distribution<float> d;
  std::vector<uint8_t> codes(size_t{kRows} * row_bytes);
  std::vector<uint16_t> params(size_t{kRows} * pairs * 2);
  std::vector<float> q(hs), probs(kRows), out(kRows), acc(hs);
  for (auto& c : codes) c = static_cast<uint8_t>(rng());
  for (size_t i = 0; i < params.size(); i += 2) {
    params[i] = static_cast<uint16_t>(0x1800 + rng() % 0x1000);                     // 2^-9 .. 2^-5
    params[i + 1] = static_cast<uint16_t>((0x3000 + rng() % 0x400) | (rng() & 0x8000));  // +-(2^-3 .. 2^-2)
  }
  for (auto& v : q) v = d(rng);
  for (auto& v : probs) v = 1.f / kRows;
  auto pass = [&](bool reference) {
    PackedRow r;
    r.bits = bits;
    r.group = group;
    const double t0 = thread_seconds();
    for (uint32_t t = 0; t < kRows; ++t) {
      r.codes = codes.data() + size_t{t} * row_bytes;
      r.params = params.data() + size_t{t} * pairs * 2;
      if (dot)
        out[t] = reference ? ref::dot_f32_packed(q.data(), r, t % 4 * hs, hs)
                           : kernels::dot_f32_packed(q.data(), r, t % 4 * hs, hs);
      else if (reference)
        ref::axpy_f32_packed(acc.data(), probs[t], r, t % 4 * hs, hs);
      else
        kernels::axpy_f32_packed(acc.data(), probs[t], r, t % 4 * hs, hs);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(acc.data());
    benchmark::ClobberMemory();
    return thread_seconds() - t0;
  };
  double t_ref = 0, t_family = 0;
  for (auto _ : state) {
    t_ref += pass(true);
    const double dt = pass(false);
    t_family += dt;
    state.SetIterationTime(dt);
  }
  state.counters["elements/s"] =
      benchmark::Counter(double(kRows) * hs, benchmark::Counter::kIsIterationInvariantRate);
  if (t_family > 0) state.counters["vs_ref"] = t_ref / t_family;
}

void BM_PackedDot(benchmark::State& state) { run_packed(state, true); }
void BM_PackedAxpy(benchmark::State& state) { run_packed(state, false); }
BENCHMARK(BM_PackedDot)->ArgNames({"hs", "bits"})->ArgsProduct({{8, 64}, {2, 3, 4, 8}})
    ->UseManualTime();
BENCHMARK(BM_PackedAxpy)->ArgNames({"hs", "bits"})->ArgsProduct({{8, 64}, {2, 3, 4, 8}})
    ->UseManualTime();

// STREAM-like read bandwidth at sizes from L2 to DRAM, for comparison with
// the kernels' weight bytes/s.
void BM_MemoryRead(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  std::vector<uint64_t> buf(bytes / sizeof(uint64_t), 1);
  double bw = 0;
  for (auto _ : state) bw = read_bandwidth(buf.data(), bytes, 1);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  (void)bw;
}
BENCHMARK(BM_MemoryRead)->ArgName("bytes")->Arg(512 << 10)->Arg(16 << 20)->Arg(45 << 20)
    ->Arg(256 << 20)->Arg(int64_t{1} << 30);

// The instruction mixes of the kernels in registers only: how close the
// documented peak is to what this core delivers.
void BM_InstructionMixInt8(benchmark::State& state) {
  double ops = 0;
  for (auto _ : state) ops = measured_int8_mix_ops_per_s();
  if (ops == 0) state.SkipWithError("needs AVX2");
  state.counters["ops/s"] = ops;
  if (machine().int8_peak() > 0) state.counters["frac_peak"] = ops / machine().int8_peak();
}
BENCHMARK(BM_InstructionMixInt8)->Iterations(3);

void BM_InstructionMixF32(benchmark::State& state) {
  double ops = 0;
  for (auto _ : state) ops = measured_f32_mix_ops_per_s();
  if (ops == 0) state.SkipWithError("needs AVX2");
  state.counters["ops/s"] = ops;
  if (machine().f32_peak() > 0) state.counters["frac_peak"] = ops / machine().f32_peak();
}
BENCHMARK(BM_InstructionMixF32)->Iterations(3);

}  // namespace
}  // namespace bench
}  // namespace sinkq
