/* The entry points a fuzz target (tests/fuzz/fuzz_<name>.c) defines. */
#ifndef CONSENTD_FUZZ_H
#define CONSENTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken invariant: say where, then crash for the fuzzer. */
#define FAIL()                                                                 \
	do {                                                                   \
		fprintf(stderr, "%s:%d: invariant broken\n", __FILE__,       \
		    __LINE__);                                                 \
		abort();                                                       \
	} while (0)

/* Called once per input; must not keep data past the call, must return 0,
 * and must not leak, log above debug, or exit. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: called once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
