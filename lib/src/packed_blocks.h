// What the SIMD packed KV-cache kernels share: a PackedRow read in blocks of
// 8 consecutive elements. The bits of a block are at most 64 (8 codes of 8
// bits, or 8 of 3 bits plus the 7-bit offset of the first one), so one 64-bit
// little-endian load holds the block. Near the end of what the call reads,
// where the row may end (kv_quant.h: never read past the row), the load is
// moved back to end at the call's last byte, which still lies in the row.
#ifndef SINKQ_PACKED_BLOCKS_H_
#define SINKQ_PACKED_BLOCKS_H_

#include <stdint.h>
#include <string.h>

#include "sinkq/kernels.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the packed code streams are read with little-endian loads");

namespace sinkq {
namespace kvq {

class PackedBlocks {
 public:
  // Blocks of elements below `end` (first + n of the kernel's call).
  PackedBlocks(const PackedRow& r, uint32_t first, uint32_t end)
      : codes_(r.codes), bits_(r.bits), group_(r.group), bytes_((end * r.bits + 7) / 8),
        index_(first), offset_(0) {
    // Groups are powers of two in practice (1 for keys, 32 for values): no
    // division per call.
    if ((group_ & (group_ - 1)) == 0) {
      const uint32_t log2 = static_cast<uint32_t>(__builtin_ctz(group_));
      index_ = first >> log2;
      offset_ = first & (group_ - 1);
    } else {
      index_ = first / group_;
      offset_ = first % group_;
    }
  }

  // The codes of elements [e, e + 8) (e + 8 <= end), code e + k at bits
  // [k * bits, (k + 1) * bits) of the result.
  uint64_t code_bits(uint32_t e) const {
    const uint32_t bit = e * bits_, byte = bit >> 3, shift = bit & 7u;
    uint64_t w = 0;
    if (byte + 8 <= bytes_) {
      memcpy(&w, codes_ + byte, 8);
      return w >> shift;
    }
    if (bytes_ >= 8) {  // the 8 bytes ending at the last one: byte is 1..7 bytes in
      memcpy(&w, codes_ + bytes_ - 8, 8);
      return w >> (8 * (byte + 8 - bytes_) + shift);
    }
    // A call reading fewer than 8 bytes (a head of 8 elements at 2-4 bits).
    uint32_t v = 0;
    if (bytes_ >= 4 && byte + 4 >= bytes_) {
      memcpy(&v, codes_ + bytes_ - 4, 4);
      return v >> (8 * (byte + 4 - bytes_) + shift);
    }
    for (uint32_t i = byte; i < bytes_; ++i) w |= uint64_t{codes_[i]} << (8 * (i - byte));
    return w >> shift;
  }

  // The group of the block's first element and the element's place in it;
  // next() moves to the following block (the kernels walk the row in order).
  uint32_t group_index() const { return index_; }
  // All 8 elements in one group: one (scale, min) pair for the block.
  bool one_group() const { return offset_ + 8 <= group_; }
  // The group of each element of the block (group >= 2).
  void group_indices(int32_t idx[8]) const {
    uint32_t g = index_, o = offset_;
    for (uint32_t k = 0; k < 8; ++k) {
      idx[k] = static_cast<int32_t>(g);
      if (++o == group_) o = 0, ++g;
    }
  }
  void next() {
    if (group_ == 1) {  // per-channel keys: no division in the hot loop
      index_ += 8;
      return;
    }
    for (offset_ += 8; offset_ >= group_; offset_ -= group_) ++index_;
  }

 private:
  const uint8_t* codes_;
  uint32_t bits_, group_, bytes_;
  uint32_t index_, offset_;
};

// A dot product's tail, elements [body, n) of the call (fewer than 16), added
// to `out` one by one in order: the first 8 by the family's `add8(j, out)`
// (elements j..j+7, returning the new sum), the rest dequantized by the
// reference.
template <class Add8>
inline float dot_tail(float out, const float* a, const PackedRow& r, uint32_t first,
                      uint32_t body, uint32_t n, Add8 add8) {
  uint32_t j = body;
  if (n - j >= 8) {
    out = add8(j, out);
    j += 8;
  }
  if (j < n) {
    float x[8];
    ref::dequantize_packed_f32(r, first + j, n - j, x);
    for (uint32_t i = 0; i < n - j; ++i) out = out + a[j + i] * x[i];
  }
  return out;
}
// The last m < 8 elements of an axpy, from element `first`: y[i] += a * x[i].
inline void tail_axpy(float* y, float a, const PackedRow& r, uint32_t first, uint32_t m) {
  float x[8];
  ref::dequantize_packed_f32(r, first, m, x);
  for (uint32_t i = 0; i < m; ++i) y[i] = y[i] + a * x[i];
}

}  // namespace kvq
}  // namespace sinkq

#endif  // SINKQ_PACKED_BLOCKS_H_
