// Shared pieces of the libFuzzer targets: the real stories260K model, a
// property check that aborts (so libFuzzer records the input), and one bounded
// run of everything the library does with a model that loaded.
#ifndef SINKQ_FUZZ_FUZZ_COMMON_H_
#define SINKQ_FUZZ_FUZZ_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sinkq/model.h"
#include "sinkq/status.h"

namespace sinkq {
namespace fuzz {

// Prints the message and aborts when `ok` is false.
void check(bool ok, const char* what);
// Every status a call returns has its own message.
void check_known(Status s);

// stories260K converted to .sqm in memory (aborts if ../shared lacks it).
const std::vector<uint8_t>& stories260k_sqm();

// Inputs whose arena would exceed this are only planned, not run, so each
// input stays fast.
constexpr size_t kMaxArenaBytes = size_t{16} << 20;

// Checks the invariants the runtime relies on, then runs the tokenizer, the
// memory planner and a forward pass of a few tokens in a small context.
void exercise_model(const Model& m);

}  // namespace fuzz
}  // namespace sinkq

#endif  // SINKQ_FUZZ_FUZZ_COMMON_H_
