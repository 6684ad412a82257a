/* YAML documents loaded (with libyaml) into a tree that keeps the
 * file:line:column of every node, so schema errors can point at the text. */
#ifndef CONSENTD_YAMLNODE_H
#define CONSENTD_YAMLNODE_H

#include "diag.h"
#include "macro.h"
#include "timeutil.h"

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

struct ynode {
	enum ynode_type type;
	char *value;         /* scalar text, NUL-terminated (owned); NULL otherwise */
	size_t len;          /* scalar length in bytes (may contain NUL) */
	bool plain;          /* scalar written without quotes */
	unsigned line, col;  /* 1-based position of the node's start */
	const char *file;    /* borrowed from the document */
	/* Sequences: items[i]. Maps: keys[i] (scalars) -> items[i]. */
	struct ynode **items;
	struct ynode **keys;
	size_t n;
};

struct ydoc {
	char *file;          /* owned: name used in diagnostics */
	struct ynode *root;  /* NULL for an empty document */
};

/* Limits: input size (max_size, 0 = 4 MiB), nesting depth 64, 100,000
 * nodes; aliases are refused, and so are duplicate keys. Errors go to d;
 * returns -EINVAL on a syntax/limit error, -errno on I/O errors. */
int ydoc_load_file(const char *path, size_t max_size, struct ydoc **ret,
    struct diag *d);
int ydoc_load_string(const char *name, const char *data, size_t len,
    struct ydoc **ret, struct diag *d);
void ydoc_free(struct ydoc *doc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ydoc *, ydoc_free)
#define _cleanup_ydoc_ _cleanup_(ydoc_freep)

const char *ynode_type_name(enum ynode_type t);
/* Map lookup; NULL when absent or when map is not a map. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* Plain "~", "null", "Null", "NULL" or an empty plain scalar. */
bool ynode_is_null(const struct ynode *n);

/* Typed reads of a scalar: each returns 0, or -EINVAL after adding a
 * diagnostic "expected <what>" at the node. */
int ynode_string(const struct ynode *n, struct diag *d, const char **ret);
int ynode_bool(const struct ynode *n, struct diag *d, bool *ret);
int ynode_int64(const struct ynode *n, struct diag *d, int64_t min,
    int64_t max, int64_t *ret);
int ynode_double(const struct ynode *n, struct diag *d, double *ret);
int ynode_duration(const struct ynode *n, struct diag *d, usec_t *ret);
/* Expects a node of the given type; adds a diagnostic otherwise. */
int ynode_expect(const struct ynode *n, enum ynode_type t, struct diag *d,
    const char *what);

/* The node as JSON: plain scalars that read as integers, finite numbers,
 * booleans or null become those; everything else a string. NULL when
 * memory runs out. */
struct json_t;
struct json_t *ynode_to_json(const struct ynode *n);

#define ydiag(d, node, ...)                                                   \
	diag_add((d), (node)->file, (node)->line, (node)->col, __VA_ARGS__)

#endif
