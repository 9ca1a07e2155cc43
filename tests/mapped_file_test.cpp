// The hosted file mapping: what it does with files a user may pass by mistake.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "sinkq/model.h"
#include "sinkq/port/hosted.h"
#include "test_util.h"

namespace sinkq {
namespace {

std::string temp_file(const std::string& name, const std::string& contents) {
  const std::string path = test::temp_path("mapped_" + name);
  EXPECT_TRUE(test::write_temp(path, std::vector<uint8_t>(contents.begin(), contents.end())));
  return path;
}

TEST(MappedFile, MapsAFileAligned) {
  port::MappedFile f;
  ASSERT_TRUE(f.open(temp_file("small", "hello").c_str()));
  EXPECT_EQ(f.size(), 5u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.data()) % 64, 0u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data()), 5), "hello");
}

// An empty file is a truncated model, not an open error with a stale errno.
TEST(MappedFile, EmptyFileOpensAsAnEmptyBufferTheLoaderCallsTruncated) {
  port::MappedFile f;
  ASSERT_TRUE(f.open(temp_file("empty", "").c_str()));
  EXPECT_EQ(f.size(), 0u);
  ASSERT_NE(f.data(), nullptr);
  Model m;
  EXPECT_EQ(Model::load(f.data(), f.size(), &m), Status::kTruncated);
  f.close();
  EXPECT_EQ(f.data(), nullptr);
}

TEST(MappedFile, MissingFileAndDirectoryFailWithErrno) {
  port::MappedFile f;
  errno = 0;
  EXPECT_FALSE(f.open("/nonexistent/sinkq/model.sqm"));
  EXPECT_EQ(errno, ENOENT);
  errno = 0;
  EXPECT_FALSE(f.open(::testing::TempDir().c_str()));
  EXPECT_EQ(errno, EISDIR);
  EXPECT_EQ(f.data(), nullptr);
}

}  // namespace
}  // namespace sinkq
