#include "mathx.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace sinkq {
namespace {

int64_t ulp_distance(float a, float b) {
  int32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  if (x < 0) x = INT32_MIN - x;
  if (y < 0) y = INT32_MIN - y;
  return std::llabs(int64_t{x} - y);
}

TEST(Mathx, ExpIsWithinTwoUlpOfCorrectlyRounded) {
  int64_t worst = 0;
  for (float x = -87.f; x < 88.5f; x += 0.00731f) {
    const float want = static_cast<float>(std::exp(static_cast<double>(x)));
    worst = std::max(worst, ulp_distance(mathx::exp_f32(x), want));
  }
  EXPECT_LE(worst, 2);
  EXPECT_EQ(mathx::exp_f32(0.f), 1.f);
  EXPECT_EQ(mathx::exp_f32(-1000.f), 0.f);
  EXPECT_TRUE(std::isinf(mathx::exp_f32(1000.f)));
  EXPECT_TRUE(std::isnan(mathx::exp_f32(std::nanf(""))));
}

TEST(Mathx, DoubleHelpersMatchLibm) {
  for (double x = -30; x < 30; x += 0.0137) EXPECT_NEAR(mathx::exp_d(x) / std::exp(x), 1.0, 1e-14);
  for (double x = 1e-3; x < 1e6; x *= 1.37) EXPECT_NEAR(mathx::log_d(x), std::log(x), 1e-13);
  for (double x = -2000; x < 600000; x += 37.77) {
    double s, c;
    mathx::sincos_d(x, &s, &c);
    EXPECT_NEAR(s, std::sin(x), 1e-11) << x;
    EXPECT_NEAR(c, std::cos(x), 1e-11) << x;
  }
}

TEST(Mathx, RoundEvenBreaksTiesToEven) {
  EXPECT_EQ(mathx::round_even(0.5f), 0.f);
  EXPECT_EQ(mathx::round_even(1.5f), 2.f);
  EXPECT_EQ(mathx::round_even(2.5f), 2.f);
  EXPECT_EQ(mathx::round_even(-2.5f), -2.f);
  EXPECT_EQ(mathx::round_even(-0.49f), 0.f);
  EXPECT_EQ(mathx::round_even(126.6f), 127.f);
}

}  // namespace
}  // namespace sinkq
