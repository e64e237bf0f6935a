#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ctims::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ctims-static-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "web" / "assets");
    Write("web/index.html", "<!doctype html><title>app</title>");
    Write("web/assets/index-Ab12.js", "console.log(1)");
    Write("web/assets/index-Ab12.css", "body{}");
    Write("web/fonts.css", "@font-face{}");
    Write("secret.txt", "outside the root");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  StaticFiles Open() {
    auto files = StaticFiles::Open((dir_ / "web").string());
    EXPECT_TRUE(files.ok()) << files.status().message();
    return std::move(*files);
  }

  fs::path dir_;
};

TEST_F(StaticFilesTest, RefusesARootWithoutIndex) {
  fs::remove(dir_ / "web" / "index.html");
  EXPECT_FALSE(StaticFiles::Open((dir_ / "web").string()).ok());
  EXPECT_FALSE(StaticFiles::Open((dir_ / "nowhere").string()).ok());
}

TEST_F(StaticFilesTest, ServesFilesWithTheirTypeAndCaching) {
  StaticFiles files = Open();
  StaticAnswer js = files.Get("/assets/index-Ab12.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.cache_control, "public, max-age=31536000, immutable");
  EXPECT_EQ(files.Get("/assets/index-Ab12.css").content_type, "text/css; charset=utf-8");

  StaticAnswer index = files.Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.cache_control, "no-cache");

  StaticAnswer css = files.Get("/fonts.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.cache_control, "public, max-age=86400");
}

TEST_F(StaticFilesTest, AppRoutesGetIndexMissingFilesGet404) {
  StaticFiles files = Open();
  StaticAnswer route = files.Get("/cases/01J0000000000000000000000");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, "<!doctype html><title>app</title>");
  EXPECT_EQ(route.cache_control, "no-cache");
  EXPECT_EQ(files.Get("/assets/index-old.js").status, 404);
  EXPECT_EQ(files.Get("/assets/index-old.js").cache_control, "no-store");
}

TEST_F(StaticFilesTest, NeverLeavesTheRoot) {
  StaticFiles files = Open();
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/./index.html", "/..", "/a\\..\\secret.txt"}) {
    StaticAnswer a = files.Get(path);
    EXPECT_EQ(a.status, 404) << path;
    EXPECT_EQ(a.body.find("outside"), std::string::npos) << path;
  }
  EXPECT_EQ(files.Get(std::string_view("/index.html\0.js", 15)).status, 404);
  // A symbolic link inside the root that points outside it.
  fs::create_symlink(dir_ / "secret.txt", dir_ / "web" / "link.txt");
  EXPECT_EQ(files.Get("/link.txt").status, 404);
  EXPECT_EQ(files.Get("/link.txt").body.find("outside"), std::string::npos);
}

TEST(StaticFilesContentType, KnownAndUnknownExtensions) {
  EXPECT_EQ(StaticFiles::ContentType("a.woff2"), "font/woff2");
  EXPECT_EQ(StaticFiles::ContentType("a.ttf"), "font/ttf");
  EXPECT_EQ(StaticFiles::ContentType("a.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::ContentType("dir.v2/file"), "application/octet-stream");
  EXPECT_EQ(StaticFiles::ContentType("a.exe"), "application/octet-stream");
}

}  // namespace
}  // namespace ctims::http
