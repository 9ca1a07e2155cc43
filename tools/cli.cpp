#include "cli.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sinkq {
namespace cli {

bool Args::parse(int argc, char** argv, const std::vector<std::string>& allowed) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      error_ = "unexpected argument '" + a + "'";
      return false;
    }
    a = a.substr(2);
    std::string value;
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    bool known = false, flag = false;
    for (const std::string& k : allowed) {
      if (k == a || k == a + "!") {
        known = true;
        flag = k.back() == '!';
      }
    }
    if (!known) {
      error_ = "unknown option --" + a;
      return false;
    }
    if (!flag && eq == std::string::npos) {
      if (i + 1 >= argc) {
        error_ = "option --" + a + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    kv_[a] = flag ? "1" : value;
  }
  return true;
}

std::string Args::str(const std::string& k, const std::string& def) const {
  auto it = kv_.find(k);
  return it == kv_.end() ? def : it->second;
}

long long Args::integer(const std::string& k, long long def) const {
  auto it = kv_.find(k);
  if (it == kv_.end()) return def;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (errno || end == it->second.c_str() || *end) {
    std::fprintf(stderr, "sinkq: --%s expects an integer, got '%s'\n", k.c_str(), it->second.c_str());
    std::exit(2);
  }
  return v;
}

double Args::real(const std::string& k, double def) const {
  auto it = kv_.find(k);
  if (it == kv_.end()) return def;
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end) {
    std::fprintf(stderr, "sinkq: --%s expects a number, got '%s'\n", k.c_str(), it->second.c_str());
    std::exit(2);
  }
  return v;
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "sinkq: %s\n", msg.c_str());
  return 1;
}

bool open_model(const std::string& path, port::MappedFile* file, Model* model) {
  if (path.empty()) {
    fail("--model is required");
    return false;
  }
  if (!file->open(path.c_str())) {
    fail("cannot open model '" + path + "': " + std::strerror(errno));
    return false;
  }
  Status st = Model::load(file->data(), file->size(), model);
  if (st != Status::kOk) {
    fail("cannot load model '" + path + "': " + status_message(st));
    return false;
  }
  return true;
}

bool parse_quant(const std::string& s, QuantMode* q) {
  if (s == "fp32") *q = QuantMode::kFp32;
  else if (s == "w8a8-static") *q = QuantMode::kW8A8Static;
  else if (s == "w8a8-dyn-tensor") *q = QuantMode::kW8A8DynTensor;
  else if (s == "w8a8-dyn-token") *q = QuantMode::kW8A8DynToken;
  else return false;
  return true;
}

bool parse_precision(const Args& a, SessionOptions* o) {
  if (!parse_quant(a.str("quant", "fp32"), &o->quant)) {
    fail("unknown --quant '" + a.str("quant") + "' (fp32, w8a8-static, w8a8-dyn-tensor, w8a8-dyn-token)");
    return false;
  }
  const std::string cls = a.str("classifier", "int8");
  if (cls != "int8" && cls != "fp32") {
    fail("--classifier must be int8 or fp32");
    return false;
  }
  o->classifier_int8 = cls == "int8";
  return true;
}

}  // namespace cli
}  // namespace sinkq
