/* Diagnostics collection. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "diag.h"

void
diag_add(struct diag *d, const char *file, unsigned line, unsigned col,
    const char *fmt, ...)
{
	size_t max = d->max ? d->max : 100;
	struct diag_item *it;
	va_list ap;
	char *msg;

	if (d->n >= max) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct diag_item *p = realloc(d->items, cap * sizeof(*p));
		if (!p) {
			d->dropped++;
			return;
		}
		d->items = p;
		d->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	it = &d->items[d->n];
	it->file = strdup(file ? file : "<input>");
	it->message = msg;
	if (!it->file || !it->message) {
		free(it->file);
		free(it->message);
		d->dropped++;
		return;
	}
	it->line = line;
	it->col = col;
	d->n++;
}

size_t
diag_count(const struct diag *d)
{
	return d->n + d->dropped;
}

void
diag_print(const struct diag *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_item *it = &d->items[i];
		if (it->line && it->col)
			fprintf(f, "%s:%u:%u: %s\n", it->file, it->line,
			    it->col, it->message);
		else if (it->line)
			fprintf(f, "%s:%u: %s\n", it->file, it->line,
			    it->message);
		else
			fprintf(f, "%s: %s\n", it->file, it->message);
	}
	if (d->dropped)
		fprintf(f, "(%zu more errors not shown)\n", d->dropped);
}

void
diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	*d = (struct diag){ .max = d->max };
}
