#include "services/common/layered_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace detente {
namespace {

class LayeredConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("DETENTE_TEST_LISTEN");
    unsetenv("DETENTE_TEST_JSON");
    unsetenv("DETENTE_CONFIG");
    file_ = (std::filesystem::temp_directory_path() / "detente-config-test.toml")
                .string();
  }
  void TearDown() override { std::filesystem::remove(file_); }

  int Run(std::vector<std::string> args) {
    app_ = std::make_unique<CLI::App>("test");
    config_ = LayeredConfig();
    listen_ = "default:1";
    level_ = "info";
    json_ = false;
    app_->add_option("--config", config_path_);
    config_.Add(app_->add_option("--listen", listen_), "listen",
                "DETENTE_TEST_LISTEN");
    config_.Add(app_->add_option("--log-level", level_), "log_level", "");
    config_.Add(app_->add_flag("--log-json", json_), "log_json",
                "DETENTE_TEST_JSON");
    std::vector<char*> argv = {const_cast<char*>("prog")};
    for (std::string& a : args) argv.push_back(a.data());
    return config_.Parse(*app_, int(argv.size()), argv.data());
  }
  void WriteFile(const std::string& text) { std::ofstream(file_) << text; }

  std::string file_, config_path_, listen_, level_;
  bool json_ = false;
  std::unique_ptr<CLI::App> app_;
  LayeredConfig config_;
};

TEST_F(LayeredConfigTest, DefaultsWhenNothingIsGiven) {
  EXPECT_EQ(Run({}), -1);
  EXPECT_EQ(listen_, "default:1");
  EXPECT_FALSE(json_);
  EXPECT_TRUE(config_.Explain().empty());
}

TEST_F(LayeredConfigTest, FlagBeatsEnvironmentBeatsFile) {
  WriteFile("listen = \"file:1\"\nlog_level = \"debug\"\nlog_json = true\n");
  EXPECT_EQ(Run({"--config", file_}), -1);
  EXPECT_EQ(listen_, "file:1");
  EXPECT_EQ(level_, "debug");
  EXPECT_TRUE(json_);

  setenv("DETENTE_TEST_LISTEN", "env:1", 1);
  EXPECT_EQ(Run({"--config", file_}), -1);
  EXPECT_EQ(listen_, "env:1");
  EXPECT_EQ(level_, "debug");  // still from the file

  EXPECT_EQ(Run({"--config", file_, "--listen", "flag:1"}), -1);
  EXPECT_EQ(listen_, "flag:1");
  // The overridden environment variable is reported, not silently dropped.
  bool reported = false;
  for (const std::string& line : config_.Explain()) {
    if (line.find("DETENTE_TEST_LISTEN ignored: --listen given") !=
        std::string::npos) {
      reported = true;
    }
  }
  EXPECT_TRUE(reported);
}

TEST_F(LayeredConfigTest, TheFileCanComeFromTheEnvironment) {
  WriteFile("listen = \"file:2\"\n");
  setenv("DETENTE_CONFIG", file_.c_str(), 1);
  EXPECT_EQ(Run({}), -1);
  EXPECT_EQ(listen_, "file:2");
  EXPECT_EQ(config_.file(), file_);
}

TEST_F(LayeredConfigTest, UnknownKeysAndBadFilesAreUsageErrors) {
  WriteFile("listen = \"x\"\nlisten_adress = \"typo\"\n");
  EXPECT_EQ(Run({"--config", file_}), 2);
  WriteFile("listen = \n");
  EXPECT_EQ(Run({"--config", file_}), 2);
  EXPECT_EQ(Run({"--config", "/nonexistent/detente.toml"}), 2);
}

TEST_F(LayeredConfigTest, FalseSwitchesInTheEnvironmentStayOff) {
  setenv("DETENTE_TEST_JSON", "false", 1);
  EXPECT_EQ(Run({}), -1);
  EXPECT_FALSE(json_);
  setenv("DETENTE_TEST_JSON", "1", 1);
  EXPECT_EQ(Run({}), -1);
  EXPECT_TRUE(json_);
}

}  // namespace
}  // namespace detente
