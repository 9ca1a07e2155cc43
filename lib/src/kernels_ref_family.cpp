// The "ref" kernel family: the reference kernels are the build's kernels.
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {

const char* family() { return "ref"; }

void gemm_f32(const float* W, const float* X, float* Y, uint32_t n, uint32_t rows,
              uint32_t cols) {
  ref::gemm_f32(W, X, Y, n, rows, cols);
}
void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
             uint32_t cols) {
  ref::gemm_s8(W, X, Y, n, rows, cols);
}
float dot_f32(const float* a, const float* b, uint32_t n) { return ref::dot_f32(a, b, n); }
void quantize_f32_s8(const float* x, int8_t* q, uint32_t n, float inv_scale) {
  ref::quantize_f32_s8(x, q, n, inv_scale);
}
float absmax_f32(const float* x, uint32_t n) { return ref::absmax_f32(x, n); }
void dequantize_s32_f32(const int32_t* acc, float* y, uint32_t n, float scale) {
  ref::dequantize_s32_f32(acc, y, n, scale);
}
void dequantize_s32_f32_ch(const int32_t* acc, float* y, uint32_t n, float scale,
                           const float* ch) {
  ref::dequantize_s32_f32_ch(acc, y, n, scale, ch);
}
void requantize_s32_s8(const int32_t* acc, int8_t* out, uint32_t n, FixedPointMultiplier m) {
  ref::requantize_s32_s8(acc, out, n, m);
}

}  // namespace kernels
}  // namespace sinkq
