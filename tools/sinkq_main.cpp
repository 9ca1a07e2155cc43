// sinkq: convert, generate, perplexity, info.
#include <cstdio>
#include <cstring>

#include "cli.h"

namespace {

const char kUsage[] =
    "usage: sinkq <command> [options]\n"
    "\n"
    "commands:\n"
    "  convert     --checkpoint C.bin --tokenizer T.bin --out M.sqm\n"
    "  generate    --model M.sqm [--prompt TEXT] [--steps N] [--temp T] [--seed S]\n"
    "              [--context N] [--quant MODE]\n"
    "  perplexity  --model M.sqm --text FILE [--ctx N] [--offset B] [--bytes B]\n"
    "              [--half calib|eval] [--quant MODE] [KV]\n"
    "  calibrate   --model M.sqm --text FILE [--half calib] [--ctx N]\n"
    "              [--method max|percentile] [--percentile P] [--out M2.sqm]\n"
    "  stats       --model M.sqm --text FILE [--half calib|eval] [--ctx N] [--quant MODE]\n"
    "  info        --model M.sqm [--context N] [--batch N] [--quant MODE]\n"
    "  digest      --model M.sqm [--prompt TEXT] [--steps N] [--temp T] [--seed S]\n"
    "              [--quant MODE]   (CRC of all logits and the sampled tokens)\n"
    "  sinks calibrate --model M.sqm --text FILE [--half calib] [--ctx N] [--ratio R]\n"
    "              [--max-channels N] [--out M2.sqm]   (fits the KVSink predictor)\n"
    "  sinks stats --model M.sqm --text FILE [--half eval] [--ctx N] [--ratio R] [KV]\n"
    "              (predicted vs actual attention sinks: precision, recall)\n"
    "  cushion search --model M.sqm --text FILE --out M2.sqm [--half calib] [--max-len N]\n"
    "              [--samples N] [--sample-len N] [--objective qerr|max] [--candidates N]\n"
    "              [--threads N]   (greedy CushionCache prefix search; writes the cushion)\n"
    "  cushion tune --model M.sqm --text FILE --out M2.sqm [--half calib] [--steps N] [--lr R]\n"
    "              [--lambda L] [--power P] [--samples N] [--sample-len N] [--threads N]\n"
    "              (tunes the cushion K/V: LM loss + lambda * quantization-error term, Adam)\n"
    "\n"
    "MODE: fp32 (default) | w8a8-static | w8a8-dyn-tensor | w8a8-dyn-token\n"
    "  with W8A8, --classifier int8 (default) | fp32 sets the classifier precision\n"
    "KV (generate, perplexity, info, digest, sinks stats): [--kv-bits 32|8|4|3|2] [--sinks none|pfn:N|kvsink]\n"
    "              [--sink-slots K] [--kv-key-block T] [--kv-value-group C] [--kv-pre-rope]\n"
    "              [--no-cushion]   (run without the model's prefix cushion)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace sinkq::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char* cmd = argv[1];
  if (!std::strcmp(cmd, "convert")) return cmd_convert(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "generate")) return cmd_generate(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "perplexity")) return cmd_perplexity(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "info")) return cmd_info(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "digest")) return cmd_digest(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "sinks")) return cmd_sinks(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "calibrate")) return cmd_calibrate(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "stats")) return cmd_stats(argc - 2, argv + 2);
  if (!std::strcmp(cmd, "cushion")) return cmd_cushion(argc - 2, argv + 2);
  std::fprintf(stderr, "sinkq: unknown command '%s'\n\n%s", cmd, kUsage);
  return 2;
}
