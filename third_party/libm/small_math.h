// The four libm functions the image binaries call (absl's exponential_biased:
// log2; absl's charconv: nan, nanf; absl::Seconds(double): round), written
// here so `--config=image` links no libm.so.6 (0.87 MB in the image): glibc's
// libm.a cannot go into a dynamic binary. libm_symbols.cc exports them under
// the C names, for the image build only (//third_party:absl).
#ifndef BATON_THIRD_PARTY_LIBM_SMALL_MATH_H_
#define BATON_THIRD_PARTY_LIBM_SMALL_MATH_H_

namespace baton::small_math {

// Rounds half away from zero, keeps -0.0, infinities and NaN, like round(3).
double Round(double x);

// nan(3)/nanf(3): strtod("NAN(TAGP)"), as C11 defines them.
double Nan(const char* tagp);
float Nanf(const char* tagp);

// log2(3) within a few ulp: the exponent from the bits, the mantissa's
// logarithm from the atanh series. Exact at powers of two; -inf at 0, NaN
// below 0, +inf at +inf.
double Log2(double x);

}  // namespace baton::small_math

#endif  // BATON_THIRD_PARTY_LIBM_SMALL_MATH_H_
