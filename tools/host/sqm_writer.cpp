#include "sqm_writer.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace sinkq {
namespace host {

using namespace format;

namespace {
uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
}  // namespace

std::vector<uint8_t> write_sqm(const std::vector<Section>& sections) {
  const uint64_t table_end = sizeof(FileHeader) + sections.size() * sizeof(SectionEntry);
  std::vector<SectionEntry> entries(sections.size());
  uint64_t off = align_up(table_end);
  for (size_t i = 0; i < sections.size(); ++i) {
    entries[i] = SectionEntry{sections[i].kind, sections[i].version, off, sections[i].bytes.size(), 0};
    off = align_up(off + sections[i].bytes.size());
  }
  std::vector<uint8_t> out(off, 0);
  for (size_t i = 0; i < sections.size(); ++i)
    if (!sections[i].bytes.empty())
      std::memcpy(out.data() + entries[i].offset, sections[i].bytes.data(), sections[i].bytes.size());
  if (!entries.empty())
    std::memcpy(out.data() + sizeof(FileHeader), entries.data(), entries.size() * sizeof(SectionEntry));
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.header_size = sizeof(FileHeader);
  h.file_size = out.size();
  h.section_count = static_cast<uint32_t>(sections.size());
  h.checksum = crc32(out.data() + sizeof(FileHeader), out.size() - sizeof(FileHeader));
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

std::vector<Section> read_sections(const uint8_t* bytes, size_t size) {
  std::vector<Section> out;
  if (size < sizeof(FileHeader)) return out;
  FileHeader h;
  std::memcpy(&h, bytes, sizeof h);
  for (uint32_t i = 0; i < h.section_count; ++i) {
    const uint64_t at = sizeof(FileHeader) + uint64_t{i} * sizeof(SectionEntry);
    if (at + sizeof(SectionEntry) > size) break;
    SectionEntry e;
    std::memcpy(&e, bytes + at, sizeof e);
    if (e.offset > size || e.size > size - e.offset) continue;
    Section s;
    s.kind = e.kind;
    s.version = e.version;
    s.bytes.assign(bytes + e.offset, bytes + e.offset + e.size);
    out.push_back(std::move(s));
  }
  return out;
}

void put_section(std::vector<Section>* sections, Section s) {
  for (Section& old : *sections) {
    if (old.kind == s.kind) {
      old = std::move(s);
      return;
    }
  }
  sections->push_back(std::move(s));
}

void drop_section(std::vector<Section>* sections, uint32_t kind) {
  sections->erase(std::remove_if(sections->begin(), sections->end(),
                                 [&](const Section& s) { return s.kind == kind; }),
                  sections->end());
}

Section config_section(const ModelConfig& c) {
  ConfigSection cs{};
  cs.arch = kArchLlama;
  cs.dim = c.dim;
  cs.hidden_dim = c.hidden_dim;
  cs.n_layers = c.n_layers;
  cs.n_heads = c.n_heads;
  cs.n_kv_heads = c.n_kv_heads;
  cs.vocab_size = c.vocab_size;
  cs.max_seq_len = c.max_seq_len;
  cs.rope_theta = c.rope_theta;
  cs.norm_eps = c.norm_eps;
  cs.shared_classifier = c.shared_classifier ? 1 : 0;
  cs.bos_id = static_cast<uint32_t>(c.bos_id);
  cs.eos_id = static_cast<uint32_t>(c.eos_id);
  Section s;
  s.kind = kSectionConfig;
  s.bytes.resize(sizeof cs);
  std::memcpy(s.bytes.data(), &cs, sizeof cs);
  return s;
}

void tensor_sections(const std::vector<Tensor>& tensors, Section* table, Section* data) {
  TensorTableHeader th{};
  th.count = static_cast<uint32_t>(tensors.size());
  table->kind = kSectionTensorTable;
  table->version = 1;
  table->bytes.assign(sizeof th + tensors.size() * sizeof(TensorEntry), 0);
  std::memcpy(table->bytes.data(), &th, sizeof th);
  data->kind = kSectionTensorData;
  data->version = 1;
  data->bytes.clear();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    TensorEntry e{};
    e.kind = t.kind;
    e.layer = t.layer;
    e.dtype = t.dtype;
    e.ndim = static_cast<uint32_t>(t.shape.size());
    for (size_t d = 0; d < t.shape.size() && d < 4; ++d) e.shape[d] = t.shape[d];
    e.offset = align_up(data->bytes.size());
    e.size = t.data.size();
    e.scale = t.scale;
    e.scale_tensor = t.scale_tensor < 0 ? kNoTensor : static_cast<uint32_t>(t.scale_tensor);
    data->bytes.resize(e.offset, 0);
    data->bytes.insert(data->bytes.end(), t.data.begin(), t.data.end());
    std::memcpy(table->bytes.data() + sizeof th + i * sizeof e, &e, sizeof e);
  }
  data->bytes.resize(align_up(data->bytes.size()), 0);
}

std::vector<Tensor> tensors_of(const Model& m) {
  std::vector<Tensor> out;
  for (uint32_t i = 0; i < m.tensor_count(); ++i) {
    const TensorEntry& e = m.tensor_entry(i);
    Tensor t;
    t.kind = e.kind;
    t.layer = e.layer;
    t.dtype = e.dtype;
    t.shape.assign(e.shape, e.shape + e.ndim);
    const uint8_t* p = static_cast<const uint8_t*>(m.tensor_data(e));
    t.data.assign(p, p + e.size);
    t.scale = e.scale;
    t.scale_tensor = e.scale_tensor == kNoTensor ? -1 : static_cast<int32_t>(e.scale_tensor);
    out.push_back(std::move(t));
  }
  return out;
}

Section vocab_section(const std::vector<std::string>& pieces, const std::vector<float>& scores) {
  const uint32_t n = static_cast<uint32_t>(pieces.size());
  VocabHeader h{};
  h.n_pieces = n;
  uint32_t max_len = 1;
  std::vector<uint32_t> offsets(n + 1, 0);
  std::string blob;
  for (uint32_t i = 0; i < n; ++i) {
    blob += pieces[i];
    offsets[i + 1] = static_cast<uint32_t>(blob.size());
    max_len = std::max<uint32_t>(max_len, static_cast<uint32_t>(pieces[i].size()));
  }
  std::vector<uint32_t> sorted(n);
  std::iota(sorted.begin(), sorted.end(), 0u);
  // Byte-lexicographic order (std::string compares char, which may be signed).
  std::stable_sort(sorted.begin(), sorted.end(), [&](uint32_t a, uint32_t b) {
    const std::string &x = pieces[a], &y = pieces[b];
    const int c = std::memcmp(x.data(), y.data(), std::min(x.size(), y.size()));
    return c != 0 ? c < 0 : x.size() < y.size();
  });
  h.max_piece_len = max_len;
  h.scores_offset = sizeof h;
  h.offsets_offset = h.scores_offset + 4 * n;
  h.sorted_offset = h.offsets_offset + 4 * (n + 1);
  h.bytes_offset = h.sorted_offset + 4 * n;
  h.bytes_size = static_cast<uint32_t>(blob.size());
  Section s;
  s.kind = kSectionVocab;
  s.bytes.resize(h.bytes_offset + blob.size());
  std::memcpy(s.bytes.data(), &h, sizeof h);
  std::memcpy(s.bytes.data() + h.scores_offset, scores.data(), 4 * n);
  std::memcpy(s.bytes.data() + h.offsets_offset, offsets.data(), 4 * (n + 1));
  std::memcpy(s.bytes.data() + h.sorted_offset, sorted.data(), 4 * n);
  if (!blob.empty()) std::memcpy(s.bytes.data() + h.bytes_offset, blob.data(), blob.size());
  return s;
}

}  // namespace host
}  // namespace sinkq
