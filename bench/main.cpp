// sinkq_bench: Google Benchmark with the machine's peak and bandwidth, and the
// kernel family, in the context header, so every figure can be read as a
// fraction of what the core can do.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "machine.h"
#include "sinkq/kernels.h"

namespace {
std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
}  // namespace

int main(int argc, char** argv) {
  using sinkq::bench::machine;
  const auto& m = machine();
  benchmark::AddCustomContext("sinkq_kernel_family", sinkq::kernels::family());
  benchmark::AddCustomContext("clock_ghz_measured", fmt("%.3f", m.clock_hz * 1e-9));
  benchmark::AddCustomContext("int8_peak_gops_per_core", fmt("%.1f", m.int8_peak() * 1e-9));
  benchmark::AddCustomContext("int8_peak_basis", m.int8_basis.empty() ? "unknown" : m.int8_basis);
  benchmark::AddCustomContext("f32_peak_gflops_per_core", fmt("%.1f", m.f32_peak() * 1e-9));
  benchmark::AddCustomContext("f32_peak_basis", m.f32_basis.empty() ? "unknown" : m.f32_basis);
  benchmark::AddCustomContext("dram_read_gbs_measured_one_core",
                              fmt("%.2f", m.dram_read_bytes_per_s * 1e-9));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
