#include "llama2c.h"

#include <cmath>
#include <cstring>

namespace sinkq {
namespace host {

using namespace format;

namespace {

class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& b) : b_(b) {}
  bool read(void* out, size_t n) {
    if (n > b_.size() - pos_) return false;
    std::memcpy(out, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (n > b_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  size_t left() const { return b_.size() - pos_; }

 private:
  const std::vector<uint8_t>& b_;
  size_t pos_ = 0;
};

// The checkpoint's own names (llama2.c's TransformerWeights), for messages.
const char* tensor_name(uint32_t kind) {
  switch (kind) {
    case kTokenEmbedding: return "token_embedding_table";
    case kRmsAtt: return "rms_att_weight";
    case kWq: return "wq";
    case kWk: return "wk";
    case kWv: return "wv";
    case kWo: return "wo";
    case kRmsFfn: return "rms_ffn_weight";
    case kW1: return "w1";
    case kW2: return "w2";
    case kW3: return "w3";
    case kRmsFinal: return "rms_final_weight";
    case kWcls: return "wcls";
    default: return "?";
  }
}

}  // namespace

std::string read_llama2c_checkpoint(const std::vector<uint8_t>& file, Llama2cModel* out) {
  Reader r(file);
  int32_t h[7];
  if (!r.read(h, sizeof h)) return "checkpoint shorter than its 28-byte header";
  for (int i = 0; i < 7; ++i)
    if (i != 5 && h[i] <= 0) return "checkpoint header has a non-positive dimension";
  ModelConfig& c = out->config;
  c = ModelConfig();
  c.dim = static_cast<uint32_t>(h[0]);
  c.hidden_dim = static_cast<uint32_t>(h[1]);
  c.n_layers = static_cast<uint32_t>(h[2]);
  c.n_heads = static_cast<uint32_t>(h[3]);
  c.n_kv_heads = static_cast<uint32_t>(h[4]);
  c.shared_classifier = h[5] > 0;
  c.vocab_size = static_cast<uint32_t>(h[5] > 0 ? h[5] : -int64_t{h[5]});
  c.max_seq_len = static_cast<uint32_t>(h[6]);
  c.rope_theta = 10000.f;
  c.norm_eps = 1e-5f;
  c.bos_id = 1;
  c.eos_id = 2;
  if (c.vocab_size == 0 || c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 ||
      c.dim > kMaxDim || c.n_layers > kMaxLayers || c.vocab_size > kMaxVocab ||
      c.max_seq_len > kMaxSeqLen)
    return "checkpoint header is inconsistent (dims, heads or sizes)";
  c.head_size = c.dim / c.n_heads;
  c.kv_dim = c.head_size * c.n_kv_heads;

  const uint64_t L = c.n_layers, D = c.dim, H = c.hidden_dim, KV = c.kv_dim, V = c.vocab_size;
  uint64_t expect = 28 + 4 * (V * D + L * D + 2 * L * D * D + 2 * L * KV * D + L * D +
                               3 * L * H * D + D + uint64_t{c.max_seq_len} * c.head_size);
  if (!c.shared_classifier) expect += 4 * V * D;
  if (file.size() != expect)
    return "checkpoint size " + std::to_string(file.size()) + " differs from the " +
           std::to_string(expect) + " bytes its header implies";

  out->tensors.clear();
  std::string err;
  auto take = [&](uint32_t kind, uint32_t layer, std::vector<uint32_t> shape) {
    Tensor t;
    t.kind = kind;
    t.layer = layer;
    t.dtype = kF32;
    t.shape = shape;
    uint64_t n = 1;
    for (uint32_t s : shape) n *= s;
    t.data.resize(n * 4);
    r.read(t.data.data(), t.data.size());
    const float* f = reinterpret_cast<const float*>(t.data.data());
    for (uint64_t i = 0; i < n && err.empty(); ++i)
      if (!std::isfinite(f[i]))
        err = std::string("checkpoint tensor ") + tensor_name(kind) +
              (layer == kNoLayer ? "" : " of layer " + std::to_string(layer)) + " holds " +
              (std::isnan(f[i]) ? "NaN" : "Inf") + " at element " + std::to_string(i) +
              " (a sinkq model needs finite weights)";
    out->tensors.push_back(std::move(t));
  };
  // Stacked [L, ...] tensors become one tensor per layer.
  auto take_layers = [&](uint32_t kind, std::vector<uint32_t> shape) {
    for (uint32_t l = 0; l < c.n_layers; ++l) take(kind, l, shape);
  };
  const uint32_t d = c.dim, hd = c.hidden_dim, kv = c.kv_dim;
  take(kTokenEmbedding, kNoLayer, {c.vocab_size, d});
  take_layers(kRmsAtt, {d});
  take_layers(kWq, {d, d});
  take_layers(kWk, {kv, d});
  take_layers(kWv, {kv, d});
  take_layers(kWo, {d, d});
  take_layers(kRmsFfn, {d});
  take_layers(kW1, {hd, d});
  take_layers(kW2, {d, hd});
  take_layers(kW3, {hd, d});
  take(kRmsFinal, kNoLayer, {d});
  r.skip(uint64_t{c.max_seq_len} * c.head_size * 4);  // legacy RoPE tables
  if (!c.shared_classifier) take(kWcls, kNoLayer, {c.vocab_size, d});
  return err;
}

std::string read_llama2c_tokenizer(const std::vector<uint8_t>& file, uint32_t vocab_size,
                                   Llama2cVocab* out) {
  Reader r(file);
  int32_t max_len;
  if (!r.read(&max_len, 4)) return "tokenizer shorter than its header";
  out->pieces.clear();
  out->scores.clear();
  for (uint32_t i = 0; i < vocab_size; ++i) {
    float score;
    int32_t len;
    if (!r.read(&score, 4) || !r.read(&len, 4))
      return "tokenizer has fewer pieces than the model's vocabulary (" + std::to_string(i) +
             " < " + std::to_string(vocab_size) + ")";
    if (len <= 0 || len > static_cast<int32_t>(kMaxPieceLen) || !std::isfinite(score))
      return "tokenizer piece " + std::to_string(i) + " has a bad length or score";
    std::string s(static_cast<size_t>(len), '\0');
    if (!r.read(&s[0], s.size())) return "tokenizer truncated inside piece " + std::to_string(i);
    out->pieces.push_back(std::move(s));
    out->scores.push_back(score);
  }
  if (r.left() != 0) return "tokenizer has more pieces than the model's vocabulary";
  return "";
}

std::vector<uint8_t> build_sqm(const Llama2cModel& model, const Llama2cVocab& vocab) {
  std::vector<Section> sections;
  sections.push_back(config_section(model.config));
  Section table, data;
  tensor_sections(model.tensors, &table, &data);
  sections.push_back(std::move(table));
  sections.push_back(vocab_section(vocab.pieces, vocab.scores));
  sections.push_back(std::move(data));
  return write_sqm(sections);
}

}  // namespace host
}  // namespace sinkq
