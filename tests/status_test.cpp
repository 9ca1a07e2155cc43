// Every status says something of its own: a user who sees only the message
// can tell the failures apart.
#include "sinkq/status.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sinkq {
namespace {

TEST(Status, EveryCodeHasItsOwnMessage) {
  std::set<std::string> seen;
  int32_t code = 0;
  for (;; ++code) {
    const std::string m = status_message(static_cast<Status>(code));
    if (m == "unknown status") break;
    EXPECT_TRUE(seen.insert(m).second) << "code " << code << " repeats '" << m << "'";
  }
  EXPECT_GT(code, static_cast<int32_t>(Status::kTooLarge));
  EXPECT_STREQ(status_message(static_cast<Status>(-1)), "unknown status");
}

}  // namespace
}  // namespace sinkq
