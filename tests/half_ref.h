// An independent binary16 reference for tests: values decoded from their
// fields in double, rounding by search over the table of every finite value.
#ifndef SINKQ_TESTS_HALF_REF_H_
#define SINKQ_TESTS_HALF_REF_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace sinkq {
namespace test {

inline double half_value(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return h & 0x8000 ? -v : v;
}

// Every finite binary16 except -0, ascending.
inline const std::vector<std::pair<double, uint16_t>>& half_table() {
  static const std::vector<std::pair<double, uint16_t>> t = [] {
    std::vector<std::pair<double, uint16_t>> v;
    for (uint32_t h = 0; h < 0x10000; ++h)
      if ((h & 0x7C00) != 0x7C00 && h != 0x8000) v.push_back({half_value(uint16_t(h)), uint16_t(h)});
    std::sort(v.begin(), v.end());
    return v;
  }();
  return t;
}

// Round to nearest, ties to the even encoding; +-infinity from 65520 on.
inline uint16_t nearest_half(double x) {
  const auto& t = half_table();
  if (std::fabs(x) >= 65520.0) return x < 0 ? 0xFC00 : 0x7C00;
  if (x <= t.front().first) return t.front().second;
  if (x >= t.back().first) return t.back().second;
  const size_t hi = std::lower_bound(t.begin(), t.end(), std::make_pair(x, uint16_t(0))) - t.begin();
  if (t[hi].first == x) return x == 0 && std::signbit(x) ? 0x8000 : t[hi].second;
  const auto& a = t[hi - 1];
  const auto& b = t[hi];
  const double da = x - a.first, db = b.first - x;
  const uint16_t h = da != db ? (da < db ? a.second : b.second)
                              : ((a.second & 1) == 0 ? a.second : b.second);
  return h == 0 && x < 0 ? 0x8000 : h;  // IEEE keeps the sign of a value rounded to zero
}

// The largest finite binary16 <= x and the smallest >= x (|x| <= 65504).
inline double half_floor(double x) {
  const auto& t = half_table();
  return (std::upper_bound(t.begin(), t.end(), std::make_pair(x, uint16_t(0xFFFF))) - 1)->first;
}
inline double half_ceil(double x) {
  const auto& t = half_table();
  return std::lower_bound(t.begin(), t.end(), std::make_pair(x, uint16_t(0)))->first;
}

// The KV quantizer's contract: min = half_floor(lo), scale = half_ceil of
// (hi - min) / levels evaluated in float, code = round_half_even of
// (x - min) / scale evaluated in float, clamped to [0, levels].
struct RefGroup {
  double scale = 0, min = 0;
  RefGroup(double lo, double hi, uint32_t bits) {
    const float levels = static_cast<float>((1u << bits) - 1);
    min = half_floor(lo);
    const float range = static_cast<float>(hi) - static_cast<float>(min);
    scale = range > 0 ? half_ceil(range / levels) : 0.0;
  }
  double reconstruct(double x, uint32_t bits) const {
    if (scale == 0) return min;
    const float t = (static_cast<float>(x) - static_cast<float>(min)) / static_cast<float>(scale);
    double c = std::nearbyint(double(t));
    c = std::max(0.0, std::min(double((1u << bits) - 1), c));
    return c * scale + min;
  }
};

}  // namespace test
}  // namespace sinkq

#endif  // SINKQ_TESTS_HALF_REF_H_
