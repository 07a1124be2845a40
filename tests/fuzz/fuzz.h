/*
 * fuzz.h - what every libFuzzer target of tests/fuzz shares: the entry
 * point's prototype, and a check that aborts (a finding libFuzzer reports
 * with the input) when a property of the code under test does not hold.
 * Built by tests/fuzz/CMakeLists.txt (`make fuzz`); run by tests/fuzz/run.
 */
#ifndef WF_FUZZ_H
#define WF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                         \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#endif
