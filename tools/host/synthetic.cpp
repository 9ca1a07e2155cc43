#include "synthetic.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "cushion.h"
#include "quantize.h"
#include "sinkq/quant.h"

namespace sinkq {
namespace host {

using namespace format;

ModelConfig synthetic_config(uint32_t dim, uint32_t hidden_dim, uint32_t n_layers,
                             uint32_t n_heads, uint32_t n_kv_heads, uint32_t vocab_size,
                             uint32_t max_seq_len, bool shared_classifier) {
  ModelConfig c;
  c.dim = dim;
  c.hidden_dim = hidden_dim;
  c.n_layers = n_layers;
  c.n_heads = n_heads;
  c.n_kv_heads = n_kv_heads;
  c.vocab_size = vocab_size;
  c.max_seq_len = max_seq_len;
  c.head_size = n_heads ? dim / n_heads : 0;
  c.kv_dim = c.head_size * n_kv_heads;
  c.rope_theta = 10000.f;
  c.norm_eps = 1e-5f;
  c.shared_classifier = shared_classifier;
  c.bos_id = 1;
  c.eos_id = 2;
  return c;
}

Llama2cVocab synthetic_vocab(uint32_t n) {
  Llama2cVocab v;
  auto add = [&](const std::string& s) {
    if (v.pieces.size() < n) {
      v.scores.push_back(-0.01f * static_cast<float>(v.pieces.size()));
      v.pieces.push_back(s);
    }
  };
  add("<unk>");
  add("<s>");
  add("</s>");
  if (n >= 259) {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      add(name);
    }
  }
  // Every string of length 1, 2, 3, ... over a small alphabet: all merge
  // intermediates exist, so the BPE loop really merges.
  static const char kAlphabet[] = " etaoinshrdlucmw.,!?TOL";
  const size_t k = sizeof kAlphabet - 1;
  for (size_t len = 1; v.pieces.size() < n; ++len) {
    std::vector<size_t> digit(len, 0);
    for (;;) {
      std::string s;
      for (size_t d : digit) s += kAlphabet[d];
      add(s);
      if (v.pieces.size() == n) break;
      size_t i = 0;
      while (i < len && ++digit[i] == k) digit[i++] = 0;
      if (i == len) break;
    }
  }
  return v;
}

namespace {

Section act_quant_section(const ModelConfig& c) {
  ActQuantHeader h{};
  h.n_layers = c.n_layers;
  h.sites_per_layer = kSitesPerLayer;
  h.method = kCalibMax;
  h.calib_tokens = 64;
  std::vector<float> scales(size_t{c.n_layers} * kSitesPerLayer + 1, 0.05f);
  Section s;
  s.kind = kSectionActQuant;
  s.bytes.resize(sizeof h);
  std::memcpy(s.bytes.data(), &h, sizeof h);
  const std::vector<uint8_t> b = as_bytes(scales);
  s.bytes.insert(s.bytes.end(), b.begin(), b.end());
  return s;
}

}  // namespace

Llama2cModel synthetic_weights(const SyntheticOptions& o) {
  Llama2cModel m;
  m.config = o.config;
  const ModelConfig& c = o.config;
  std::mt19937 rng(o.seed);
  std::uniform_real_distribution<float> weight(-o.weight_range, o.weight_range);
  std::uniform_real_distribution<float> gain(0.9f, 1.1f);
  auto add = [&](uint32_t kind, uint32_t layer, std::vector<uint32_t> shape) {
    Tensor t;
    t.kind = kind;
    t.layer = layer;
    t.shape = shape;
    size_t n = 1;
    for (uint32_t s : shape) n *= s;
    std::vector<float> f(n);
    for (float& x : f) x = shape.size() == 1 ? gain(rng) : weight(rng);
    t.data = as_bytes(f);
    m.tensors.push_back(std::move(t));
  };
  const uint32_t d = c.dim, hd = c.hidden_dim, kv = c.kv_dim;
  add(kTokenEmbedding, kNoLayer, {c.vocab_size, d});
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    add(kRmsAtt, l, {d});
    add(kWq, l, {d, d});
    add(kWk, l, {kv, d});
    add(kWv, l, {kv, d});
    add(kWo, l, {d, d});
    add(kRmsFfn, l, {d});
    add(kW1, l, {hd, d});
    add(kW2, l, {d, hd});
    add(kW3, l, {hd, d});
  }
  add(kRmsFinal, kNoLayer, {d});
  if (!c.shared_classifier) add(kWcls, kNoLayer, {c.vocab_size, d});
  return m;
}

std::vector<uint8_t> synthetic_sqm(const SyntheticOptions& o) {
  Llama2cModel m = synthetic_weights(o);
  if (o.int8) add_int8_weights(&m.tensors, o.per_channel ? Granularity::kChannel : Granularity::kTensor, false);
  std::vector<Section> sections;
  sections.push_back(config_section(m.config));
  Section table, data;
  tensor_sections(m.tensors, &table, &data);
  sections.push_back(std::move(table));
  const Llama2cVocab v = synthetic_vocab(m.config.vocab_size);
  sections.push_back(vocab_section(v.pieces, v.scores));
  sections.push_back(std::move(data));
  if (o.act_quant) sections.push_back(act_quant_section(m.config));
  if (o.cushion) {
    // Made-up K/V (a cushion's values are free parameters after tuning).
    CushionKv kv;
    std::mt19937 rng(o.seed + 1);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (uint32_t i = 0; i < o.cushion; ++i) kv.tokens.push_back(static_cast<int32_t>(i % m.config.vocab_size));
    kv.k.resize(size_t{m.config.n_layers} * o.cushion * m.config.kv_dim);
    kv.v.resize(kv.k.size());
    for (float& x : kv.k) x = u(rng);
    for (float& x : kv.v) x = u(rng);
    sections.push_back(cushion_section(m.config, kv));
  }
  return write_sqm(sections);
}

std::vector<uint8_t> llama2c_checkpoint_bytes(const Llama2cModel& m) {
  const ModelConfig& c = m.config;
  const int32_t vocab = static_cast<int32_t>(c.vocab_size);
  const int32_t h[7] = {static_cast<int32_t>(c.dim),     static_cast<int32_t>(c.hidden_dim),
                        static_cast<int32_t>(c.n_layers), static_cast<int32_t>(c.n_heads),
                        static_cast<int32_t>(c.n_kv_heads), c.shared_classifier ? vocab : -vocab,
                        static_cast<int32_t>(c.max_seq_len)};
  std::vector<uint8_t> out(sizeof h);
  std::memcpy(out.data(), h, sizeof h);
  auto put = [&](uint32_t kind) {
    for (const Tensor& t : m.tensors)
      if (t.kind == kind && t.dtype == kF32) out.insert(out.end(), t.data.begin(), t.data.end());
  };
  for (uint32_t kind : {kTokenEmbedding, kRmsAtt, kWq, kWk, kWv, kWo, kRmsFfn, kW1, kW2, kW3, kRmsFinal})
    put(kind);
  // The legacy RoPE tables, which readers skip.
  out.resize(out.size() + size_t{c.max_seq_len} * c.head_size * 4, 0);
  if (!c.shared_classifier) put(kWcls);
  return out;
}

std::vector<uint8_t> llama2c_tokenizer_bytes(const Llama2cVocab& v) {
  int32_t max_len = 0;
  for (const std::string& p : v.pieces) max_len = std::max(max_len, static_cast<int32_t>(p.size()));
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &max_len, 4);
  for (size_t i = 0; i < v.pieces.size(); ++i) {
    const int32_t len = static_cast<int32_t>(v.pieces[i].size());
    uint8_t rec[8];
    std::memcpy(rec, &v.scores[i], 4);
    std::memcpy(rec + 4, &len, 4);
    out.insert(out.end(), rec, rec + 8);
    out.insert(out.end(), v.pieces[i].begin(), v.pieces[i].end());
  }
  return out;
}

}  // namespace host
}  // namespace sinkq
