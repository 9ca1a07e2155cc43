#include "test_util.h"

#include "host/sqm_writer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

#include "host/text_eval.h"

namespace sinkq {
namespace test {

std::string shared_dir() {
  const char* env = std::getenv("SINKQ_SHARED_DIR");
  return env && *env ? env : SINKQ_TEST_SHARED_DIR;
}
std::string model_path(const std::string& name) { return shared_dir() + "/models/" + name; }
std::string data_path(const std::string& name) { return shared_dir() + "/data/" + name; }

namespace {
struct Stories {
  host::Llama2cModel model;
  host::Llama2cVocab vocab;
  std::vector<uint8_t> sqm;
  bool ok = false;
};
const Stories& stories() {
  static Stories s = [] {
    Stories r;
    std::vector<uint8_t> ck, tk;
    if (!host::read_file(model_path("stories260K.bin"), &ck) ||
        !host::read_file(model_path("tok512.bin"), &tk))
      return r;
    if (!host::read_llama2c_checkpoint(ck, &r.model).empty()) return r;
    if (!host::read_llama2c_tokenizer(tk, r.model.config.vocab_size, &r.vocab).empty()) return r;
    r.sqm = host::build_sqm(r.model, r.vocab);
    r.ok = true;
    return r;
  }();
  if (!s.ok)
    ADD_FAILURE() << "stories260K.bin / tok512.bin not found or unreadable under " << shared_dir()
                  << "/models (set -DSINKQ_SHARED_DIR=...)";
  return s;
}
}  // namespace

const std::vector<uint8_t>& stories260k_sqm() { return stories().sqm; }
const host::Llama2cModel& stories260k_checkpoint() { return stories().model; }
const host::Llama2cVocab& stories260k_vocab() { return stories().vocab; }

std::vector<uint8_t> stories260k_with_section(uint32_t kind, const std::vector<uint8_t>& section,
                                              uint32_t version) {
  auto sections = host::read_sections(stories260k_sqm().data(), stories260k_sqm().size());
  host::Section s;
  s.kind = kind;
  s.version = version;
  s.bytes = section;
  host::put_section(&sections, s);
  return host::write_sqm(sections);
}

void load_copy(const std::vector<uint8_t>& bytes, LoadedModel* out) {
  out->buffer = host::AlignedBuffer(bytes);
  out->status = Model::load(out->buffer.data(), out->buffer.size(), &out->model);
}

void start_session(const Model& m, const SessionOptions& opt, OwnedSession* out) {
  size_t need = 0;
  out->status = Session::required_bytes(m, opt, &need);
  if (out->status != Status::kOk) return;
  out->arena.resize(need);
  out->status = out->session.init(m, opt, out->arena.data(), need);
}

const std::string& tinystories_text() {
  static std::string t = [] {
    std::string s;
    host::read_text(data_path("tinystories-valid-30k.txt"), &s);
    return s;
  }();
  if (t.empty()) ADD_FAILURE() << "tinystories-valid-30k.txt missing under " << shared_dir() << "/data";
  return t;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "sinkq_" + std::to_string(getpid()) + "_" + name;
}

bool write_temp(const std::string& path, const std::vector<uint8_t>& bytes) {
  return host::write_file(path, bytes);
}

const Model& stories260k_model() {
  static LoadedModel m;
  if (m.status != Status::kOk) load_copy(stories260k_sqm(), &m);
  return m.model;
}

std::vector<int32_t> story_tokens(size_t n) {
  std::vector<int32_t> ids;
  EXPECT_EQ(host::encode_text(stories260k_model(), tinystories_text().substr(0, 4000), &ids), "");
  ids.resize(n);
  ids[0] = 1;  // BOS
  return ids;
}

}  // namespace test
}  // namespace sinkq
