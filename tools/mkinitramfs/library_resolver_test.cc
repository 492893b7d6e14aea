#include "tools/mkinitramfs/library_resolver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

namespace fs = std::filesystem;

// Follows symlinks inside SET; returns the final entry or null.
const FileSpec* Lookup(const FileSet& set, std::string path, std::string* real) {
  for (int i = 0; i < 40; ++i) {
    path = set.Canonical(path);
    const FileSpec* s = set.Find(path);
    if (s == nullptr) return nullptr;
    if (s->kind != FileSpec::Kind::kSymlink) {
      if (real != nullptr) *real = path;
      return s;
    }
    path = JoinLinkTarget(path, s->data);
  }
  return nullptr;
}

std::string TmpDir(const std::string& name) {
  std::string d = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(LibraryResolverTest, HostLsGetsLibcAndInterpreter) {
  LibraryResolver r;
  FileSet files;
  ASSERT_TRUE(r.AddWithDependencies("/bin/ls", &files).ok());
  std::string real;
  const FileSpec* ls = Lookup(files, "/bin/ls", &real);
  ASSERT_NE(ls, nullptr);
  EXPECT_EQ(ls->kind, FileSpec::Kind::kHostFile);
  const FileSpec* libc = Lookup(files, "/lib/x86_64-linux-gnu/libc.so.6", &real);
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ(libc->kind, FileSpec::Kind::kHostFile);
  // The interpreter path the kernel opens must work inside the image.
  const FileSpec* ld = Lookup(files, "/lib64/ld-linux-x86-64.so.2", &real);
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->kind, FileSpec::Kind::kHostFile);
  struct stat st;
  ASSERT_EQ(::lstat(ld->source.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << ld->source;
  // /lib64/ld-linux-x86-64.so.2 is a symlink on Debian: the link is kept.
  EXPECT_EQ(files.Find("/lib64/ld-linux-x86-64.so.2")->kind,
            FileSpec::Kind::kSymlink);
}

TEST(LibraryResolverTest, StaticBinaryAddsOnlyItself) {
  LibraryResolver r;
  FileSet files;
  ASSERT_TRUE(r.AddWithDependencies("/bin/busybox", &files).ok());
  for (const auto& [path, spec] : files.entries()) {
    EXPECT_EQ(path.find("libc"), std::string::npos) << path;
  }
}

// A sysroot with a classic (not merged-/usr) layout, filled from the host.
class SysrootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TmpDir("sysroot");
    LibraryResolver host;
    FileSet files;
    ASSERT_TRUE(host.AddWithDependencies("/bin/ls", &files).ok());
    fs::create_directories(root_ + "/bin");
    fs::create_directories(root_ + "/lib/x86_64-linux-gnu");
    fs::create_directories(root_ + "/lib64");
    for (const auto& [path, spec] : files.entries()) {
      if (spec.kind != FileSpec::Kind::kHostFile) continue;
      std::string base = fs::path(path).filename();
      std::string to = base == "ls" ? root_ + "/bin/ls"
                                    : root_ + "/lib/x86_64-linux-gnu/" + base;
      fs::copy_file(spec.source, to);
    }
    // Soname links (libpcre2-8.so.0 -> libpcre2-8.so.0.11.2), made relative.
    for (const auto& [path, spec] : files.entries()) {
      std::string base = fs::path(path).filename();
      if (spec.kind != FileSpec::Kind::kSymlink || base.find(".so") == std::string::npos ||
          fs::exists(fs::symlink_status(root_ + "/lib/x86_64-linux-gnu/" + base))) {
        continue;
      }
      fs::create_symlink(fs::path(spec.data).filename(),
                         root_ + "/lib/x86_64-linux-gnu/" + base);
    }
    // An absolute link: must resolve inside the sysroot.
    fs::create_symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                       root_ + "/lib64/ld-linux-x86-64.so.2");
  }
  std::string root_;
};

TEST_F(SysrootTest, ResolvesInsideTheSysroot) {
  LibraryResolver r(root_);
  FileSet files;
  absl::Status st = r.AddWithDependencies("/bin/ls", &files);
  ASSERT_TRUE(st.ok()) << st;
  const FileSpec* libc = files.Find("/lib/x86_64-linux-gnu/libc.so.6");
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ(libc->source, root_ + "/lib/x86_64-linux-gnu/libc.so.6");
  const FileSpec* link = files.Find("/lib64/ld-linux-x86-64.so.2");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->kind, FileSpec::Kind::kSymlink);
  EXPECT_EQ(link->data, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  ASSERT_NE(files.Find("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"), nullptr);
  for (const auto& [path, spec] : files.entries()) {
    EXPECT_EQ(path.find(root_), std::string::npos) << path;
    if (spec.kind == FileSpec::Kind::kHostFile) {
      EXPECT_EQ(spec.source.rfind(root_, 0), 0u) << spec.source;
    }
  }
}

TEST_F(SysrootTest, MissingLibraryIsNamed) {
  fs::remove(root_ + "/lib/x86_64-linux-gnu/libc.so.6");
  LibraryResolver r(root_);
  FileSet files;
  absl::Status st = r.AddWithDependencies("/bin/ls", &files);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(st.message().find("libc.so.6"), absl::string_view::npos) << st;
}

TEST_F(SysrootTest, MissingBinaryIsNotFound) {
  LibraryResolver r(root_);
  FileSet files;
  absl::Status st = r.AddWithDependencies("/bin/nope", &files);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
}

TEST(LibraryResolverTest, RunpathWithOriginBeatsRpath) {
  std::string root = TmpDir("runpath");
  fs::create_directories(root + "/opt/app/lib");
  fs::create_directories(root + "/opt/other");
  std::ofstream(root + "/opt/app/lib/libfoo.so.1") << "x";
  std::ofstream(root + "/opt/other/libfoo.so.1") << "x";
  LibraryResolver r(root);
  absl::StatusOr<std::string> dir =
      r.FindLibrary("libfoo.so.1", "/opt/app/bin/x", {"/opt/other"},
                    {"$ORIGIN/../lib"});
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, "/opt/app/lib");
  // Without a RUNPATH the RPATH is used.
  dir = r.FindLibrary("libfoo.so.1", "/opt/app/bin/x", {"/opt/other"}, {});
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(*dir, "/opt/other");
  EXPECT_FALSE(r.FindLibrary("libbar.so", "/x", {}, {}).ok());
}

}  // namespace
}  // namespace baton::mkinitramfs
