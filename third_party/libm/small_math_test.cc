#include "third_party/libm/small_math.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace baton::small_math {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(SmallMathTest, RoundMatchesLibm) {
  for (double x : {0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 0.49999999999999994, -0.49999999999999994,
                   4503599627370495.5, 4503599627370496.0, 1e300, -1e300, 123.456, -7.5, kInf,
                   -kInf, 1e-310}) {
    EXPECT_EQ(Round(x), std::round(x)) << x;
    EXPECT_EQ(std::signbit(Round(x)), std::signbit(std::round(x))) << x;
  }
  EXPECT_TRUE(std::isnan(Round(std::nan(""))));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> d(-1e6, 1e6);
  for (int i = 0; i < 100000; ++i) {
    double x = d(rng);
    ASSERT_EQ(Round(x), std::round(x)) << x;
  }
}

TEST(SmallMathTest, NanCarriesThePayload) {
  EXPECT_TRUE(std::isnan(Nan("")));
  EXPECT_TRUE(std::isnan(Nan(nullptr)));
  EXPECT_TRUE(std::isnan(Nanf("")));
  double a = Nan("0x12"), b = std::nan("0x12");
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  float c = Nanf("5"), e = std::nanf("5");
  EXPECT_EQ(std::memcmp(&c, &e, sizeof c), 0);
}

TEST(SmallMathTest, Log2WithinAFewUlp) {
  EXPECT_EQ(Log2(1), 0);
  EXPECT_EQ(Log2(8), 3);
  EXPECT_EQ(Log2(0.125), -3);
  EXPECT_EQ(Log2(0), -kInf);
  EXPECT_EQ(Log2(-0.0), -kInf);
  EXPECT_EQ(Log2(kInf), kInf);
  EXPECT_TRUE(std::isnan(Log2(-1)));
  EXPECT_TRUE(std::isnan(Log2(std::nan(""))));
  EXPECT_EQ(Log2(std::numeric_limits<double>::denorm_min()), -1074);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> mant(1, 2);
  std::uniform_int_distribution<int> exp(-1070, 1020);
  for (int i = 0; i < 200000; ++i) {
    double x = std::ldexp(mant(rng), exp(rng));
    double want = std::log2(x), got = Log2(x);
    double ulp = std::nextafter(std::fabs(want), kInf) - std::fabs(want);
    ASSERT_LE(std::fabs(got - want), 4 * ulp) << x;
  }
  for (double x : {1e-310, 3e-320, 0.9999999999999999, 1.0000000000000002, 1.4142135623730951,
                   1.4142135623730954, 0.7071067811865475}) {
    double want = std::log2(x);
    double ulp = std::nextafter(std::fabs(want), kInf) - std::fabs(want);
    EXPECT_LE(std::fabs(Log2(x) - want), 4 * ulp) << x;
  }
}

}  // namespace
}  // namespace baton::small_math
