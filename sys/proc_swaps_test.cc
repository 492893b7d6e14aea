#include "sys/proc_swaps.h"

#include "gtest/gtest.h"

namespace baton::sys {
namespace {

TEST(ParseProcSwapsTest, SkipsTheHeaderAndDecodesEscapes) {
  std::string text =
      "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
      "/dev/vda3                               partition\t1048572\t\t0\t\t-2\n"
      "/swap\\040file                           file\t\t65532\t\t12\t\t-3\n";
  EXPECT_EQ(ParseProcSwaps(text),
            (std::vector<SwapArea>{{"/dev/vda3", "partition", 1048572, -2},
                                   {"/swap file", "file", 65532, -3}}));
  EXPECT_TRUE(ParseProcSwaps("Filename Type Size Used Priority\n").empty());
  EXPECT_TRUE(ParseProcSwaps("").empty());
}

TEST(ParseProcSwapsTest, ABadNumberKeepsThePath) {
  EXPECT_EQ(ParseProcSwaps("Filename Type Size Used Priority\n/dev/sdb1 partition x 0 y\n"),
            (std::vector<SwapArea>{{"/dev/sdb1", "partition", 0, 0}}));
  EXPECT_EQ(ParseProcSwaps("Filename Type Size Used Priority\n/dev/sdb1\n"),
            (std::vector<SwapArea>{{"/dev/sdb1", "", 0, 0}}));
}

}  // namespace
}  // namespace baton::sys
