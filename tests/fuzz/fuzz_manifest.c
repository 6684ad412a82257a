/* Fuzz target for rules/manifest.c: parse any bytes as a dataset manifest
 * (either form) and check the parser's promises. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "manifest.h"

static void
fuzz_manifest_check(bool ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag errors = { 0 }, warnings = { 0 };
	struct manifest *m = NULL;
	int r;

	r = manifest_parse_string("fuzz.yaml", (const char *)data, size,
	    "/data", &m, &errors, &warnings);
	if (r == 0) {
		fuzz_manifest_check(m && diag_count(&errors) == 0);
		fuzz_manifest_check(m->dataset && m->path && m->data_path);
		/* Never outside the manifest's directory. */
		fuzz_manifest_check(m->path[0] != '/');
		fuzz_manifest_check(strncmp(m->data_path, "/data/", 6) == 0);
		for (const char *c = m->path; *c;) {
			size_t len = strcspn(c, "/");

			fuzz_manifest_check(len != 2 || memcmp(c, "..", 2) != 0);
			c += len;
			if (*c == '/')
				c++;
		}
		for (size_t i = 0; i < m->nfields; i++) {
			fuzz_manifest_check(m->fields[i].name &&
			    manifest_role_name(m->fields[i].role));
			fuzz_manifest_check(manifest_field(m,
						m->fields[i].name) ==
			    &m->fields[i]);
		}
		manifest_free(m);
	} else {
		fuzz_manifest_check(m == NULL);
		if (r == -EINVAL)
			fuzz_manifest_check(diag_count(&errors) > 0);
		else
			fuzz_manifest_check(r == -ENOMEM);
	}
	diag_clear(&errors);
	diag_clear(&warnings);
	return 0;
}
