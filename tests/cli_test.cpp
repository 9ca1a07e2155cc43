// The `sinkq` command-line tool on bad input: it runs the real binary and
// checks the exit code and the message a user sees.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "host/io.h"
#include "test_util.h"

namespace sinkq {
namespace {

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr
};

Result run(const std::string& args) {
  Result r;
  const std::string cmd = std::string(SINKQ_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// A file of `bytes` in the temp directory, by name.
std::string file_of(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = test::temp_path(name);
  EXPECT_TRUE(test::write_temp(path, bytes));
  return path;
}

std::string good_model() { return file_of("good.sqm", test::stories260k_sqm()); }

std::vector<uint8_t> shared_file(const std::string& name) {
  std::vector<uint8_t> b;
  EXPECT_TRUE(host::read_file(test::model_path(name), &b)) << name;
  return b;
}

bool exists(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f) std::fclose(f);
  return f != nullptr;
}

TEST(Cli, GoodModelRuns) {  // the control for every failure below
  const Result r = run("info --model " + quoted(good_model()));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("dim 64"), std::string::npos) << r.output;
}

// The number after `label` on the output line that starts with it, or -1.
long long figure(const std::string& out, const std::string& label) {
  const size_t at = out.find("\n  " + label);
  if (at == std::string::npos) return -1;
  return std::atoll(out.c_str() + at + 3 + label.size());
}

TEST(Cli, InfoBreaksTheArenaAndTheFileDown) {
  const std::string both = test::temp_path("info_both.sqm");
  ASSERT_EQ(run("convert --checkpoint " + quoted(test::model_path("stories260K.bin")) +
                " --tokenizer " + quoted(test::model_path("tok512.bin")) + " --out " + quoted(both))
                .code,
            0);
  const Result r = run("info --model " + quoted(both) +
                       " --context 128 --quant w8a8-dyn-token --kv-bits 4 --sinks pfn:2");
  std::remove(both.c_str());
  ASSERT_EQ(r.code, 0) << r.output;
  long long sum = 0;
  for (const char* part : {"kv cache", "sink table", "activations", "int8 scratch", "logits",
                           "tables", "padding"}) {
    const long long v = figure(r.output, part);
    EXPECT_GE(v, 0) << part << "\n" << r.output;
    sum += v;
  }
  EXPECT_GT(figure(r.output, "int8 scratch"), 0) << r.output;
  EXPECT_EQ(sum, figure(r.output, "total")) << r.output;
  EXPECT_NE(r.output.find("weights read by --quant w8a8-dyn-token"), std::string::npos) << r.output;
}

TEST(Cli, ConvertTakesFittedSectionsFromAnotherFile) {
  const std::string both = good_model();
  ASSERT_EQ(run("calibrate --model " + quoted(both) + " --text " +
                quoted(test::data_path("tinystories-valid-30k.txt")) + " --bytes 300 --ctx 16")
                .code,
            0);
  const std::string out = test::temp_path("int8_with_scales.sqm");
  const Result r = run("convert --checkpoint " + quoted(test::model_path("stories260K.bin")) +
                       " --tokenizer " + quoted(test::model_path("tok512.bin")) +
                       " --weights int8 --sections-from " + quoted(both) + " --out " + quoted(out));
  ASSERT_EQ(r.code, 0) << r.output;
  const Result info = run("info --model " + quoted(out) + " --quant w8a8-static");
  ASSERT_EQ(info.code, 0) << info.output;
  EXPECT_EQ(figure(info.output, "fp32 tensors"), 5 * 2 * 64 * 4 + 64 * 4) << "norms only";
  EXPECT_GT(figure(info.output, "act. scales"), 0) << info.output;
  std::remove(out.c_str());
}

TEST(Cli, MissingModelFile) {
  const Result r = run("info --model /nonexistent/sinkq/m.sqm");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("sinkq: cannot open model '/nonexistent/sinkq/m.sqm': No such file or directory"),
            std::string::npos)
      << r.output;
}

TEST(Cli, CorruptModelFile) {
  std::vector<uint8_t> b = test::stories260k_sqm();
  b[b.size() / 2] ^= 0x40;
  const std::string path = file_of("corrupt.sqm", b);
  const Result r = run("generate --model " + quoted(path) + " --steps 4");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot load model '" + path + "': model file checksum mismatch"), std::string::npos)
      << r.output;
}

TEST(Cli, TruncatedAndEmptyModelFiles) {
  std::vector<uint8_t> b = test::stories260k_sqm();
  b.resize(b.size() - 1);
  for (const std::string& path : {file_of("truncated.sqm", b), file_of("empty.sqm", {})}) {
    const Result r = run("info --model " + quoted(path));
    EXPECT_EQ(r.code, 1) << path;
    EXPECT_NE(r.output.find("cannot load model '" + path + "': model file is truncated"), std::string::npos)
        << r.output;
  }
}

TEST(Cli, ModelPathIsADirectory) {
  const Result r = run("info --model " + quoted(::testing::TempDir()));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("Is a directory"), std::string::npos) << r.output;
}

TEST(Cli, MissingAndEmptyTextFiles) {
  const std::string model = good_model();
  Result r = run("perplexity --model " + quoted(model) + " --text /nonexistent/sinkq/t.txt");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("sinkq: cannot read text '/nonexistent/sinkq/t.txt'"), std::string::npos) << r.output;
  r = run("perplexity --model " + quoted(model) + " --text " + quoted(file_of("empty.txt", {})));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("sinkq: the selected text is empty"), std::string::npos) << r.output;
}

TEST(Cli, PromptLongerThanTheContext) {
  // BOS plus at least one token per word: more than 4.
  const Result r = run("generate --model " + quoted(good_model()) +
                       " --prompt 'Once upon a time there was a girl' --context 4 --steps 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("but the context holds 4 (--context)"), std::string::npos) << r.output;
}

TEST(Cli, RollingGenerateRunsFarBeyondTheContext) {
  const std::string base = "generate --model " + quoted(good_model()) +
                           " --context 32 --steps 400 --temp 0.9 --seed 7 --kv-bits 4 --sinks pfn:4";
  Result r = run(base + " --rolling");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("generated 400 tokens"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rolling: context 32, window 25, 4 sink slots"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("<s>"), std::string::npos) << r.output;  // a story end is a blank line
  // The default stops at the end of the context.
  r = run(base);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("context of 32 tokens is full"), std::string::npos) << r.output;
  r = run(base + " --window 8");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("sinkq: --window needs --rolling"), std::string::npos) << r.output;
  r = run(base + " --rolling --window 26");  // 32 - 8 + 1 is the most a batch of 8 allows
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("bad session options: invalid argument"), std::string::npos) << r.output;
}

TEST(Cli, ContextBeyondTheModel) {
  const Result r = run("generate --model " + quoted(good_model()) + " --context 513 --steps 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("bad session options: invalid argument"), std::string::npos) << r.output;
}

TEST(Cli, ConvertRefusesNaNAndWritesNothing) {
  std::vector<uint8_t> ck = shared_file("stories260K.bin");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // wq of layer 2, element 17: header, embedding [512, 64], rms_att [5, 64], 2 layers of wq.
  std::memcpy(ck.data() + 28 + 4 * (512 * 64 + 5 * 64 + 2 * 64 * 64 + 17), &nan, 4);
  const std::string out = test::temp_path("nan.sqm");
  std::remove(out.c_str());
  const Result r = run("convert --checkpoint " + quoted(file_of("nan.bin", ck)) + " --tokenizer " +
                       quoted(test::model_path("tok512.bin")) + " --out " + quoted(out));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("checkpoint tensor wq of layer 2 holds NaN at element 17"), std::string::npos)
      << r.output;
  EXPECT_FALSE(exists(out));
}

TEST(Cli, ConvertRefusesACheckpointWhoseSizeDisagreesWithItsHeader) {
  std::vector<uint8_t> ck = shared_file("stories260K.bin");
  ck.resize(ck.size() - 100);
  const Result r = run("convert --checkpoint " + quoted(file_of("short.bin", ck)) + " --tokenizer " +
                       quoted(test::model_path("tok512.bin")) + " --out " + quoted(test::temp_path("x.sqm")));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("checkpoint size 1056440 differs from the 1056540 bytes its header implies"),
            std::string::npos)
      << r.output;
}

TEST(Cli, ConvertRefusesATokenizerWithTheWrongNumberOfPieces) {
  std::vector<uint8_t> tok = shared_file("tok512.bin");
  // Append a 513th piece: score 0, length 1, "x".
  const uint8_t extra[] = {0, 0, 0, 0, 1, 0, 0, 0, 'x'};
  tok.insert(tok.end(), extra, extra + sizeof extra);
  const Result r = run("convert --checkpoint " + quoted(test::model_path("stories260K.bin")) + " --tokenizer " +
                       quoted(file_of("tok513.bin", tok)) + " --out " + quoted(test::temp_path("x.sqm")));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("tokenizer has more pieces than the model's vocabulary"), std::string::npos)
      << r.output;
}

TEST(Cli, ConvertWithMissingInputs) {
  const Result r = run("convert --checkpoint /nonexistent/c.bin --tokenizer /nonexistent/t.bin --out " +
                       quoted(test::temp_path("x.sqm")));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot read checkpoint '/nonexistent/c.bin'"), std::string::npos) << r.output;
}

TEST(Cli, CushionSearchAndTuneWriteModelsWithACushion) {
  const std::string out = test::temp_path("cushion.sqm");
  const std::string text = quoted(test::data_path("tinystories-valid-30k.txt"));
  Result r = run("cushion search --model " + quoted(good_model()) + " --text " + text + " --out " +
                 quoted(out) + " --max-len 2 --samples 1 --sample-len 16 --candidates 8");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("candidates/s"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cushion: "), std::string::npos) << r.output;
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(host::read_file(out, &bytes));
  test::LoadedModel m;
  test::load_copy(bytes, &m);
  ASSERT_EQ(m.status, Status::kOk);
  EXPECT_GE(m.model.cushion_length(), 1u);
  EXPECT_EQ(m.model.cushion_tokens()[0], 1);
  r = run("cushion search --model " + quoted(good_model()) + " --text " + text + " --out " +
          quoted(out) + " --max-len 0");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--max-len must be in [1, 64]"), std::string::npos) << r.output;
  const std::string tuned = test::temp_path("cushion-tuned.sqm");
  r = run("cushion tune --model " + quoted(out) + " --text " + text + " --out " + quoted(tuned) +
          " --steps 2 --samples 1 --sample-len 16");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("after:  loss"), std::string::npos) << r.output;
  test::LoadedModel t;
  ASSERT_TRUE(host::read_file(tuned, &bytes));
  test::load_copy(bytes, &t);
  ASSERT_EQ(t.status, Status::kOk);
  EXPECT_EQ(t.model.cushion_length(), m.model.cushion_length());
  r = run("calibrate --model " + quoted(tuned) + " --text " + text + " --offset 0 --bytes 2000 --ctx 32");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("-token cushion"), std::string::npos) << r.output;
  r = run("cushion tune --model " + quoted(good_model()) + " --text " + text + " --out " + quoted(tuned));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("no cushion to tune"), std::string::npos) << r.output;
  r = run("cushion polish --model " + quoted(good_model()));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("usage: sinkq cushion"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace sinkq
