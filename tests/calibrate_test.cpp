// Static activation calibration (tools/host/calibrate.cpp).
#include "host/calibrate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "host/text_eval.h"
#include "reference_llama.h"
#include "test_util.h"

namespace sinkq {
namespace {

struct Calibrated {
  test::LoadedModel lm;
  std::string text;
  Calibrated() {
    test::load_copy(test::stories260k_sqm(), &lm);
    EXPECT_EQ(host::select_slice(test::tinystories_text(), "calib", -1, -1, &text), "");
    text = text.substr(0, 4000);
  }
};

TEST(Calibrate, RejectsEmptyTextAndTextShorterThanOneContext) {
  Calibrated c;
  host::CalibrationOptions o;
  host::CalibrationResult r;
  EXPECT_EQ(host::calibrate(c.lm.model, "", o, &r), "calibration text is empty");
  o.context = 256;
  const std::string err = host::calibrate(c.lm.model, "Once upon a time.", o, &r);
  EXPECT_NE(err.find("fewer than one context of 256"), std::string::npos) << err;
  o.context = 1;
  EXPECT_NE(host::calibrate(c.lm.model, c.text, o, &r), "");
}

// Layer 0's attention input depends on the token only (RMSNorm of its
// embedding), so its max |x| over the calibration tokens can be computed
// directly from the checkpoint.
TEST(Calibrate, MaxMethodScaleIsTheObservedMaximumOver127) {
  Calibrated c;
  host::CalibrationOptions o;
  o.context = 64;
  host::CalibrationResult r;
  ASSERT_EQ(host::calibrate(c.lm.model, c.text, o, &r), "");
  test::RefModel ref;
  ASSERT_TRUE(test::read_reference(&ref));
  std::vector<int32_t> ids;
  ASSERT_EQ(host::encode_text(c.lm.model, c.text, &ids), "");
  const size_t used = ids.size() / 64 * 64;  // whole windows only
  double m = 0;
  auto row_max = [&](int tok) {
    double ss = 0;
    for (int i = 0; i < ref.dim; ++i) ss += ref.emb[tok * ref.dim + i] * ref.emb[tok * ref.dim + i];
    const double inv = 1.0 / std::sqrt(ss / ref.dim + 1e-5);
    for (int i = 0; i < ref.dim; ++i)
      m = std::max(m, std::fabs(ref.rms_att[i] * ref.emb[tok * ref.dim + i] * inv));
  };
  row_max(1);  // every window starts with BOS
  for (size_t w = 0; w < used; w += 64)
    for (size_t i = 0; i + 1 < 64; ++i) row_max(ids[w + i]);
  EXPECT_NEAR(r.absmax[kSiteAttnIn], m, 1e-4 * m);
  EXPECT_FLOAT_EQ(r.scales[kSiteAttnIn], r.absmax[kSiteAttnIn] / 127.f);
  EXPECT_EQ(r.tokens, used);
}

TEST(Calibrate, PercentileClipsBelowTheMaximum) {
  Calibrated c;
  host::CalibrationOptions o;
  o.context = 64;
  host::CalibrationResult mx, pc;
  ASSERT_EQ(host::calibrate(c.lm.model, c.text, o, &mx), "");
  o.method = format::kCalibPercentile;
  o.percentile = 99.0;
  ASSERT_EQ(host::calibrate(c.lm.model, c.text, o, &pc), "");
  for (size_t i = 0; i < mx.scales.size(); ++i) {
    EXPECT_LE(pc.scales[i], mx.scales[i]) << i;
    EXPECT_GT(pc.scales[i], 0.f);
  }
  EXPECT_LT(pc.scales[3], mx.scales[3]);  // ffn_down of layer 0 has a long tail
}

}  // namespace
}  // namespace sinkq
