/*
 * fuzz: the libFuzzer entry point every target in tests/fuzz/ defines.
 * Built with clang -fsanitize=fuzzer by `make fuzz`; linked with replay.c
 * instead, every target also runs its corpus as an ordinary ctest test.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
