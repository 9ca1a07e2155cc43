// Model::load on arbitrary bytes, with and without the checksum (so that
// mutations reach the structural checks instead of stopping at the CRC), then
// everything the library does with a model that loads.
#include <cstring>

#include "fuzz_common.h"
#include "host/io.h"
#include "host/sqm_writer.h"

using namespace sinkq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // In place means 64-byte aligned, which libFuzzer's buffer is not.
  host::AlignedBuffer buf(size);
  if (size) std::memcpy(buf.data(), data, size);

  // The host tools' section splitter sees the same files.
  (void)host::read_sections(buf.data(), size);

  Model m;
  const Status strict = Model::load(buf.data(), size, &m);
  fuzz::check_known(strict);
  LoadOptions no_crc;
  no_crc.verify_checksum = false;
  const Status st = Model::load(buf.data(), size, &m, no_crc);
  fuzz::check_known(st);
  fuzz::check(strict == st || strict == Status::kChecksumMismatch,
              "the checksum changed a structural verdict");
  if (st != Status::kOk) {
    fuzz::check(!m.loaded(), "a rejected model looks loaded");
    return 0;
  }
  fuzz::exercise_model(m);
  return 0;
}
