#include "importers/line_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>

namespace detente::importers {
namespace {

class LineReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/line-reader-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    unlink((dir_ + "/plain.txt").c_str());
    unlink((dir_ + "/z.txt.gz").c_str());
    rmdir(dir_.c_str());
  }
  std::vector<std::string> ReadAll(const std::string& path) {
    auto r = LineReader::Open(path);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> lines;
    std::string line;
    while ((*r)->Next(&line)) lines.push_back(line);
    EXPECT_TRUE((*r)->status().ok());
    EXPECT_EQ((*r)->line_number(), lines.size());
    return lines;
  }
  std::string dir_;
};

const char kText[] = "one\r\ntwo\n\nthree";

TEST_F(LineReaderTest, PlainFile) {
  std::ofstream(dir_ + "/plain.txt") << kText;
  EXPECT_EQ(ReadAll(dir_ + "/plain.txt"),
            (std::vector<std::string>{"one", "two", "", "three"}));
}

TEST_F(LineReaderTest, GzipFile) {
  gzFile gz = gzopen((dir_ + "/z.txt.gz").c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzputs(gz, kText);
  gzclose(gz);
  auto r = LineReader::Open(dir_ + "/z.txt.gz");
  ASSERT_TRUE(r.ok());
  EXPECT_GT((*r)->total_bytes().value_or(0), 0u);
  EXPECT_EQ(ReadAll(dir_ + "/z.txt.gz"),
            (std::vector<std::string>{"one", "two", "", "three"}));
}

TEST_F(LineReaderTest, MissingFile) {
  EXPECT_EQ(LineReader::Open(dir_ + "/nope").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace detente::importers
