/* Dataset manifests (consentd-manifest(5)): the claim a data owner makes
 * about one data file, in consentd's own format or as a fideslang dataset.
 * A parsed manifest is only read afterwards and may be shared by threads. */
#ifndef CONSENTD_MANIFEST_H
#define CONSENTD_MANIFEST_H

#include "crypto.h"
#include "diag.h"
#include "macro.h"
#include "reader.h"

#define MANIFEST_MAX_SIZE ((size_t)1 << 20)
#define MANIFEST_MAX_FIELDS 4096

enum manifest_role {
	MANIFEST_ROLE_NONE,
	MANIFEST_ROLE_IDENTIFIER,
	MANIFEST_ROLE_QUASI_IDENTIFIER,
	MANIFEST_ROLE_SENSITIVE,
	MANIFEST_ROLE_TIMESTAMP,
	MANIFEST_ROLE_SAFE,
	_MANIFEST_ROLE_MAX,
};

struct manifest_field {
	char *name;          /* column name; nested JSON keys dotted: a.b */
	char **categories;   /* fideslang data category keys */
	size_t ncategories;
	enum manifest_role role;
	unsigned line, col;  /* where the field is declared */
};

struct manifest_label {
	char *key;
	char *value;
};

struct manifest {
	char *file;          /* the manifest's name in diagnostics */
	char *dataset;       /* dataset name (fideslang: fides_key) */
	char *description;   /* NULL when absent */
	char *path;          /* data path as written (relative) */
	char *data_path;     /* path joined to the manifest's directory */
	enum reader_format format;
	char *subject_field; /* NULL when not declared */
	struct manifest_label *labels;
	size_t nlabels;
	struct manifest_field *fields;
	size_t nfields;
	bool fideslang;      /* read from a fideslang dataset file */
	uint8_t hash[SHA256_LEN]; /* SHA-256 of the manifest's bytes */
	char hash_hex[2 * SHA256_LEN + 1];
};

/* Parses a manifest file (either format, told apart by the type of the
 * top-level 'dataset' key). Errors are added to errors with file:line:col
 * and every error in the file is reported; warnings (deprecated categories)
 * go to warnings, which may be NULL. Returns 0 and *ret, -EINVAL when the
 * file has errors, or -errno on I/O failure. *ret is untouched on failure. */
int manifest_parse_file(const char *path, struct manifest **ret,
    struct diag *errors, struct diag *warnings);
/* The same over bytes in memory; the data path is joined to base_dir
 * ("." when NULL). */
int manifest_parse_string(const char *name, const char *data, size_t len,
    const char *base_dir, struct manifest **ret, struct diag *errors,
    struct diag *warnings);
void manifest_free(struct manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct manifest *, manifest_free)
#define _cleanup_manifest_ _cleanup_(manifest_freep)

/* The declared field with this name, or NULL. */
const struct manifest_field *manifest_field(const struct manifest *m,
    const char *name);
/* The label's value, or NULL when the dataset has no such label. */
const char *manifest_label(const struct manifest *m, const char *key);
/* "identifier", "quasi_identifier", ...; "none" for MANIFEST_ROLE_NONE. */
const char *manifest_role_name(enum manifest_role r);

#endif
