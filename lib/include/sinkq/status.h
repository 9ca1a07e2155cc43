// Status codes: every fallible call in sinkq returns one. No exceptions.
#ifndef SINKQ_STATUS_H_
#define SINKQ_STATUS_H_

#include <stdint.h>

#ifdef __cplusplus
namespace sinkq {

// Values are stable: the C API (sinkq.h) exposes them as plain ints.
enum class Status : int32_t {
  kOk = 0,
  kInvalidArgument = 1,     // a null pointer, a zero size or an option out of range
  kUnsupported = 2,         // a valid request this build or model cannot serve
  kMisalignedBuffer = 3,    // the model buffer is not 64-byte aligned
  kTruncated = 4,           // the buffer is shorter than the header or the declared file size
  kBadMagic = 5,
  kUnsupportedVersion = 6,
  kSizeMismatch = 7,        // declared file size differs from the buffer size
  kChecksumMismatch = 8,
  kBadHeader = 9,           // reserved fields set, header size wrong
  kBadSectionTable = 10,    // a section outside the file, unaligned or overlapping another
  kMissingSection = 11,     // a required section (config, tensors, vocab) is absent
  kBadConfig = 12,          // architecture values zero, inconsistent or too large
  kBadTensorTable = 13,     // unknown kind/dtype, bad rank, duplicate entry
  kTensorOutOfRange = 14,   // a tensor's bytes lie outside the tensor data section
  kTensorOverlap = 15,      // two tensors share bytes
  kTensorMisaligned = 16,   // a tensor does not start on a 64-byte boundary
  kTensorShapeMismatch = 17,// a tensor's shape disagrees with the config
  kMissingTensor = 18,
  kBadVocab = 19,           // the vocabulary section is malformed or unsorted
  kBadQuantSection = 20,    // activation-scale section malformed or inconsistent
  kBadCushion = 21,         // prefix-cushion section malformed (version, size, reserved fields)
  kBadSinkPredictor = 22,   // sink-predictor section malformed
  kArenaTooSmall = 23,
  kArenaMisaligned = 24,
  kTokenOutOfRange = 25,
  kContextFull = 26,
  kEmptyInput = 27,
  kBufferTooSmall = 28,     // a caller's output buffer cannot hold the result
  kNonFinite = 29,          // NaN or Inf where finite values are required
  kNotInitialized = 30,     // a session used before init() succeeded
  kBadWeights = 31,         // int8 weights outside [-127, 127] or a non-finite scale
  kIoError = 32,            // host-side only: a file could not be read or written
  kMissingQuantization = 33,// int8 weights or activation scales needed by the mode are absent
  kTooLarge = 34,           // the configuration needs more memory than this target can address
  kCushionShapeMismatch = 35,  // cushion layers, kv_dim or length disagree with the config
  kCushionNonFinite = 36,   // the cushion's K or V holds NaN or Inf
  kCushionBadToken = 37,    // a cushion token id is out of the vocabulary
};

// A sentence describing the status; never null, static storage.
const char* status_message(Status s);

inline bool ok(Status s) { return s == Status::kOk; }

}  // namespace sinkq
#endif  // __cplusplus

#endif  // SINKQ_STATUS_H_
