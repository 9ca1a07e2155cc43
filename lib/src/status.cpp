#include "sinkq/status.h"

namespace sinkq {

const char* status_message(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kInvalidArgument: return "invalid argument (null pointer, zero size or option out of range)";
    case Status::kUnsupported: return "unsupported by this build or model";
    case Status::kMisalignedBuffer: return "model buffer is not 64-byte aligned";
    case Status::kTruncated: return "model file is truncated";
    case Status::kBadMagic: return "not a sinkq model file (bad magic)";
    case Status::kUnsupportedVersion: return "unsupported model file version";
    case Status::kSizeMismatch: return "model file size differs from the size in its header";
    case Status::kChecksumMismatch: return "model file checksum mismatch (corrupt file)";
    case Status::kBadHeader: return "malformed model file header";
    case Status::kBadSectionTable: return "malformed section table (out of range, unaligned or overlapping)";
    case Status::kMissingSection: return "a required section (config, tensors or vocab) is missing";
    case Status::kBadConfig: return "invalid model configuration";
    case Status::kBadTensorTable: return "malformed tensor table";
    case Status::kTensorOutOfRange: return "a tensor lies outside the tensor data section";
    case Status::kTensorOverlap: return "two tensors overlap";
    case Status::kTensorMisaligned: return "a tensor is not 64-byte aligned";
    case Status::kTensorShapeMismatch: return "a tensor's shape disagrees with the model configuration";
    case Status::kMissingTensor: return "a required tensor is missing";
    case Status::kBadVocab: return "malformed vocabulary section";
    case Status::kBadQuantSection: return "malformed activation-quantization section";
    case Status::kBadCushion: return "malformed prefix-cushion section (version, size or reserved fields)";
    case Status::kBadSinkPredictor: return "malformed sink-predictor section";
    case Status::kArenaTooSmall: return "arena too small for this configuration";
    case Status::kArenaMisaligned: return "arena is not 64-byte aligned";
    case Status::kTokenOutOfRange: return "token id out of range";
    case Status::kContextFull: return "context is full";
    case Status::kEmptyInput: return "empty input";
    case Status::kBufferTooSmall: return "output buffer too small";
    case Status::kNonFinite: return "non-finite value (NaN or Inf)";
    case Status::kNotInitialized: return "session not initialized";
    case Status::kBadWeights: return "int8 weights out of [-127, 127] or invalid scale";
    case Status::kIoError: return "file could not be read or written";
    case Status::kMissingQuantization:
      return "the model lacks the int8 weights or activation scales this quantization mode needs "
             "(convert with --weights int8|both, then run sinkq calibrate)";
    case Status::kTooLarge: return "configuration needs more memory than this target can address (reduce the context or batch)";
    case Status::kCushionShapeMismatch:
      return "prefix-cushion section disagrees with the model (layers, kv_dim, or a length of 0, "
             "over 64 or not below max_seq_len)";
    case Status::kCushionNonFinite: return "prefix-cushion K/V holds a non-finite value (NaN or Inf)";
    case Status::kCushionBadToken: return "prefix-cushion token id out of the vocabulary";
  }
  return "unknown status";
}

}  // namespace sinkq
