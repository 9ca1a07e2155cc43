// The packed KV-cache kernels for AArch64 Advanced SIMD (the neon and
// neon-dotprod families): 8 elements at a time, the codes spread over the
// lanes by variable shifts (ushl by negative counts) or widened from bytes,
// their fp16 (scale, min) pairs converted by fcvtl (exact, like the
// reference's integer conversion), then float(code) * scale + min as a
// separate fmul and fadd. The dot product follows dot_f32's order (four
// accumulators, the documented tree, the tail in order), so every result
// equals the reference bit for bit. Fewer than 8 trailing elements are
// dequantized by the reference.
#include <string.h>

#include "neon_util.h"
#include "packed_blocks.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {
namespace {

// {scale, min} of 8 elements, 4 per vector, from 8 fp16 scales and 8 mins.
struct Pairs {
  float32x4_t scale[2], min[2];
};

inline Pairs convert(uint16x8_t scales, uint16x8_t mins) {
  Pairs p;
  p.scale[0] = vcvt_f32_f16(vreinterpret_f16_u16(vget_low_u16(scales)));
  p.scale[1] = vcvt_high_f32_f16(vreinterpretq_f16_u16(scales));
  p.min[0] = vcvt_f32_f16(vreinterpret_f16_u16(vget_low_u16(mins)));
  p.min[1] = vcvt_high_f32_f16(vreinterpretq_f16_u16(mins));
  return p;
}

class Unpacker {
 public:
  Unpacker(const PackedRow& r, uint32_t first, uint32_t n)
      : blocks_(r, first, first + n), params_(r.params), bits_(r.bits), group_(r.group) {
    const int32_t b = static_cast<int32_t>(r.bits);
    const int32_t lo[4] = {0, -b, -2 * b, -3 * b}, hi[4] = {-4 * b, -5 * b, -6 * b, -7 * b};
    shift_[0] = vld1q_s32(lo);
    shift_[1] = vld1q_s32(hi);
    mask_ = vdupq_n_u32((1u << r.bits) - 1u);
  }

  // Elements [e, e + 8) dequantized into x[0..1]; e advances by 8 from
  // `first` per call.
  void next(uint32_t e, float32x4_t x[2]) {
    const uint64_t w = blocks_.code_bits(e);
    uint32x4_t codes[2];
    if (bits_ == 8) {
      const uint16x8_t h = vmovl_u8(vcreate_u8(w));
      codes[0] = vmovl_u16(vget_low_u16(h));
      codes[1] = vmovl_high_u16(h);
    } else {  // 8 codes of at most 4 bits fit the low 32 bits
      const uint32x4_t v = vdupq_n_u32(static_cast<uint32_t>(w));
      codes[0] = vandq_u32(vshlq_u32(v, shift_[0]), mask_);
      codes[1] = vandq_u32(vshlq_u32(v, shift_[1]), mask_);
    }
    Pairs p;
    if (group_ == 1) {  // per channel: 8 consecutive pairs
      const uint16x8x2_t sm = vld2q_u16(params_ + 2 * size_t{e});
      p = convert(sm.val[0], sm.val[1]);
    } else if (blocks_.one_group()) {
      uint32_t pair;  // {scale, min} twice: {scale, min, scale, min}
      memcpy(&pair, params_ + 2 * size_t{blocks_.group_index()}, 4);
      const float32x4_t f = vcvt_f32_f16(vreinterpret_f16_u32(vdup_n_u32(pair)));
      p.scale[0] = p.scale[1] = vdupq_laneq_f32(f, 0);
      p.min[0] = p.min[1] = vdupq_laneq_f32(f, 1);
    } else {
      int32_t idx[8];
      blocks_.group_indices(idx);
      uint16_t s[8], m[8];
      for (uint32_t k = 0; k < 8; ++k) {
        s[k] = params_[2 * size_t(idx[k])];
        m[k] = params_[2 * size_t(idx[k]) + 1];
      }
      p = convert(vld1q_u16(s), vld1q_u16(m));
    }
    blocks_.next();
    for (uint32_t h = 0; h < 2; ++h)
      x[h] = vaddq_f32(vmulq_f32(vcvtq_f32_u32(codes[h]), p.scale[h]), p.min[h]);
  }

 private:
  kvq::PackedBlocks blocks_;
  const uint16_t* params_;
  uint32_t bits_, group_;
  int32x4_t shift_[2];
  uint32x4_t mask_;
};

}  // namespace

float dot_f32_packed(const float* a, const PackedRow& r, uint32_t first, uint32_t n) {
  if (n == 0) return 0.f;  // the reference's s[0] + s[1] of zeros
  Unpacker u(r, first, n);
  float32x4_t s[4] = {vdupq_n_f32(0.f), vdupq_n_f32(0.f), vdupq_n_f32(0.f), vdupq_n_f32(0.f)};
  const uint32_t body = n & ~15u;
  for (uint32_t j = 0; j < body; j += 16) {
    float32x4_t x[4];
    u.next(first + j, x);
    u.next(first + j + 8, x + 2);
    for (uint32_t q = 0; q < 4; ++q) s[q] = vaddq_f32(s[q], vmulq_f32(vld1q_f32(a + j + 4 * q), x[q]));
  }
  return kvq::dot_tail(body ? neon::reduce_partial_sums(s) : 0.f, a, r, first, body, n,
                       [&](uint32_t j, float out) {
                         float32x4_t x[2];
                         u.next(first + j, x);
                         for (uint32_t h = 0; h < 2; ++h) {
                           const float32x4_t p = vmulq_f32(vld1q_f32(a + j + 4 * h), x[h]);
                           out = out + vgetq_lane_f32(p, 0);
                           out = out + vgetq_lane_f32(p, 1);
                           out = out + vgetq_lane_f32(p, 2);
                           out = out + vgetq_lane_f32(p, 3);
                         }
                         return out;
                       });
}

void axpy_f32_packed(float* y, float a, const PackedRow& r, uint32_t first, uint32_t n) {
  if (n == 0) return;
  Unpacker u(r, first, n);
  const float32x4_t av = vdupq_n_f32(a);
  uint32_t j = 0;
  for (; j + 8 <= n; j += 8) {
    float32x4_t x[2];
    u.next(first + j, x);
    vst1q_f32(y + j, vaddq_f32(vld1q_f32(y + j), vmulq_f32(av, x[0])));
    vst1q_f32(y + j + 4, vaddq_f32(vld1q_f32(y + j + 4), vmulq_f32(av, x[1])));
  }
  if (j < n) kvq::tail_axpy(y + j, a, r, first + j, n - j);
}

void dequantize_packed_f32(const PackedRow& r, uint32_t first, uint32_t n, float* out) {
  if (n == 0) return;
  Unpacker u(r, first, n);
  uint32_t j = 0;
  for (; j + 8 <= n; j += 8) {
    float32x4_t x[2];
    u.next(first + j, x);
    vst1q_f32(out + j, x[0]);
    vst1q_f32(out + j + 4, x[1]);
  }
  if (j < n) ref::dequantize_packed_f32(r, first + j, n - j, out + j);
}

}  // namespace kernels
}  // namespace sinkq
