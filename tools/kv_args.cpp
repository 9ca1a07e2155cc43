#include "kv_args.h"

#include <cstdlib>

namespace sinkq {
namespace cli {

std::vector<std::string> with_kv_keys(std::vector<std::string> keys) {
  keys.insert(keys.end(), {"kv-bits", "sinks", "sink-slots", "kv-key-block", "kv-value-group",
                           "kv-pre-rope!", "no-cushion!"});
  return keys;
}

std::string parse_sink_policy(const std::string& s, KvOptions* o) {
  if (s == "none") {
    o->sinks = SinkPolicy::kNone;
  } else if (s == "kvsink") {
    o->sinks = SinkPolicy::kKvSink;
  } else if (s.rfind("pfn:", 0) == 0) {
    char* end = nullptr;
    const long n = std::strtol(s.c_str() + 4, &end, 10);
    if (end == s.c_str() + 4 || *end || n < 1 || n > 1 << 20) return "--sinks pfn:N needs N >= 1";
    o->sinks = SinkPolicy::kPreserveFirstN;
    o->preserve_first = static_cast<uint32_t>(n);
  } else {
    return "--sinks must be none, pfn:N or kvsink";
  }
  return "";
}

std::string parse_kv_options(const Args& a, KvOptions* o) {
  const long long bits = a.integer("kv-bits", 32);
  if (bits != 32 && bits != 8 && bits != 4 && bits != 3 && bits != 2)
    return "--kv-bits must be 32, 8, 4, 3 or 2";
  o->bits = static_cast<uint32_t>(bits);
  const long long block = a.integer("kv-key-block", o->key_block);
  const long long group = a.integer("kv-value-group", o->value_group);
  if (block < 1 || block > kMaxKeyBlock) return "--kv-key-block must be in [1, 4096]";
  if (group < 1 || group > 1 << 16) return "--kv-value-group must be >= 1";
  o->key_block = static_cast<uint32_t>(block);
  o->value_group = static_cast<uint32_t>(group);
  o->key_pre_rope = a.has("kv-pre-rope");
  o->use_cushion = !a.has("no-cushion");
  std::string err = parse_sink_policy(a.str("sinks", "none"), o);
  if (!err.empty()) return err;
  // A policy without a table size gets the PFN length or 8 slots.
  uint32_t def = 0;
  if (o->sinks == SinkPolicy::kPreserveFirstN) def = o->preserve_first;
  if (o->sinks == SinkPolicy::kKvSink) def = 8;
  const long long slots = a.integer("sink-slots", def);
  if (slots < 0 || slots > kMaxSinkSlots) return "--sink-slots must be in [0, 64]";
  o->sink_slots = static_cast<uint32_t>(slots);
  return "";
}

std::string describe_kv(const KvOptions& o) {
  std::string s = o.bits == 32 ? "fp32 KV" : std::to_string(o.bits) + "-bit KV";
  if (o.bits != 32) {
    s += " (key block " + std::to_string(o.key_block) + (o.key_pre_rope ? " pre-RoPE" : "") +
         ", value group " + std::to_string(o.value_group) + ")";
  }
  switch (o.sinks) {
    case SinkPolicy::kNone: s += ", no sinks"; break;
    case SinkPolicy::kPreserveFirstN: s += ", pfn:" + std::to_string(o.preserve_first); break;
    case SinkPolicy::kKvSink: s += ", kvsink"; break;
  }
  return s + ", " + std::to_string(o.sink_slots) + " sink slots";
}

std::vector<std::string> with_rolling_keys(std::vector<std::string> keys) {
  keys.insert(keys.end(), {"rolling!", "window"});
  return keys;
}

std::string parse_rolling(const Args& a, SessionOptions* o) {
  o->rolling = a.has("rolling");
  const long long w = a.integer("window", 0);
  if (w < 0 || w > 1 << 30) return "--window must be >= 1";
  if (w > 0 && !o->rolling) return "--window needs --rolling";
  o->window = static_cast<uint32_t>(w);
  return "";
}

}  // namespace cli
}  // namespace sinkq
