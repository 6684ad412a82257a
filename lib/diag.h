/* Collected diagnostics ("file:line:col: message"), so a parser reports every
 * error in a file rather than stopping at the first. */
#ifndef CONSENTD_DIAG_H
#define CONSENTD_DIAG_H

#include "macro.h"

struct diag_item {
	char *file;    /* owned */
	unsigned line; /* 1-based; 0 = whole file */
	unsigned col;  /* 1-based; 0 = unknown */
	char *message; /* owned */
};

struct diag {
	struct diag_item *items;
	size_t n, cap;
	size_t max;      /* further errors are counted, not stored; 0 = 100 */
	size_t dropped;
};

void diag_add(struct diag *d, const char *file, unsigned line, unsigned col,
    const char *fmt, ...) _printf_(5, 6);
size_t diag_count(const struct diag *d);
/* Prints each item as "file:line:col: message" followed by a newline. */
void diag_print(const struct diag *d, FILE *f);
void diag_clear(struct diag *d);

#endif
