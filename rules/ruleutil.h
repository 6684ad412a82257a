/* Small helpers shared by the policy and manifest parsers. */
#ifndef CONSENTD_RULEUTIL_H
#define CONSENTD_RULEUTIL_H

#include "buf.h"
#include "diag.h"
#include "macro.h"
#include "yamlnode.h"

/* Longest policy, rule, detector or group name. */
#define RULEUTIL_NAME_MAX 128
/* Most items in one list of a policy or manifest. */
#define RULEUTIL_MAX_LIST 1024

/* Reads a regular file of at most max bytes into *b (which the caller
 * initialized and frees), once, so a hash and a parse see the same bytes.
 * Errors are added to d: -errno on I/O failure, -EINVAL when the file is
 * not regular or too large. */
int ruleutil_read_file(const char *path, size_t max, struct buf *b,
    struct diag *d);

/* Adds "unknown key 'k' in <where>; expected one of: ..." for each key of
 * map not in allowed; -EINVAL if there was any. */
int ruleutil_check_keys(struct diag *d, const struct ynode *map,
    const char *const *allowed, size_t nallowed, const char *where);

/* Sorts the diagnostics from index `from` on by line and column, keeping
 * the order of those at one position, so a file's errors read top down. */
void ruleutil_sort_diag(struct diag *d, size_t from);

/* A name: up to RULEUTIL_NAME_MAX letters, digits, '.', '_' or '-',
 * starting with a letter or digit. */
bool ruleutil_name_valid(const char *s);

#endif
