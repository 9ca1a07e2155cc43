#!/usr/bin/env python3
"""Summarizes a sinkq_bench JSON report (scripts/bench.sh): the machine's peak
and bandwidth, the kernels as fractions of them, and end-to-end tokens/s with
W8A8 / fp32 ratios taken from the same run."""
import json
import re
import sys


def main(path):
    with open(path) as f:
        report = json.load(f)
    ctx = report["context"]
    print("kernel family %s, clock %s GHz (measured), int8 peak %s GOP/s, fp32 peak %s GFLOP/s, "
          "DRAM read %s GB/s (measured, one core)" % (
              ctx.get("sinkq_kernel_family"), ctx.get("clock_ghz_measured"),
              ctx.get("int8_peak_gops_per_core"), ctx.get("f32_peak_gflops_per_core"),
              ctx.get("dram_read_gbs_measured_one_core")))
    runs = [b for b in report["benchmarks"] if b.get("run_type", "iteration") == "iteration"]

    print("\n| kernel | rows x cols | n | GOP/s | of peak | weight GB/s | of DRAM read |")
    print("|---|---|---|---|---|---|---|")
    for b in runs:
        m = re.match(r"BM_Gemm(S8|F32)/rows:(\d+)/cols:(\d+)/n:(\d+)", b["name"])
        if not m or "error_occurred" in b:
            continue
        print("| %s | %s x %s | %s | %.1f | %.2f | %.2f | %.2f |" % (
            "int8" if m.group(1) == "S8" else "fp32", m.group(2), m.group(3), m.group(4),
            b["ops/s"] * 1e-9, b.get("frac_peak", 0), b["wbytes/s"] * 1e-9, b.get("frac_dram", 0)))

    for b in runs:
        if b["name"].startswith("BM_InstructionMix") and "error_occurred" not in b:
            print("\n%s: %.1f GOP/s register-only, %.2f of the stated peak" % (
                b["name"].split("/")[0], b["ops/s"] * 1e-9, b.get("frac_peak", 0)), end="")
    print()

    print("\n| stage | positions | batch | mode | tokens/s | speed vs fp32 (interleaved) | arena bytes |")
    print("|---|---|---|---|---|---|---|")
    for b in runs:
        m = re.match(r"BM_(Prefill|Decode)/mode:(\d)/tokens:(\d+)(?:/batch:(\d+))?", b["name"])
        if not m:
            continue
        stage, tokens, batch = m.group(1).lower(), m.group(3), m.group(4) or "1"
        if "error_occurred" in b:
            print("| %s | %s | %s | skipped: %s | | | |" % (
                stage, tokens, batch, b.get("error_message", "?")))
            continue
        vs = b.get("vs_fp32")
        print("| %s | %s | %s | %s | %.0f | %s | %d |" % (
            stage, tokens, batch, b.get("label"), b["tokens/s"],
            "%.2f" % vs if vs else "1 (reference)", b.get("arena_bytes", 0)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/bench.json")
