#include "tools/mkinitramfs/kmod_index.h"

#include <cstring>

#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

uint32_t U32(const std::string& d, size_t off) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(d.data() + off);
  return (uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

// A minimal exact-match reader of the format, following libkmod's reader.
std::vector<std::string> Lookup(const std::string& d, const std::string& key) {
  uint32_t off = U32(d, 8);
  size_t i = 0;
  while (true) {
    size_t pos = off & 0x0FFFFFFF;
    if (off & 0x80000000) {
      std::string prefix(d.c_str() + pos);
      pos += prefix.size() + 1;
      if (key.compare(i, prefix.size(), prefix) != 0) return {};
      i += prefix.size();
    }
    unsigned char first = 0, last = 0;
    size_t children = 0;
    if (off & 0x20000000) {
      first = d[pos];
      last = d[pos + 1];
      children = pos + 2;
      pos = children + 4 * (last - first + 1);
    }
    if (i == key.size()) {
      std::vector<std::string> values;
      if (!(off & 0x40000000)) return values;
      uint32_t n = U32(d, pos);
      pos += 4;
      for (uint32_t k = 0; k < n; ++k) {
        pos += 4;
        values.emplace_back(d.c_str() + pos);
        pos += values.back().size() + 1;
      }
      return values;
    }
    unsigned char c = key[i++];
    if (!(off & 0x20000000) || c < first || c > last) return {};
    off = U32(d, children + 4 * (c - first));
    if (off == 0) return {};
  }
}

TEST(KmodIndexTest, HeaderAndLookups) {
  KmodIndexWriter w;
  ASSERT_TRUE(w.Insert("ask", "1").ok());
  ASSERT_TRUE(w.Insert("ate", "2").ok());
  ASSERT_TRUE(w.Insert("on", "3").ok());
  ASSERT_TRUE(w.Insert("once", "4").ok());
  ASSERT_TRUE(w.Insert("one", "5").ok());
  ASSERT_TRUE(w.Insert("one", "late", 9).ok());
  ASSERT_TRUE(w.Insert("one", "early", 1).ok());
  std::string d = w.Serialize();
  EXPECT_EQ(U32(d, 0), 0xB007F457u);
  EXPECT_EQ(U32(d, 4), 0x00020001u);
  EXPECT_EQ(Lookup(d, "ask"), std::vector<std::string>{"1"});
  EXPECT_EQ(Lookup(d, "ate"), std::vector<std::string>{"2"});
  EXPECT_EQ(Lookup(d, "on"), std::vector<std::string>{"3"});
  EXPECT_EQ(Lookup(d, "once"), std::vector<std::string>{"4"});
  EXPECT_EQ(Lookup(d, "one"), (std::vector<std::string>{"5", "early", "late"}));
  EXPECT_TRUE(Lookup(d, "o").empty());
  EXPECT_TRUE(Lookup(d, "onex").empty());
  EXPECT_TRUE(Lookup(d, "b").empty());
}

TEST(KmodIndexTest, EmptyIndexIsARootNode) {
  KmodIndexWriter w;
  std::string d = w.Serialize();
  EXPECT_EQ(d.size(), 12u);
  EXPECT_EQ(U32(d, 8), 12u);  // a node with no parts, right after the header
}

TEST(KmodIndexTest, RejectsNonAscii) {
  KmodIndexWriter w;
  EXPECT_FALSE(w.Insert("caf\xc3\xa9", "x").ok());
}

TEST(KmodIndexTest, NormalizeAlias) {
  EXPECT_EQ(*NormalizeAlias("fs-ext4"), "fs_ext4");
  EXPECT_EQ(*NormalizeAlias("pci:v[0-9]*d-x"), "pci:v[0-9]*d_x");
  EXPECT_FALSE(NormalizeAlias("a]b").ok());
  EXPECT_FALSE(NormalizeAlias("a[b").ok());
}

}  // namespace
}  // namespace baton::mkinitramfs
