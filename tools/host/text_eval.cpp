#include "text_eval.h"

#include <cmath>

#include "io.h"
#include "sinkq/port/hosted.h"
#include "sinkq/tokenizer.h"

namespace sinkq {
namespace host {

std::string select_slice(const std::string& text, const std::string& half, long long offset,
                         long long bytes, std::string* out) {
  if (!half.empty()) {
    if (offset >= 0 || bytes >= 0) return "--half cannot be combined with --offset/--bytes";
    size_t split = text.find('\n', text.size() / 2);
    split = split == std::string::npos ? text.size() : split + 1;
    if (half == "calib") *out = text.substr(0, split);
    else if (half == "eval") *out = text.substr(split);
    else return "--half must be calib or eval";
  } else {
    const size_t off = offset < 0 ? 0 : static_cast<size_t>(offset);
    if (off > text.size()) return "--offset is past the end of the text";
    const size_t n = bytes < 0 ? text.size() - off : static_cast<size_t>(bytes);
    *out = text.substr(off, n);
  }
  if (out->empty()) return "the selected text is empty";
  return "";
}

std::string encode_text(const Model& model, const std::string& text, std::vector<int32_t>* ids) {
  Tokenizer tok;
  Status st = tok.init(model);
  if (st != Status::kOk) return status_message(st);
  ids->assign(text.size() + 3, 0);
  std::vector<int32_t> scratch(ids->size());
  size_t n = 0;
  st = tok.encode(text.data(), text.size(), false, false, ids->data(), ids->size(), &n, scratch.data());
  if (st != Status::kOk) return std::string("encode: ") + status_message(st);
  ids->resize(n);
  return "";
}

std::string score_window(Session* s, const int32_t* ids, size_t m, int32_t bos, double* nll,
                         size_t* count) {
  s->reset();
  const uint32_t b = s->options().batch;
  std::vector<int32_t> in(m);
  in[0] = bos;
  for (size_t i = 1; i < m; ++i) in[i] = ids[i - 1];
  for (size_t done = 0; done < m;) {
    const uint32_t n = static_cast<uint32_t>(m - done < b ? m - done : b);
    Status st = s->forward(in.data() + done, n);
    if (st != Status::kOk) return std::string("forward: ") + status_message(st);
    for (uint32_t i = 0; i < n; ++i) {
      const float* lg = s->logits_at(i);
      const uint32_t v = s->vocab_size();
      double mx = lg[0];
      for (uint32_t j = 1; j < v; ++j) mx = lg[j] > mx ? lg[j] : mx;
      double sum = 0;
      for (uint32_t j = 0; j < v; ++j) sum += std::exp(lg[j] - mx);
      const int32_t target = ids[done + i];
      *nll += (mx + std::log(sum)) - lg[target];
      ++*count;
    }
    done += n;
  }
  return "";
}

std::string perplexity(const Model& model, const SessionOptions& opt_in, const std::string& text,
                       PerplexityResult* out) {
  std::vector<int32_t> ids;
  std::string err = encode_text(model, text, &ids);
  if (!err.empty()) return err;
  if (ids.empty()) return "the text has no tokens";
  SessionOptions opt = opt_in;
  opt.all_logits = true;
  size_t need = 0;
  Status st = Session::required_bytes(model, opt, &need);
  if (st != Status::kOk) return std::string("session: ") + status_message(st);
  AlignedBuffer arena(need);
  Session s;
  st = s.init(model, opt, arena.data(), arena.size());
  if (st != Status::kOk) return std::string("session: ") + status_message(st);
  // The context holds the model's cushion (when the session uses it) and a
  // window of text after it; a rolling session reads the text as one stream.
  const size_t window = opt.rolling ? ids.size() : s.context() - s.prefix_length();
  out->prefix = s.prefix_length();
  double nll = 0;
  size_t count = 0, windows = 0;
  const uint64_t t0 = port::now_ns();
  for (size_t at = 0; at < ids.size(); at += window) {
    const size_t m = ids.size() - at < window ? ids.size() - at : window;
    err = score_window(&s, ids.data() + at, m, model.config().bos_id, &nll, &count);
    if (!err.empty()) return err;
    ++windows;
  }
  out->seconds = (port::now_ns() - t0) * 1e-9;
  out->tokens = count;
  out->windows = windows;
  out->window = s.window();
  out->mean_nll = nll / static_cast<double>(count);
  return "";
}

}  // namespace host
}  // namespace sinkq
