/* The benchmark's consent events: row i is the same event whichever path
 * records it (CSV import, single POSTs, raw SQLite, the library). */
#ifndef CONSENTD_BENCH_LEDGER_ROWS_H
#define CONSENTD_BENCH_LEDGER_ROWS_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* 2025-01-01T00:00:00Z; row i takes effect i seconds later. */
#define BENCH_ROW_EPOCH 1735689600

struct bench_row {
	char subject[32];
	const char *purpose;
	const char *event;
	char at[32];
	const char *method;
	const char *source;
	const char *text_version;
	const char *jurisdiction;
};

#define BENCH_CSV_HEADER \
	"subject,purpose,event,at,method,source,text_version,jurisdiction\n"

/* Two purposes per subject; one event in ten is a revocation. */
static inline void
bench_row(uint64_t i, struct bench_row *r)
{
	time_t t = (time_t)(BENCH_ROW_EPOCH + i);
	struct tm tm;

	snprintf(r->subject, sizeof(r->subject), "user-%08llu",
	    (unsigned long long)(i / 2));
	r->purpose = i % 2 ? "analytics" : "model-training";
	r->event = i % 10 == 9 ? "revoke" : "grant";
	gmtime_r(&t, &tm);
	strftime(r->at, sizeof(r->at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r->method = "web-form";
	r->source = "cmp.example.org";
	r->text_version = "v3";
	r->jurisdiction = "eu";
}

static inline int
bench_row_csv(const struct bench_row *r, char *out, size_t len)
{
	return snprintf(out, len, "%s,%s,%s,%s,%s,%s,%s,%s\n", r->subject,
	    r->purpose, r->event, r->at, r->method, r->source, r->text_version,
	    r->jurisdiction);
}

/* The request body a client sends for one event. */
static inline int
bench_row_json(const struct bench_row *r, char *out, size_t len)
{
	return snprintf(out, len,
	    "{\"subject\":\"%s\",\"purpose\":\"%s\",\"event\":\"%s\","
	    "\"at\":\"%s\",\"method\":\"%s\",\"source\":\"%s\","
	    "\"text_version\":\"%s\",\"jurisdiction\":\"%s\"}",
	    r->subject, r->purpose, r->event, r->at, r->method, r->source,
	    r->text_version, r->jurisdiction);
}

#endif
