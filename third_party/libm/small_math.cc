#include "third_party/libm/small_math.h"

#include <cstdint>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace baton::small_math {
namespace {

uint64_t Bits(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

double FromBits(uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

std::string NanText(const char* tagp) {
  return std::string("NAN(") + (tagp != nullptr ? tagp : "") + ")";
}

}  // namespace

double Round(double x) {
  double a = x < 0 ? -x : x;
  if (!(a < 4503599627370496.0)) return x;  // 2^52: already whole; inf; NaN
  double t = static_cast<double>(static_cast<int64_t>(a));
  if (a - t >= 0.5) t += 1.0;  // a - t is exact below 2^52
  return x < 0 || (x == 0 && std::signbit(x)) ? -t : t;
}

double Nan(const char* tagp) { return std::strtod(NanText(tagp).c_str(), nullptr); }

float Nanf(const char* tagp) { return std::strtof(NanText(tagp).c_str(), nullptr); }

double Log2(double x) {
  if (x != x) return x;
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == std::numeric_limits<double>::infinity()) return x;
  int exponent = 0;
  uint64_t b = Bits(x);
  if ((b >> 52) == 0) {  // subnormal: scale into the normal range first
    x *= 18014398509481984.0;  // 2^54
    b = Bits(x);
    exponent = -54;
  }
  exponent += static_cast<int>(b >> 52) - 1023;
  double m = FromBits((b & ((uint64_t{1} << 52) - 1)) | (uint64_t{1023} << 52));  // [1, 2)
  if (m > 1.4142135623730951) {  // keep m in [sqrt(1/2), sqrt(2)): s stays small
    m *= 0.5;
    ++exponent;
  }
  if (m == 1.0) return exponent;
  // ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172: terms to s^25.
  double s = (m - 1) / (m + 1);
  double s2 = s * s;
  double sum = 0;
  for (int k = 25; k >= 3; k -= 2) sum = (sum + 1.0 / k) * s2;
  double ln = 2 * s * (1 + sum);
  return exponent + ln * 1.4426950408889634;  // 1 / ln 2
}

}  // namespace baton::small_math
