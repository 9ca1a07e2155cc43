// What the kernel figures are compared with: the core's int8 and fp32 peak
// (documented operations per cycle times the measured clock) and the memory
// bandwidth one core can read (a STREAM-like sum over a buffer much larger
// than the last-level cache). Host-only; single-threaded like the library.
#ifndef SINKQ_BENCH_MACHINE_H_
#define SINKQ_BENCH_MACHINE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace sinkq {
namespace bench {

struct Machine {
  double clock_hz = 0;           // measured: a chain of dependent integer adds
  double int8_ops_per_cycle = 0; // documented, for the best int8 instructions this CPU has
  double f32_ops_per_cycle = 0;  // documented, separate multiply and add (the library's order)
  std::string int8_basis;        // how the int8 figure follows from the instruction tables
  std::string f32_basis;
  double dram_read_bytes_per_s = 0;  // measured over kDramBufferBytes
  double int8_peak() const { return int8_ops_per_cycle * clock_hz; }  // ops/s
  double f32_peak() const { return f32_ops_per_cycle * clock_hz; }    // flop/s
};

// Four times the largest last-level cache seen on our machines (260 MiB).
constexpr size_t kDramBufferBytes = size_t{1} << 30;

// CPU time of the calling thread: on a shared machine, time spent waiting for
// a core is not charged to the code under test.
double thread_seconds();

// Measured once per process (about half a second).
const Machine& machine();

// Bytes per second of a read-only pass (sum of 64-bit words) over `bytes`.
double read_bandwidth(const uint64_t* p, size_t bytes, int passes);

// Operations per second of a register-only loop of the best int8 sequence
// the CPU has (vpdpbusd zmm with AVX-512 VNNI, else the sign trick: vpsignb,
// vpmaddubsw, vpmaddwd, vpaddd) or of separate vmulps and vaddps: what the instruction tables promise, checked on this core. 0 where
// AVX2 is missing.
double measured_int8_mix_ops_per_s();
double measured_f32_mix_ops_per_s();

}  // namespace bench
}  // namespace sinkq

#endif  // SINKQ_BENCH_MACHINE_H_
