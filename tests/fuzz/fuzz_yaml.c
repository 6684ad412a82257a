/* Fuzz target for lib/yamlnode: load any bytes, walk the tree, read every
 * scalar with every typed getter, and check the loader's promises. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "yamlnode.h"

#define FUZZ_YAML_MAX_DEPTH 64

/* Diagnostics are printed somewhere, to exercise the formatting. */
static FILE *fuzz_yaml_sink;

static void
fuzz_yaml_check(bool ok)
{
	if (!ok)
		abort();
}

static void
fuzz_yaml_scalar(const struct ynode *n, struct diag *d)
{
	const char *s;
	bool b;
	int64_t i;
	double x;
	usec_t u;

	fuzz_yaml_check(n->value != NULL && n->value[n->len] == '\0');
	fuzz_yaml_check(!n->items && !n->keys && n->n == 0);
	if (ynode_string(n, d, &s) == 0)
		fuzz_yaml_check(s == n->value && strlen(s) == n->len &&
		    !ynode_is_null(n));
	if (ynode_bool(n, d, &b) == 0)
		fuzz_yaml_check(n->plain);
	if (ynode_int64(n, d, 0, 100, &i) == 0)
		fuzz_yaml_check(i >= 0 && i <= 100);
	(void)ynode_int64(n, d, INT64_MIN, INT64_MAX, &i);
	(void)ynode_double(n, d, &x);
	if (ynode_duration(n, d, &u) == 0)
		fuzz_yaml_check(u >= 0);
	(void)ynode_expect(n, YNODE_SCALAR, d, "a scalar");
	(void)ynode_get(n, "key");
}

static void
fuzz_yaml_walk(const struct ynode *n, const struct ydoc *doc, struct diag *d,
    unsigned depth)
{
	fuzz_yaml_check(n != NULL && depth <= FUZZ_YAML_MAX_DEPTH);
	fuzz_yaml_check(n->line >= 1 && n->col >= 1 && n->file == doc->file);
	(void)ynode_is_null(n);
	switch (n->type) {
	case YNODE_SCALAR:
		fuzz_yaml_scalar(n, d);
		return;
	case YNODE_SEQ:
		fuzz_yaml_check(!n->value && !n->keys);
		fuzz_yaml_check(ynode_expect(n, YNODE_MAP, d, "a map") < 0);
		for (size_t i = 0; i < n->n; i++)
			fuzz_yaml_walk(n->items[i], doc, d, depth + 1);
		return;
	case YNODE_MAP:
		fuzz_yaml_check(!n->value && (n->n == 0 || n->keys));
		for (size_t i = 0; i < n->n; i++) {
			const struct ynode *k = n->keys[i];

			fuzz_yaml_check(k->type == YNODE_SCALAR);
			/* Keys are unique: none equals an earlier one. */
			for (size_t j = 0; j < i; j++)
				fuzz_yaml_check(n->keys[j]->len != k->len ||
				    memcmp(n->keys[j]->value, k->value,
					k->len) != 0);
			fuzz_yaml_check(ynode_get(n, k->value) != NULL);
			fuzz_yaml_walk(k, doc, d, depth + 1);
			fuzz_yaml_walk(n->items[i], doc, d, depth + 1);
		}
		return;
	}
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct ydoc *doc = NULL;
	int r;

	if (!fuzz_yaml_sink)
		fuzz_yaml_sink = fopen("/dev/null", "we");
	r = ydoc_load_string("fuzz.yaml", (const char *)data, size, &doc, &d);
	if (r == 0) {
		fuzz_yaml_check(doc != NULL && streq(doc->file, "fuzz.yaml"));
		if (doc->root)
			fuzz_yaml_walk(doc->root, doc, &d, 0);
		ydoc_free(doc);
	} else {
		/* A failure leaves the output alone, and a refused document
		 * always says where and why. */
		fuzz_yaml_check(doc == NULL);
		if (r == -EINVAL) {
			fuzz_yaml_check(diag_count(&d) > 0);
			for (size_t i = 0; i < d.n; i++)
				fuzz_yaml_check(d.items[i].line >= 1 &&
				    d.items[i].col >= 1 &&
				    streq(d.items[i].file, "fuzz.yaml"));
		} else {
			fuzz_yaml_check(r == -ENOMEM);
		}
	}
	if (fuzz_yaml_sink)
		diag_print(&d, fuzz_yaml_sink);
	diag_clear(&d);
	return 0;
}
