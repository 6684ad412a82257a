/* libFuzzer target: the CSV reader (gzip too, through the magic bytes). */
#include "fuzz.h"
#include "fuzz_reader.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_reader(READER_CSV, data, size);
}
