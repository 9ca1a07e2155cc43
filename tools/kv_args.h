// Command-line options of the KV cache, shared by the commands that run a
// session: --kv-bits, --sinks, --sink-slots, --kv-key-block,
// --kv-value-group, --kv-pre-rope; and the rolling window (--rolling,
// --window) of generate and perplexity.
#ifndef SINKQ_TOOLS_KV_ARGS_H_
#define SINKQ_TOOLS_KV_ARGS_H_

#include <string>
#include <vector>

#include "cli.h"
#include "sinkq/kv.h"
#include "sinkq/session.h"

namespace sinkq {
namespace cli {

// A command's Args::parse keys plus the KV ones.
std::vector<std::string> with_kv_keys(std::vector<std::string> keys);
// Fills *o from the parsed arguments; returns an error message or "".
std::string parse_kv_options(const Args& a, KvOptions* o);
// "none", "pfn:N" or "kvsink".
std::string parse_sink_policy(const std::string& s, KvOptions* o);
// "4-bit KV, kvsink, 8 slots" etc., for reports.
std::string describe_kv(const KvOptions& o);

// The rolling-window keys (--rolling, --window W) for commands that stream.
std::vector<std::string> with_rolling_keys(std::vector<std::string> keys);
// Sets o->rolling and o->window; returns an error message or "".
std::string parse_rolling(const Args& a, SessionOptions* o);

}  // namespace cli
}  // namespace sinkq

#endif  // SINKQ_TOOLS_KV_ARGS_H_
