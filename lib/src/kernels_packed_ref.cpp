// The packed KV-cache kernels of the families that have no SIMD version of
// them yet: the reference, called directly.
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {

float dot_f32_packed(const float* a, const PackedRow& r, uint32_t first, uint32_t n) {
  return ref::dot_f32_packed(a, r, first, n);
}
void axpy_f32_packed(float* y, float a, const PackedRow& r, uint32_t first, uint32_t n) {
  ref::axpy_f32_packed(y, a, r, first, n);
}
void dequantize_packed_f32(const PackedRow& r, uint32_t first, uint32_t n, float* out) {
  ref::dequantize_packed_f32(r, first, n, out);
}

}  // namespace kernels
}  // namespace sinkq
