// Shared pieces of the `sinkq` command-line tool.
#ifndef SINKQ_TOOLS_CLI_H_
#define SINKQ_TOOLS_CLI_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sinkq/model.h"
#include "sinkq/port/hosted.h"
#include "sinkq/session.h"

namespace sinkq {
namespace cli {

// --key value pairs and bare --flags. Unknown keys are an error.
class Args {
 public:
  // `allowed` lists the accepted keys (without "--"); a trailing '!' marks a
  // flag that takes no value.
  bool parse(int argc, char** argv, const std::vector<std::string>& allowed);
  bool has(const std::string& k) const { return kv_.count(k) != 0; }
  std::string str(const std::string& k, const std::string& def = "") const;
  long long integer(const std::string& k, long long def) const;
  double real(const std::string& k, double def) const;
  const std::string& error() const { return error_; }

 private:
  std::map<std::string, std::string> kv_;
  std::string error_;
};

// Maps and validates a model file; prints a clear error and returns false.
bool open_model(const std::string& path, port::MappedFile* file, Model* model);

// Parses --quant; returns false on an unknown name.
bool parse_quant(const std::string& s, QuantMode* q);
// Applies --quant and --classifier int8|fp32 to the options; false (after
// printing why) on a bad value.
bool parse_precision(const Args& a, SessionOptions* o);

int fail(const std::string& msg);  // prints "sinkq: msg" to stderr, returns 1

int cmd_convert(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_perplexity(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_digest(int argc, char** argv);
int cmd_sinks(int argc, char** argv);
int cmd_calibrate(int argc, char** argv);
int cmd_stats(int argc, char** argv);
int cmd_cushion(int argc, char** argv);

}  // namespace cli
}  // namespace sinkq

#endif  // SINKQ_TOOLS_CLI_H_
