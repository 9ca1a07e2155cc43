#include <cstdio>

#include "cli.h"
#include "host/calibrate.h"
#include "host/io.h"
#include "host/text_eval.h"

namespace sinkq {
namespace cli {

int cmd_calibrate(int argc, char** argv) {
  Args a;
  if (!a.parse(argc, argv, {"model", "text", "half", "offset", "bytes", "ctx", "method",
                            "percentile", "out"}))
    return fail(a.error());
  const std::string path = a.str("model");
  port::MappedFile file;
  Model model;
  if (!open_model(path, &file, &model)) return 1;
  if (a.str("text").empty()) return fail("--text is required");
  std::string text, slice;
  if (!host::read_text(a.str("text"), &text)) return fail("cannot read text '" + a.str("text") + "'");
  // Calibration defaults to the calibration half; never calibrate on eval text.
  const bool explicit_slice = a.has("offset") || a.has("bytes");
  std::string err = host::select_slice(text, explicit_slice ? "" : a.str("half", "calib"),
                                       a.integer("offset", -1), a.integer("bytes", -1), &slice);
  if (!err.empty()) return fail(err);

  host::CalibrationOptions o;
  o.context = static_cast<uint32_t>(a.integer("ctx", 256));
  const std::string method = a.str("method", "max");
  if (method == "max") o.method = format::kCalibMax;
  else if (method == "percentile") o.method = format::kCalibPercentile;
  else return fail("--method must be max or percentile");
  o.percentile = a.real("percentile", 99.99);

  host::CalibrationResult r;
  err = host::calibrate(model, slice, o, &r);
  if (!err.empty()) return fail(err);

  std::vector<host::Section> sections = host::read_sections(file.data(), file.size());
  host::put_section(&sections, host::act_quant_section(model, o, r));
  const std::vector<uint8_t> bytes = host::write_sqm(sections);
  host::AlignedBuffer check(bytes);
  Model m2;
  Status st = Model::load(check.data(), check.size(), &m2);
  if (st != Status::kOk) return fail(std::string("calibrated model does not load: ") + status_message(st));
  const std::string out = a.str("out", path);
  file.close();
  if (!host::write_file(out, bytes)) return fail("cannot write '" + out + "'");

  const ModelConfig& c = model.config();
  std::printf("calibrated %zu tokens (%s model, %s%s%s), scales written to %s\n", r.tokens,
              r.fp32_model ? "fp32" : "w8a8-dyn-token", method.c_str(),
              o.method == format::kCalibPercentile ? (" " + std::to_string(o.percentile)).c_str() : "",
              r.with_cushion ? (", after the " + std::to_string(model.cushion_length()) + "-token cushion").c_str() : "",
              out.c_str());
  std::printf("%-6s %-14s %12s %12s\n", "layer", "site", "max|x|", "scale");
  for (uint32_t l = 0; l <= c.n_layers; ++l) {
    for (uint32_t site = 0; site < kSitesPerLayer; ++site) {
      if (l == c.n_layers && site > 0) break;
      const size_t i = size_t{l} * kSitesPerLayer + site;
      std::printf("%-6u %-14s %12.4f %12.6f\n", l,
                  l == c.n_layers ? site_name(kSiteClassifierIn) : site_name(site), r.absmax[i],
                  r.scales[i]);
    }
  }
  return 0;
}

}  // namespace cli
}  // namespace sinkq
