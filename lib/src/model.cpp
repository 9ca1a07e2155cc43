#include "sinkq/model.h"

#include <string.h>

#include "mathx.h"
#include "sink_predictor.h"
#include "sinkq/quant.h"

namespace sinkq {

using namespace format;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the .sqm format is little-endian and read in place");

namespace {

constexpr uint32_t kMaxSections = 64;
constexpr uint32_t kMaxTensors = 8192;

bool all_zero(const uint32_t* v, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (v[i] != 0) return false;
  return true;
}

// a + b <= limit without overflow.
bool fits(uint64_t a, uint64_t b, uint64_t limit) { return a <= limit && b <= limit - a; }

bool is_per_layer(uint32_t kind) {
  switch (kind) {
    case kTokenEmbedding:
    case kRmsFinal:
    case kWcls:
      return false;
    default:
      return true;
  }
}

bool is_matrix(uint32_t kind) {
  switch (kind) {
    case kTokenEmbedding:
    case kWq:
    case kWk:
    case kWv:
    case kWo:
    case kW1:
    case kW2:
    case kW3:
    case kWcls:
      return true;
    default:
      return false;
  }
}

// Expected [rows, cols] of a tensor kind (cols == 0 for vectors).
void expected_shape(const ModelConfig& c, uint32_t kind, uint32_t* rows, uint32_t* cols) {
  *cols = c.dim;
  switch (kind) {
    case kTokenEmbedding: *rows = c.vocab_size; break;
    case kWcls: *rows = c.vocab_size; break;
    case kWq: *rows = c.dim; break;
    case kWo: *rows = c.dim; break;
    case kWk:
    case kWv: *rows = c.kv_dim; break;
    case kW1:
    case kW3: *rows = c.hidden_dim; break;
    case kW2: *rows = c.dim; *cols = c.hidden_dim; break;
    default: *rows = c.dim; *cols = 0; break;  // norm vectors
  }
}

Status validate_config(const uint8_t* p, uint64_t size, uint32_t version, ModelConfig* out) {
  if (version != 1 || size < sizeof(ConfigSection)) return Status::kBadConfig;
  ConfigSection c;
  memcpy(&c, p, sizeof c);
  if (c.arch != kArchLlama || !all_zero(c.reserved, 3)) return Status::kBadConfig;
  if (c.dim == 0 || c.dim > kMaxDim || c.hidden_dim == 0 || c.hidden_dim > 4 * kMaxDim ||
      c.n_layers == 0 || c.n_layers > kMaxLayers || c.n_heads == 0 || c.n_kv_heads == 0 ||
      c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0 || c.dim % c.n_heads != 0 ||
      (c.dim / c.n_heads) % 2 != 0 || c.vocab_size < 3 || c.vocab_size > kMaxVocab ||
      c.max_seq_len == 0 || c.max_seq_len > kMaxSeqLen)
    return Status::kBadConfig;
  if (!mathx::is_finite(c.rope_theta) || !(c.rope_theta > 1.f) ||
      !mathx::is_finite(c.norm_eps) || !(c.norm_eps > 0.f) || !(c.norm_eps < 1.f))
    return Status::kBadConfig;
  if (c.shared_classifier > 1 || c.bos_id >= c.vocab_size || c.eos_id >= c.vocab_size)
    return Status::kBadConfig;
  out->dim = c.dim;
  out->hidden_dim = c.hidden_dim;
  out->n_layers = c.n_layers;
  out->n_heads = c.n_heads;
  out->n_kv_heads = c.n_kv_heads;
  out->vocab_size = c.vocab_size;
  out->max_seq_len = c.max_seq_len;
  out->head_size = c.dim / c.n_heads;
  out->kv_dim = out->head_size * c.n_kv_heads;
  out->rope_theta = c.rope_theta;
  out->norm_eps = c.norm_eps;
  out->shared_classifier = c.shared_classifier != 0;
  out->bos_id = static_cast<int32_t>(c.bos_id);
  out->eos_id = static_cast<int32_t>(c.eos_id);
  return Status::kOk;
}

Status validate_values(const TensorEntry& e, const uint8_t* data) {
  if (e.dtype == kI8) {
    const int8_t* q = reinterpret_cast<const int8_t*>(data);
    for (uint64_t i = 0; i < e.size; ++i)
      if (q[i] == -128) return Status::kBadWeights;
  } else if (e.dtype == kF32) {
    const float* f = reinterpret_cast<const float*>(data);
    for (uint64_t i = 0; i < e.size / 4; ++i)
      if (!mathx::is_finite(f[i])) return Status::kNonFinite;
    // Like the per-tensor scale: a zero or negative scale is not a weight.
    if (e.kind == kChannelScales)
      for (uint64_t i = 0; i < e.size / 4; ++i)
        if (!(f[i] > 0.f)) return Status::kBadWeights;
  }
  return Status::kOk;
}

Status validate_tensors(const ModelConfig& c, const TensorEntry* t, uint32_t n,
                        const uint8_t* data, uint64_t data_size) {
  for (uint32_t i = 0; i < n; ++i) {
    const TensorEntry& e = t[i];
    if (e.kind == 0 || e.kind >= kTensorKindEnd || dtype_size(e.dtype) == 0 ||
        (e.ndim != 1 && e.ndim != 2) || !all_zero(e.reserved, 2))
      return Status::kBadTensorTable;
    // Channel scales belong to a matrix, global (embedding, classifier) or per layer.
    const bool layer_ok = e.kind == kChannelScales ? (e.layer == kNoLayer || e.layer < c.n_layers)
                          : is_per_layer(e.kind)   ? e.layer < c.n_layers
                                                   : e.layer == kNoLayer;
    if (!layer_ok) return Status::kBadTensorTable;
    uint64_t elems = 1;
    for (uint32_t d = 0; d < 4; ++d) {
      if (d < e.ndim) {
        if (e.shape[d] == 0 || e.shape[d] > kMaxVocab * 4) return Status::kBadTensorTable;
        elems *= e.shape[d];
      } else if (e.shape[d] != 0) {
        return Status::kBadTensorTable;
      }
    }
    if (e.size != elems * dtype_size(e.dtype)) return Status::kBadTensorTable;
    if (e.offset % kAlign != 0) return Status::kTensorMisaligned;
    if (!fits(e.offset, e.size, data_size)) return Status::kTensorOutOfRange;

    // Quantization metadata: only int8 matrices carry it.
    if (e.dtype == kI8) {
      if (!is_matrix(e.kind) || e.ndim != 2) return Status::kBadTensorTable;
      if (e.scale_tensor == kNoTensor) {
        if (!mathx::is_finite(e.scale) || !(e.scale > 0.f)) return Status::kBadWeights;
      } else {
        if (e.scale_tensor >= n || e.scale != 0.f) return Status::kBadTensorTable;
        const TensorEntry& s = t[e.scale_tensor];
        if (s.kind != kChannelScales || s.dtype != kF32 || s.ndim != 1 ||
            s.shape[0] != e.shape[0] || s.layer != e.layer)
          return Status::kBadTensorTable;
      }
    } else if (e.scale != 0.f || e.scale_tensor != kNoTensor) {
      return Status::kBadTensorTable;
    }
    if (e.kind == kChannelScales) {
      if (e.dtype != kF32 || e.ndim != 1) return Status::kBadTensorTable;
    } else if (is_matrix(e.kind)) {
      if (e.dtype == kI32 || e.dtype == kF16) return Status::kBadTensorTable;
      uint32_t rows, cols;
      expected_shape(c, e.kind, &rows, &cols);
      if (e.ndim != 2 || e.shape[0] != rows || e.shape[1] != cols)
        return Status::kTensorShapeMismatch;
    } else {
      if (e.dtype != kF32) return Status::kBadTensorTable;
      if (e.ndim != 1 || e.shape[0] != c.dim) return Status::kTensorShapeMismatch;
    }
    if (e.kind == kWcls && c.shared_classifier) return Status::kBadTensorTable;

    for (uint32_t j = 0; j < i; ++j) {
      const TensorEntry& o = t[j];
      if (o.kind == e.kind && o.layer == e.layer && o.dtype == e.dtype &&
          e.kind != kChannelScales)
        return Status::kBadTensorTable;
      if (e.offset < o.offset + o.size && o.offset < e.offset + e.size)
        return Status::kTensorOverlap;
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    Status s = validate_values(t[i], data + t[i].offset);
    if (s != Status::kOk) return s;
  }
  // Every required tensor is present in some precision.
  auto present = [&](uint32_t kind, uint32_t layer) {
    for (uint32_t i = 0; i < n; ++i)
      if (t[i].kind == kind && t[i].layer == layer) return true;
    return false;
  };
  if (!present(kTokenEmbedding, kNoLayer) || !present(kRmsFinal, kNoLayer))
    return Status::kMissingTensor;
  if (!c.shared_classifier && !present(kWcls, kNoLayer)) return Status::kMissingTensor;
  static constexpr uint32_t kPerLayer[] = {kRmsAtt, kWq, kWk, kWv, kWo, kRmsFfn, kW1, kW2, kW3};
  for (uint32_t l = 0; l < c.n_layers; ++l)
    for (uint32_t kind : kPerLayer)
      if (!present(kind, l)) return Status::kMissingTensor;
  return Status::kOk;
}

int compare_bytes(const char* a, uint32_t na, const char* b, uint32_t nb) {
  uint32_t m = na < nb ? na : nb;
  int r = memcmp(a, b, m);
  if (r != 0) return r;
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

Status validate_vocab(const ModelConfig& c, const uint8_t* p, uint64_t size, uint32_t version) {
  if (version != 1 || size < sizeof(VocabHeader)) return Status::kBadVocab;
  VocabHeader h;
  memcpy(&h, p, sizeof h);
  if (!all_zero(h.reserved, 9) || h.n_pieces != c.vocab_size || h.max_piece_len == 0 ||
      h.max_piece_len > kMaxPieceLen)
    return Status::kBadVocab;
  const uint64_t n = h.n_pieces;
  if (h.scores_offset % 4 || h.offsets_offset % 4 || h.sorted_offset % 4 ||
      !fits(h.scores_offset, 4 * n, size) || !fits(h.offsets_offset, 4 * (n + 1), size) ||
      !fits(h.sorted_offset, 4 * n, size) || !fits(h.bytes_offset, h.bytes_size, size))
    return Status::kBadVocab;
  const float* scores = reinterpret_cast<const float*>(p + h.scores_offset);
  const uint32_t* off = reinterpret_cast<const uint32_t*>(p + h.offsets_offset);
  const uint32_t* sorted = reinterpret_cast<const uint32_t*>(p + h.sorted_offset);
  const char* bytes = reinterpret_cast<const char*>(p + h.bytes_offset);
  if (off[0] != 0 || off[n] != h.bytes_size) return Status::kBadVocab;
  for (uint64_t i = 0; i < n; ++i) {
    if (off[i + 1] < off[i] || off[i + 1] - off[i] > h.max_piece_len) return Status::kBadVocab;
    if (!mathx::is_finite(scores[i])) return Status::kBadVocab;
    if (sorted[i] >= n) return Status::kBadVocab;
  }
  // The sort index must really be sorted, or binary search would silently
  // miss. Ordering by (text, id) strictly also proves it is a permutation (n
  // distinct ids below n) without scratch memory: an index that repeats one
  // id and leaves another out would hide that other piece from lookups.
  for (uint64_t i = 1; i < n; ++i) {
    uint32_t a = sorted[i - 1], b = sorted[i];
    const int c = compare_bytes(bytes + off[a], off[a + 1] - off[a], bytes + off[b], off[b + 1] - off[b]);
    if (c > 0 || (c == 0 && a >= b)) return Status::kBadVocab;
  }
  return Status::kOk;
}

// Static activation scales: [n_layers][kSitesPerLayer] + classifier, finite, > 0.
Status validate_act_quant(const ModelConfig& c, const uint8_t* p, uint64_t size,
                          uint32_t version, const float** scales) {
  if (version != 1 || size < sizeof(ActQuantHeader)) return Status::kBadQuantSection;
  ActQuantHeader h;
  memcpy(&h, p, sizeof h);
  const uint64_t count = uint64_t{c.n_layers} * kSitesPerLayer + 1;
  if (h.n_layers != c.n_layers || h.sites_per_layer != kSitesPerLayer ||
      !all_zero(h.reserved, 10) || size != sizeof h + 4 * count)
    return Status::kBadQuantSection;
  const float* s = reinterpret_cast<const float*>(p + sizeof h);
  for (uint64_t i = 0; i < count; ++i)
    if (!mathx::is_finite(s[i]) || !(s[i] > 0.f)) return Status::kBadQuantSection;
  *scales = s;
  return Status::kOk;
}

// The prefix cushion: shape against the config, token ids, finite K/V.
Status validate_cushion(const ModelConfig& c, const uint8_t* p, uint64_t size, uint32_t version) {
  if (version != 1 || size < sizeof(CushionHeader)) return Status::kBadCushion;
  CushionHeader h;
  memcpy(&h, p, sizeof h);
  if (!all_zero(h.reserved, 11) || h.tuned > 1) return Status::kBadCushion;
  if (h.n_layers != c.n_layers || h.kv_dim != c.kv_dim || h.length == 0 ||
      h.length > kMaxCushion || h.length >= c.max_seq_len)
    return Status::kCushionShapeMismatch;
  const uint64_t floats = uint64_t{h.n_layers} * h.length * h.kv_dim;
  if (h.kv_offset != cushion_kv_offset(h.length) || size != h.kv_offset + 2 * 4 * floats)
    return Status::kBadCushion;
  const int32_t* tokens = reinterpret_cast<const int32_t*>(p + sizeof h);
  for (uint32_t i = 0; i < h.length; ++i)
    if (tokens[i] < 0 || static_cast<uint32_t>(tokens[i]) >= c.vocab_size)
      return Status::kCushionBadToken;
  for (uint32_t i = sizeof h + 4 * h.length; i < h.kv_offset; ++i)
    if (p[i] != 0) return Status::kBadCushion;
  const float* kv = reinterpret_cast<const float*>(p + h.kv_offset);
  for (uint64_t i = 0; i < 2 * floats; ++i)
    if (!mathx::is_finite(kv[i])) return Status::kCushionNonFinite;
  return Status::kOk;
}

}  // namespace

Status Model::load(const void* bytes, size_t size, Model* out, const LoadOptions& options) {
  if (bytes == nullptr || out == nullptr) return Status::kInvalidArgument;
  *out = Model();
  if (reinterpret_cast<uintptr_t>(bytes) % kAlign != 0) return Status::kMisalignedBuffer;
  const uint8_t* base = static_cast<const uint8_t*>(bytes);
  if (size < sizeof(FileHeader)) return Status::kTruncated;
  FileHeader h;
  memcpy(&h, base, sizeof h);
  if (memcmp(h.magic, kMagic, sizeof kMagic) != 0) return Status::kBadMagic;
  if (h.version != kVersion) return Status::kUnsupportedVersion;
  if (h.header_size != sizeof(FileHeader) || !all_zero(h.reserved, 8)) return Status::kBadHeader;
  if (h.file_size > size) return Status::kTruncated;
  if (h.file_size != size) return Status::kSizeMismatch;
  if (h.section_count == 0 || h.section_count > kMaxSections ||
      sizeof(FileHeader) + uint64_t{h.section_count} * sizeof(SectionEntry) > h.file_size)
    return Status::kBadSectionTable;
  if (options.verify_checksum &&
      crc32(base + sizeof(FileHeader), h.file_size - sizeof(FileHeader)) != h.checksum)
    return Status::kChecksumMismatch;

  const SectionEntry* sec = reinterpret_cast<const SectionEntry*>(base + sizeof(FileHeader));
  const uint64_t table_end = sizeof(FileHeader) + uint64_t{h.section_count} * sizeof(SectionEntry);
  for (uint32_t i = 0; i < h.section_count; ++i) {
    const SectionEntry& s = sec[i];
    if (s.offset % kAlign != 0 || s.offset < table_end || !fits(s.offset, s.size, h.file_size) ||
        s.reserved != 0)
      return Status::kBadSectionTable;
    for (uint32_t j = 0; j < i; ++j) {
      if (sec[j].kind == s.kind) return Status::kBadSectionTable;
      if (s.offset < sec[j].offset + sec[j].size && sec[j].offset < s.offset + s.size)
        return Status::kBadSectionTable;
    }
  }
  Model m;
  m.base_ = base;
  m.size_ = size;
  m.sections_ = sec;
  m.n_sections_ = h.section_count;

  const uint8_t *cfg, *table, *data, *vocab;
  uint64_t cfg_size, table_size, data_size, vocab_size;
  uint32_t cfg_ver, table_ver, data_ver, vocab_ver;
  if (!m.section(kSectionConfig, &cfg, &cfg_size, &cfg_ver) ||
      !m.section(kSectionTensorTable, &table, &table_size, &table_ver) ||
      !m.section(kSectionTensorData, &data, &data_size, &data_ver) ||
      !m.section(kSectionVocab, &vocab, &vocab_size, &vocab_ver))
    return Status::kMissingSection;

  Status st = validate_config(cfg, cfg_size, cfg_ver, &m.config_);
  if (st != Status::kOk) return st;

  if (table_ver != 1 || data_ver != 1 || table_size < sizeof(TensorTableHeader))
    return Status::kBadTensorTable;
  TensorTableHeader th;
  memcpy(&th, table, sizeof th);
  if (th.count == 0 || th.count > kMaxTensors || !all_zero(th.reserved, 15) ||
      table_size != sizeof th + uint64_t{th.count} * sizeof(TensorEntry))
    return Status::kBadTensorTable;
  m.tensors_ = reinterpret_cast<const TensorEntry*>(table + sizeof th);
  m.n_tensors_ = th.count;
  m.tensor_data_ = data;
  st = validate_tensors(m.config_, m.tensors_, m.n_tensors_, data, data_size);
  if (st != Status::kOk) return st;

  st = validate_vocab(m.config_, vocab, vocab_size, vocab_ver);
  if (st != Status::kOk) return st;

  const uint8_t* aq;
  uint64_t aq_size;
  uint32_t aq_ver;
  if (m.section(kSectionActQuant, &aq, &aq_size, &aq_ver)) {
    st = validate_act_quant(m.config_, aq, aq_size, aq_ver, &m.act_scales_);
    if (st != Status::kOk) return st;
  }

  const uint8_t* sinks;
  uint64_t sinks_size;
  uint32_t sinks_ver;
  if (m.section(kSectionSinkPredictor, &sinks, &sinks_size, &sinks_ver)) {
    st = validate_sink_predictor(m.config_, sinks, sinks_size, sinks_ver);
    if (st != Status::kOk) return st;
  }

  const uint8_t* cushion;
  uint64_t cushion_size;
  uint32_t cushion_ver;
  if (m.section(kSectionCushion, &cushion, &cushion_size, &cushion_ver)) {
    st = validate_cushion(m.config_, cushion, cushion_size, cushion_ver);
    if (st != Status::kOk) return st;
    CushionHeader ch;
    memcpy(&ch, cushion, sizeof ch);
    m.cushion_len_ = ch.length;
    m.cushion_tokens_ = reinterpret_cast<const int32_t*>(cushion + sizeof ch);
    m.cushion_k_ = reinterpret_cast<const float*>(cushion + ch.kv_offset);
    m.cushion_v_ = m.cushion_k_ + uint64_t{ch.n_layers} * ch.length * ch.kv_dim;
  }

  *out = m;
  return Status::kOk;
}

bool Model::section(uint32_t kind, const uint8_t** data, uint64_t* size, uint32_t* version) const {
  for (uint32_t i = 0; i < n_sections_; ++i) {
    if (sections_[i].kind == kind) {
      *data = base_ + sections_[i].offset;
      *size = sections_[i].size;
      if (version) *version = sections_[i].version;
      return true;
    }
  }
  return false;
}

const TensorEntry* Model::find(uint32_t kind, uint32_t layer, uint32_t dtype) const {
  for (uint32_t i = 0; i < n_tensors_; ++i) {
    const TensorEntry& e = tensors_[i];
    if (e.kind == kind && e.layer == layer && e.dtype == dtype) return &e;
  }
  return nullptr;
}

const float* Model::norm(uint32_t kind, uint32_t layer) const {
  const TensorEntry* e = find(kind, layer, kF32);
  return e ? static_cast<const float*>(tensor_data(*e)) : nullptr;
}

Matrix Model::matrix(uint32_t kind, uint32_t layer, uint32_t dtype) const {
  Matrix m;
  const TensorEntry* e = find(kind, layer, dtype);
  if (e == nullptr) return m;
  m.rows = e->shape[0];
  m.cols = e->shape[1];
  if (dtype == kF32) {
    m.f32 = static_cast<const float*>(tensor_data(*e));
  } else if (dtype == kI8) {
    m.i8 = static_cast<const int8_t*>(tensor_data(*e));
    m.scale = e->scale;
    if (e->scale_tensor != kNoTensor)
      m.channel_scales = static_cast<const float*>(tensor_data(tensors_[e->scale_tensor]));
  }
  return m;
}

Matrix Model::classifier(uint32_t dtype) const {
  return config_.shared_classifier ? matrix(kTokenEmbedding, kNoLayer, dtype)
                                   : matrix(kWcls, kNoLayer, dtype);
}

Matrix Model::embedding(uint32_t dtype) const { return matrix(kTokenEmbedding, kNoLayer, dtype); }

}  // namespace sinkq
