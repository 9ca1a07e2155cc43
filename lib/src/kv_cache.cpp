#include "kv_cache.h"

#include <string.h>

#include "kv_quant.h"
#include "mathx.h"
#include "sinkq/kernels.h"

namespace sinkq {

size_t kv_bytes_per_token(uint32_t n_layers, uint32_t kv_dim, const KvOptions& o) {
  if (o.bits == 32) return size_t{n_layers} * kv_dim * 2 * sizeof(float);
  if (!kvq::valid_bits(o.bits) || o.key_block == 0 || o.value_group == 0) return 0;
  const size_t codes = 2 * size_t{kvq::row_bytes(kv_dim, o.bits)};
  const size_t value_params = size_t{kv_dim / o.value_group} * 2 * sizeof(uint16_t);
  // One key (scale, min) per channel per block, spread over its tokens.
  const size_t key_params = (size_t{kv_dim} * 2 * sizeof(uint16_t) + o.key_block - 1) / o.key_block;
  return n_layers * (codes + value_params + key_params);
}

namespace {
void axpy(float* out, float a, const float* v, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) out[i] = out[i] + a * v[i];
}
}  // namespace

Status KvCache::check(const Model& m, const KvOptions& o) {
  const ModelConfig& c = m.config();
  if (o.bits != 32) {
    if (!kvq::valid_bits(o.bits) || o.key_block == 0 || o.key_block > kMaxKeyBlock ||
        o.value_group == 0 || c.kv_dim % o.value_group != 0)
      return Status::kInvalidArgument;
  }
  if (o.sink_slots > kMaxSinkSlots) return Status::kInvalidArgument;
  switch (o.sinks) {
    case SinkPolicy::kNone:
      return Status::kOk;
    case SinkPolicy::kPreserveFirstN:
      return o.preserve_first > 0 && o.sink_slots > 0 ? Status::kOk : Status::kInvalidArgument;
    case SinkPolicy::kKvSink: {
      if (o.sink_slots == 0) return Status::kInvalidArgument;
      SinkPredictor p;
      return SinkPredictor::from_model(m, &p);
    }
  }
  return Status::kInvalidArgument;
}

uint32_t KvCache::max_window(const KvOptions& o, uint32_t ctx, uint32_t batch, uint32_t cushion) {
  const uint32_t ring = o.bits == 32 || o.key_block == 0 ? ctx : ctx - ctx % o.key_block;
  const uint32_t slots = o.sink_slots + cushion;
  if (ring < batch || slots >= ctx) return 0;
  const uint32_t w = ring - batch + 1;
  return w < ctx - slots ? w : ctx - slots;
}

void KvCache::plan_store(const Model& m, const KvOptions& o, uint32_t ctx, uint32_t batch,
                         uint32_t window, ArenaPlanner* a) {
  const ModelConfig& c = m.config();
  opt_ = o;
  layers_ = c.n_layers;
  dim_ = c.dim;
  kv_dim_ = c.kv_dim;
  hs_ = c.head_size;
  ctx_ = ctx;
  window_ = window;
  ring_rows_ = ctx;
  stage_layers_ = 0;
  if (o.sinks == SinkPolicy::kKvSink && SinkPredictor::from_model(m, &predictor_) == Status::kOk)
    stage_layers_ = predictor_.layer + 1;

  const uint64_t cells = uint64_t{layers_} * ctx * kv_dim_;
  if (o.bits == 32) {
    key_cache_ = a->take<float>(cells);
    value_cache_ = a->take<float>(cells);
  } else {
    row_bytes_ = kvq::row_bytes(kv_dim_, o.bits);
    blocks_ = (ctx + o.key_block - 1) / o.key_block;
    ring_blocks_ = blocks_;
    if (window > 0) {
      // Whole key blocks, so a block never wraps around the ring.
      ring_rows_ = ctx - ctx % o.key_block;
      ring_blocks_ = ring_rows_ / o.key_block;
    }
    value_groups_ = kv_dim_ / o.value_group;
    const uint64_t rows = uint64_t{layers_} * ctx;
    key_codes_ = a->take<uint8_t>(rows * row_bytes_);
    value_codes_ = a->take<uint8_t>(rows * row_bytes_);
    key_params_ = a->take<uint16_t>(uint64_t{layers_} * blocks_ * kv_dim_ * 2);
    value_params_ = a->take<uint16_t>(rows * value_groups_ * 2);
    // A forward call of `batch` rows may start anywhere in a block and span
    // several; each of its queries reads the keys of its own block from the
    // residual, so the ring holds every block a call can touch.
    residual_rows_ = (2 * o.key_block + batch - 2) / o.key_block * o.key_block;
    key_residual_ = a->take<float>(uint64_t{layers_} * residual_rows_ * kv_dim_);
    key_blocks_done_ = a->take<uint32_t>(layers_);
    skip_ = a->take<uint8_t>(o.key_block);
    scratch_ = a->take<float>(kv_dim_);
  }
  stage_k_ = a->take<float>(uint64_t{batch} * stage_layers_ * kv_dim_);
  stage_v_ = a->take<float>(uint64_t{batch} * stage_layers_ * kv_dim_);
}

void KvCache::plan_table(ArenaPlanner* a, uint32_t cushion) {
  const uint32_t slots = cushion + opt_.sink_slots;
  table_.plan(a, slots, layers_, kv_dim_, ctx_, cushion);
  shift_cos_ = a->take<float>(uint64_t{slots} * (hs_ / 2));
  shift_sin_ = a->take<float>(uint64_t{slots} * (hs_ / 2));
}

void KvCache::init(const float* rope_cos, const float* rope_sin, const double* freq,
                   float* qrot) {
  rope_cos_ = rope_cos;
  rope_sin_ = rope_sin;
  freq_ = freq;
  qrot_ = qrot;
  table_.init();
  reset();
}

void KvCache::reset() {
  table_.clear();
  stage_n_ = 0;
  for (uint32_t l = 0; key_blocks_done_ && l < layers_; ++l) key_blocks_done_[l] = 0;
}

void KvCache::rotate(float* x, uint32_t n, uint32_t pos, bool inverse) const {
  const uint32_t half = hs_ / 2;
  for (uint32_t i = 0; i < n; i += 2) {
    const uint32_t j = (i % hs_) / 2;
    const size_t at = size_t{pos % ctx_} * half + j;
    const float c = rope_cos_[at];
    const float s = inverse ? -rope_sin_[at] : rope_sin_[at];
    const float a = x[i], b = x[i + 1];
    x[i] = a * c - b * s;
    x[i + 1] = a * s + b * c;
  }
}

const float* KvCache::fp32_row(uint32_t l, uint32_t pos, bool key) const {
  const uint8_t s = table_.slot_of(pos);
  if (s != SinkTable::kNoSlot) return key ? table_.key(s, l) : table_.value(s, l);
  if (l < stage_layers_ && pos - stage_first_ < stage_n_)
    return (key ? stage_k_ : stage_v_) + (size_t{pos - stage_first_} * stage_layers_ + l) * kv_dim_;
  if (opt_.bits == 32)
    return (key ? key_cache_ : value_cache_) + (size_t{l} * ctx_ + pos % ring_rows_) * kv_dim_;
  return nullptr;
}

void KvCache::put(uint32_t l, uint32_t row, uint32_t pos, const float* k, const float* v) {
  if (l == 0) {
    if (opt_.sinks == SinkPolicy::kPreserveFirstN && pos < opt_.preserve_first &&
        table_.slot_of(pos) == SinkTable::kNoSlot)
      table_.acquire(pos);  // refused when full: the token is quantized
    if (stage_layers_ > 0) {
      stage_first_ = pos - row;
      stage_n_ = row + 1;
    }
  }
  if (l < stage_layers_) {
    memcpy(stage_k_ + (size_t{row} * stage_layers_ + l) * kv_dim_, k, kv_dim_ * sizeof(float));
    memcpy(stage_v_ + (size_t{row} * stage_layers_ + l) * kv_dim_, v, kv_dim_ * sizeof(float));
    return;
  }
  commit(l, pos, k, v);
}

void KvCache::after_layer(uint32_t l, const float* x, uint32_t n, uint32_t first_pos) {
  if (l + 1 != stage_layers_) return;
  for (uint32_t t = 0; t < n; ++t) {
    const uint32_t pos = first_pos + t;
    if (table_.slot_of(pos) == SinkTable::kNoSlot && predictor_.strength(x + size_t{t} * dim_) > 1.f)
      table_.acquire(pos);  // refused when full: the token is quantized
  }
  for (uint32_t sl = 0; sl < stage_layers_; ++sl)
    for (uint32_t t = 0; t < n; ++t)
      commit(sl, first_pos + t, stage_k_ + (size_t{t} * stage_layers_ + sl) * kv_dim_,
             stage_v_ + (size_t{t} * stage_layers_ + sl) * kv_dim_);
  stage_n_ = 0;
}

void KvCache::commit(uint32_t l, uint32_t pos, const float* k, const float* v) {
  const bool packed = opt_.bits != 32;
  const uint32_t block = packed ? pos / opt_.key_block : 0;
  // Blocks this position has moved past were left open only by positions that
  // were never committed here (pinned ones); close them before their residual
  // rows are reused.
  while (packed && key_blocks_done_[l] < block) quantize_key_block(l, key_blocks_done_[l]++);

  const uint8_t s = table_.slot_of(pos);
  if (s != SinkTable::kNoSlot) {
    // A pinned token's K/V is the external one; it is never overwritten.
    if (!table_.pinned(s)) {
      memcpy(table_.owned_key(s, l), k, kv_dim_ * sizeof(float));
      memcpy(table_.owned_value(s, l), v, kv_dim_ * sizeof(float));
    }
  } else if (!packed) {
    const size_t at = (size_t{l} * ctx_ + pos % ring_rows_) * kv_dim_;
    memcpy(key_cache_ + at, k, kv_dim_ * sizeof(float));
    memcpy(value_cache_ + at, v, kv_dim_ * sizeof(float));
  } else {
    const size_t row = size_t{l} * ctx_ + pos % ring_rows_;
    kvq::quantize_row(v, kv_dim_, opt_.value_group, opt_.bits, value_codes_ + row * row_bytes_,
                      value_params_ + row * value_groups_ * 2);
    float* r = residual_row(l, pos);
    memcpy(r, k, kv_dim_ * sizeof(float));
    if (opt_.key_pre_rope) rotate(r, kv_dim_, pos, true);
  }
  if (packed && pos % opt_.key_block == opt_.key_block - 1) quantize_key_block(l, key_blocks_done_[l]++);
}

void KvCache::quantize_key_block(uint32_t l, uint32_t block) {
  const uint32_t first = block * opt_.key_block;
  // Without a window the last block may be cut short by the context; with
  // one, the ring holds whole blocks.
  const uint32_t rows = window_ == 0 && ctx_ - first < opt_.key_block ? ctx_ - first : opt_.key_block;
  for (uint32_t j = 0; j < rows; ++j) skip_[j] = table_.slot_of(first + j) != SinkTable::kNoSlot;
  kvq::quantize_columns(residual_row(l, first), rows, kv_dim_, skip_, opt_.bits,
                        key_codes_ + (size_t{l} * ctx_ + first % ring_rows_) * row_bytes_,
                        key_params_ + (size_t{l} * blocks_ + block % ring_blocks_) * kv_dim_ * 2);
}

void KvCache::visible(uint32_t pos, KvView* v) const {
  v->pos = pos;
  v->first = window_ > 0 && pos >= window_ ? pos - window_ + 1 : 0;
  v->sinks = 0;
  if (v->first == 0) return;
  // Table entries before the window, in position order (at most 64: insertion).
  for (uint32_t s = 0; s < table_.slots(); ++s) {
    if (!table_.in_use(s) || table_.position(s) >= v->first) continue;
    const uint32_t p = table_.position(s);
    uint32_t i = v->sinks++;
    for (; i > 0 && v->position[i - 1] > p; --i) {
      v->position[i] = v->position[i - 1];
      v->slot[i] = v->slot[i - 1];
    }
    v->position[i] = p;
    v->slot[i] = static_cast<uint8_t>(s);
  }
}

void KvCache::view(uint32_t pos, KvView* v) {
  visible(pos, v);
  // Sink i (original position s) sits at first - sinks + i: the query is
  // rotated back by that shift, computed in double like the RoPE table.
  const uint32_t half = hs_ / 2;
  for (uint32_t i = 0; i < v->sinks; ++i) {
    const uint32_t shift = v->first - v->sinks + i - v->position[i];
    for (uint32_t j = 0; j < half; ++j) {
      double sn, cs;
      mathx::sincos_d(shift * freq_[j], &sn, &cs);
      shift_cos_[size_t{i} * half + j] = static_cast<float>(cs);
      shift_sin_[size_t{i} * half + j] = static_cast<float>(sn);
    }
  }
}

void KvCache::scores(uint32_t l, uint32_t kvh, const float* q, const KvView& v, float* out) {
  const uint32_t off = kvh * hs_, half = hs_ / 2;
  for (uint32_t i = 0; i < v.sinks; ++i) {
    const float* c = shift_cos_ + size_t{i} * half;
    const float* s = shift_sin_ + size_t{i} * half;
    for (uint32_t j = 0; j < half; ++j) {  // R(-shift) q
      const float a = q[2 * j], b = q[2 * j + 1];
      qrot_[2 * j] = a * c[j] + b * s[j];
      qrot_[2 * j + 1] = b * c[j] - a * s[j];
    }
    *out++ = kernels::dot_f32(qrot_, table_.key(v.slot[i], l) + off, hs_);
  }
  // Keys of the query's own block come from the residual even when a later
  // row of the same forward call has completed the block: what a token reads
  // depends on positions only, not on how the tokens were batched.
  const uint32_t own_block = opt_.bits == 32 ? 0 : v.pos / opt_.key_block;
  for (uint32_t p = v.first; p <= v.pos; ++p, ++out) {
    if (const float* k = fp32_row(l, p, true)) {
      *out = kernels::dot_f32(q, k + off, hs_);
      continue;
    }
    const uint32_t block = p / opt_.key_block;
    if (block < key_blocks_done_[l] && block < own_block) {
      PackedRow r;
      r.codes = key_codes_ + (size_t{l} * ctx_ + p % ring_rows_) * row_bytes_;
      r.params = key_params_ + (size_t{l} * blocks_ + block % ring_blocks_) * kv_dim_ * 2;
      r.bits = opt_.bits;
      r.group = 1;  // per channel
      if (!opt_.key_pre_rope) {
        *out = kernels::dot_f32_packed(q, r, off, hs_);
        continue;
      }
      kernels::dequantize_packed_f32(r, off, hs_, scratch_);
    } else {
      const float* res = residual_row(l, p);
      if (!opt_.key_pre_rope) {
        *out = kernels::dot_f32(q, res + off, hs_);
        continue;
      }
      memcpy(scratch_, res + off, hs_ * sizeof(float));
    }
    rotate(scratch_, hs_, p, false);
    *out = kernels::dot_f32(q, scratch_, hs_);
  }
}

void KvCache::mix(uint32_t l, uint32_t kvh, const float* probs, const KvView& v, float* out) {
  const uint32_t off = kvh * hs_;
  for (uint32_t i = 0; i < v.sinks; ++i) axpy(out, *probs++, table_.value(v.slot[i], l) + off, hs_);
  for (uint32_t p = v.first; p <= v.pos; ++p, ++probs) {
    if (const float* val = fp32_row(l, p, false)) {
      axpy(out, *probs, val + off, hs_);
      continue;
    }
    const size_t row = size_t{l} * ctx_ + p % ring_rows_;
    PackedRow r;
    r.codes = value_codes_ + row * row_bytes_;
    r.params = value_params_ + row * value_groups_ * 2;
    r.bits = opt_.bits;
    r.group = opt_.value_group;
    kernels::axpy_f32_packed(out, *probs, r, off, hs_);
  }
}

}  // namespace sinkq
