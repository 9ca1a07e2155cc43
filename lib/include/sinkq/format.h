// The .sqm model file: one little-endian file used in place (mapped file or a
// const array in flash). Layout:
//
//   FileHeader (64 bytes)
//   SectionEntry[section_count] (32 bytes each)
//   sections, each starting on a 64-byte boundary
//
// Sections are self-contained blobs (offsets inside a section are relative to
// the section start), so a tool can add or replace one section without touching
// the others. Readers ignore section kinds they do not know, which is how later
// versions add data without breaking old readers. The checksum is CRC-32 (IEEE
// 802.3 polynomial, as zlib) over every byte after the header.
#ifndef SINKQ_FORMAT_H_
#define SINKQ_FORMAT_H_

#include <stddef.h>
#include <stdint.h>

namespace sinkq {
namespace format {

constexpr char kMagic[8] = {'S', 'I', 'N', 'K', 'Q', 'M', 'D', 'L'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kAlign = 64;
constexpr uint32_t kNoLayer = 0xFFFFFFFFu;
constexpr uint32_t kNoTensor = 0xFFFFFFFFu;

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;     // sizeof(FileHeader)
  uint64_t file_size;       // whole file, bytes
  uint32_t section_count;
  uint32_t checksum;        // CRC-32 of bytes [header_size, file_size)
  uint32_t reserved[8];     // must be zero
};
static_assert(sizeof(FileHeader) == 64, "FileHeader layout");

enum SectionKind : uint32_t {
  kSectionConfig = 1,
  kSectionTensorTable = 2,
  kSectionTensorData = 3,
  kSectionVocab = 4,
  kSectionActQuant = 5,       // static activation scales (W8A8)
  kSectionCushion = 6,        // prefix-cushion KV
  kSectionSinkPredictor = 7,  // KVSink outlier channels and threshold
};

struct SectionEntry {
  uint32_t kind;
  uint32_t version;   // per-section layout version
  uint64_t offset;    // from file start, multiple of kAlign
  uint64_t size;      // bytes
  uint64_t reserved;  // must be zero
};
static_assert(sizeof(SectionEntry) == 32, "SectionEntry layout");

enum Arch : uint32_t { kArchLlama = 1 };

struct ConfigSection {
  uint32_t arch;
  uint32_t dim;
  uint32_t hidden_dim;
  uint32_t n_layers;
  uint32_t n_heads;
  uint32_t n_kv_heads;
  uint32_t vocab_size;
  uint32_t max_seq_len;
  float rope_theta;
  float norm_eps;
  uint32_t shared_classifier;  // 1: the classifier is the token embedding
  uint32_t bos_id;
  uint32_t eos_id;
  uint32_t reserved[3];        // must be zero
};
static_assert(sizeof(ConfigSection) == 64, "ConfigSection layout");

enum DType : uint32_t {
  kF32 = 1,
  kI8 = 2,    // symmetric, values in [-127, 127]
  kI32 = 3,
  kF16 = 4,
};

inline uint32_t dtype_size(uint32_t dt) {
  switch (dt) {
    case kF32: return 4;
    case kI8: return 1;
    case kI32: return 4;
    case kF16: return 2;
    default: return 0;
  }
}

enum TensorKind : uint32_t {
  kTokenEmbedding = 1,  // [vocab, dim]
  kRmsAtt = 2,          // [dim] per layer
  kWq = 3,              // [dim, dim]
  kWk = 4,              // [kv_dim, dim]
  kWv = 5,              // [kv_dim, dim]
  kWo = 6,              // [dim, dim]
  kRmsFfn = 7,          // [dim]
  kW1 = 8,              // [hidden, dim]
  kW2 = 9,              // [dim, hidden]
  kW3 = 10,             // [hidden, dim]
  kRmsFinal = 11,       // [dim]
  kWcls = 12,           // [vocab, dim], absent when the classifier is shared
  kChannelScales = 13,  // F32 [rows]: per-output-channel scales of an I8 tensor
  kTensorKindEnd,
};

// Linear weights are row-major [out_features, in_features]: row r holds the
// in_features weights of output r contiguously. Every kernel family reads this
// one layout, so one model file serves every target bit for bit.
struct TensorEntry {
  uint32_t kind;
  uint32_t layer;         // kNoLayer for global tensors
  uint32_t dtype;
  uint32_t ndim;          // 1 or 2
  uint32_t shape[4];      // unused dims are zero
  uint64_t offset;        // from the tensor-data section start, multiple of kAlign
  uint64_t size;          // bytes, == prod(shape) * dtype_size
  float scale;            // I8 with per-tensor scale: real = scale * q; else 0
  uint32_t scale_tensor;  // I8 per-channel: index of its kChannelScales entry, else kNoTensor
  uint32_t reserved[2];   // must be zero
};
static_assert(sizeof(TensorEntry) == 64, "TensorEntry layout");

// Tensor-table section: uint32 count, uint32 reserved[15], TensorEntry[count].
struct TensorTableHeader {
  uint32_t count;
  uint32_t reserved[15];
};
static_assert(sizeof(TensorTableHeader) == 64, "TensorTableHeader layout");

// Vocab section:
//   VocabHeader
//   float    scores[n_pieces]
//   uint32_t offsets[n_pieces + 1]   (into the bytes blob, non-decreasing)
//   uint32_t sorted[n_pieces]        (piece ids in byte-lexicographic order of
//                                     their text, equal texts by id, for binary
//                                     search without heap)
//   uint8_t  bytes[offsets[n_pieces]]
struct VocabHeader {
  uint32_t n_pieces;
  uint32_t max_piece_len;
  uint32_t scores_offset;   // from section start
  uint32_t offsets_offset;
  uint32_t sorted_offset;
  uint32_t bytes_offset;
  uint32_t bytes_size;
  uint32_t reserved[9];
};
static_assert(sizeof(VocabHeader) == 64, "VocabHeader layout");

// Section kSectionCushion (version 1), the CushionCache prefix (Lee et al.,
// 2024, arXiv 2406.12016): the K and V of a short prefix placed before every
// sequence, at positions 0 .. length-1, computed or tuned offline.
//   CushionHeader
//   int32_t tokens[length]      the prefix tokens, for display (a tuned
//                               cushion no longer equals their KV)
//   zero padding to offset kv_offset (a multiple of 64)
//   float k[n_layers][length][kv_dim]   keys after RoPE at their positions
//   float v[n_layers][length][kv_dim]
// The section ends right after v; every value is finite.
struct CushionHeader {
  uint32_t n_layers;
  uint32_t kv_dim;
  uint32_t length;        // 1 .. kMaxCushion, < max_seq_len
  uint32_t tuned;         // 1: K/V tuned after the token search (informational)
  uint32_t kv_offset;     // from section start: 64 + tokens rounded up to 64 bytes
  uint32_t reserved[11];  // must be zero
};
static_assert(sizeof(CushionHeader) == 64, "CushionHeader layout");

// A cushion occupies one sink-table slot per token (kv.h: kMaxSinkSlots).
constexpr uint32_t kMaxCushion = 64;

inline uint32_t cushion_kv_offset(uint32_t length) {
  return sizeof(CushionHeader) + (length * 4 + kAlign - 1) / kAlign * kAlign;
}

uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

}  // namespace format
}  // namespace sinkq

#endif  // SINKQ_FORMAT_H_
