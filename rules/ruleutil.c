/* Helpers shared by the policy and manifest parsers. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "ruleutil.h"

int
ruleutil_read_file(const char *path, size_t max, struct buf *b,
    struct diag *d)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char chunk[16384];
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		diag_add(d, path, 0, 0, "cannot open: %s", strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		diag_add(d, path, 0, 0, "cannot stat: %s", strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, path, 0, 0, "not a regular file");
		return -EINVAL;
	}
	b->max = max;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			diag_add(d, path, 0, 0, "read failed: %s", strerror(e));
			return -e;
		}
		if (buf_append(b, chunk, (size_t)n) < 0) {
			diag_add(d, path, 0, 0, "larger than %zu bytes", max);
			return -EINVAL;
		}
	}
	return 0;
}

/* Joins names for "expected one of" messages. */
static void
join_names(char *out, size_t outlen, const char *const *names, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < outlen; i++) {
		int w = snprintf(out + o, outlen - o, "%s%s", i ? ", " : "",
		    names[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

int
ruleutil_check_keys(struct diag *d, const struct ynode *map,
    const char *const *allowed, size_t nallowed, const char *where)
{
	char expected[512];
	int r = 0;

	for (size_t i = 0; i < map->n; i++) {
		bool ok = false;

		for (size_t j = 0; j < nallowed && !ok; j++)
			ok = streq(map->keys[i]->value, allowed[j]);
		if (ok)
			continue;
		join_names(expected, sizeof(expected), allowed, nallowed);
		ydiag(d, map->keys[i],
		    "unknown key '%s' in %s; expected one of: %s",
		    map->keys[i]->value, where, expected);
		r = -EINVAL;
	}
	return r;
}

bool
ruleutil_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > RULEUTIL_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

void
ruleutil_sort_diag(struct diag *d, size_t from)
{
	/* Insertion sort: stable, and a file has few diagnostics. */
	for (size_t i = from + 1; i < d->n; i++) {
		struct diag_item it = d->items[i];
		size_t j = i;

		while (j > from && (d->items[j - 1].line > it.line ||
			   (d->items[j - 1].line == it.line &&
			       d->items[j - 1].col > it.col))) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = it;
	}
}
