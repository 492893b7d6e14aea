// log2, round, nan, nanf under their C names for the image binaries, so the
// linker needs no libm (see small_math.h). Linked only with --config=image.
#include "third_party/libm/small_math.h"

extern "C" {
double log2(double x) { return baton::small_math::Log2(x); }
double round(double x) { return baton::small_math::Round(x); }
double nan(const char* tagp) { return baton::small_math::Nan(tagp); }
float nanf(const char* tagp) { return baton::small_math::Nanf(tagp); }
}
