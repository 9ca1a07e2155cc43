// Float GEMM and dot product for Armv7-A: on VFP, not NEON. Armv7 NEON float
// arithmetic always flushes denormal inputs and results to zero (it ignores
// FPSCR.FZ), while VFP follows IEEE 754 with FZ clear, as Linux leaves it. A
// NEON dot product would therefore differ from the reference whenever a
// product or partial sum is denormal, and sinkq promises the same floats on
// every target. GCC does not auto-vectorize float code onto NEON without
// -funsafe-math-optimizations, so the reference compiled for this target runs
// on VFP in the documented order.
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {

void gemm_f32(const float* W, const float* X, float* Y, uint32_t n, uint32_t rows,
              uint32_t cols) {
  ref::gemm_f32(W, X, Y, n, rows, cols);
}

float dot_f32(const float* a, const float* b, uint32_t n) { return ref::dot_f32(a, b, n); }

}  // namespace kernels
}  // namespace sinkq
