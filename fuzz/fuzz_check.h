// FUZZ_CHECK: the property check of the fuzz targets. Unlike assert it is never
// compiled out; a failure prints what did not hold and aborts, which libFuzzer
// reports as a crash and saves the input. Thread-safety: n/a (single-threaded
// fuzz targets).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

// Aborts with `what` (a std::string expression, evaluated only on failure) if
// `cond` is false.
#define FUZZ_CHECK(cond, what)                                                       \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      const std::string fuzz_check_what_ = (what);                                   \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, __LINE__, \
                   #cond, fuzz_check_what_.c_str());                                 \
      std::abort();                                                                  \
    }                                                                                \
  } while (false)
