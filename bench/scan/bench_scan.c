/* Scan benchmark: read a dataset and run the default PII detectors on
 * every field; prints throughput, rows per second and peak RSS. With
 * --read-only the detectors are skipped, to see what reading costs. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "detect.h"
#include "reader.h"
#include "../bench.h"

int
main(int argc, char **argv)
{
	_cleanup_(detector_set_freep) struct detector_set *set = NULL;
	_cleanup_(detector_scratch_freep) struct detector_scratch *sc = NULL;
	_cleanup_(reader_freep) struct reader *r = NULL;
	struct reader_options o = { .format = READER_CSV };
	enum detector_kind kinds[16];
	uint64_t hits[16] = { 0 }, rows = 0, bad = 0;
	size_t nkinds = 0, n;
	struct rusage ru;
	bool read_only = false;
	double cpu;
	char err[256];
	double t0, t1;
	int k;

	if (argc == 3 && streq(argv[1], "--read-only")) {
		read_only = true;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s [--read-only] FILE\n", argv[0]);
		return 2;
	}
	if (reader_format_from_path(argv[1], &o.format) < 0)
		o.format = READER_CSV;
	for (size_t i = 0; detector_default_names[i]; i++) {
		enum detector_kind two[2];

		if (detector_kinds_from_name(detector_default_names[i], two,
		    &n) < 0)
			return 1;
		for (size_t j = 0; j < n && nkinds < 16; j++)
			kinds[nkinds++] = two[j];
	}
	if (detector_set_new(kinds, nkinds, NULL, 0, &set, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sc = detector_scratch_new(set);
	k = reader_open(argv[1], &o, &r);
	if (k < 0 || !sc) {
		fprintf(stderr, "Failed to open '%s': %s\n", argv[1],
		    strerror(-k));
		return 1;
	}
	t0 = bench_mono();
	while ((k = reader_next(r)) != 0) {
		if (k == -EBADMSG) {
			bad++;
			continue;
		}
		if (k < 0) {
			fprintf(stderr, "Failed to read '%s': %s\n", argv[1],
			    reader_error(r));
			return 1;
		}
		rows++;
		for (size_t c = 0; !read_only && c < reader_ncolumns(r);
		    c++) {
			struct reader_field f = reader_field(r, c);
			uint64_t b;

			if (!f.value)
				continue;
			b = detector_set_scan(set, sc, f.value, f.len, false);
			for (size_t i = 0; b; i++, b >>= 1)
				hits[i] += b & 1;
		}
	}
	t1 = bench_mono();
	getrusage(RUSAGE_SELF, &ru);
	/* CPU time too: on a shared machine the wall clock also counts the
	 * time other processes held the core. Set-up is negligible. */
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("bytes %" PRIu64 " rows %" PRIu64 " malformed %" PRIu64
	       " seconds %.3f MB/s %.1f rows/s %.0f peak_rss_kib %ld"
	       " cpu_seconds %.3f cpu_MB/s %.1f\n",
	    reader_bytes(r), rows, bad, t1 - t0,
	    (double)reader_bytes(r) / 1e6 / (t1 - t0),
	    (double)rows / (t1 - t0), ru.ru_maxrss, cpu,
	    (double)reader_bytes(r) / 1e6 / cpu);
	printf("hits");
	for (size_t i = 0; i < detector_set_size(set); i++)
		printf(" %s=%" PRIu64, detector_set_name(set, i), hits[i]);
	printf("\n");
	return 0;
}
