// Shared test fixtures: the real stories260K checkpoint converted in memory.
#ifndef SINKQ_TESTS_TEST_UTIL_H_
#define SINKQ_TESTS_TEST_UTIL_H_

#include <string>
#include <vector>

#include "host/io.h"
#include "host/llama2c.h"
#include "sinkq/model.h"
#include "sinkq/session.h"

namespace sinkq {
namespace test {

// ${SINKQ_SHARED_DIR}, baked in at configure time (env SINKQ_SHARED_DIR overrides).
std::string shared_dir();
std::string model_path(const std::string& name);  // shared_dir()/models/name
std::string data_path(const std::string& name);   // shared_dir()/data/name

// The fp32 .sqm bytes of stories260K (converted once per process). Fails the
// calling test loudly if the checkpoint is missing.
const std::vector<uint8_t>& stories260k_sqm();
// The parsed checkpoint (fp32 tensors in the .sqm kinds) and vocabulary.
const host::Llama2cModel& stories260k_checkpoint();
const host::Llama2cVocab& stories260k_vocab();

// stories260K with one optional section added (or replaced).
std::vector<uint8_t> stories260k_with_section(uint32_t kind, const std::vector<uint8_t>& section,
                                              uint32_t version = 1);

// A model loaded from its own aligned copy of `bytes`.
struct LoadedModel {
  host::AlignedBuffer buffer;
  Model model;
  Status status = Status::kNotInitialized;
};
void load_copy(const std::vector<uint8_t>& bytes, LoadedModel* out);

// A session with a heap-backed arena of exactly required_bytes().
struct OwnedSession {
  host::AlignedBuffer arena;
  Session session;
  Status status = Status::kNotInitialized;
};
void start_session(const Model& m, const SessionOptions& opt, OwnedSession* out);

// Evaluation text (the shared TinyStories slice).
const std::string& tinystories_text();

// stories260K loaded once per process, and the first n tokens of the story
// text with BOS first.
const Model& stories260k_model();
std::vector<int32_t> story_tokens(size_t n);

// A path in the test temp directory, unique to this process (builds and
// worktrees may run the suite at the same time).
std::string temp_path(const std::string& name);
bool write_temp(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace test
}  // namespace sinkq

#endif  // SINKQ_TESTS_TEST_UTIL_H_
