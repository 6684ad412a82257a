/* YAML loading with positions, on libyaml's event parser. */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include <yaml.h>

#include "buf.h"
#include "yamlnode.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 100000
#define YAML_DEFAULT_MAX_SIZE ((size_t)4 << 20)

struct yload {
	yaml_parser_t parser;
	const char *file;
	struct diag *d;
	size_t nodes;
};

static void
ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		ynode_free(n->items[i]);
		if (n->keys)
			ynode_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->value);
	free(n);
}

void
ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	ynode_free(doc->root);
	free(doc->file);
	free(doc);
}

const char *
ynode_type_name(enum ynode_type t)
{
	switch (t) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	}
	return "?";
}

static struct ynode *
ynode_new(struct yload *l, enum ynode_type t, const yaml_mark_t *m)
{
	struct ynode *n;

	if (++l->nodes > YAML_MAX_NODES) {
		diag_add(l->d, l->file, (unsigned)m->line + 1,
		    (unsigned)m->column + 1,
		    "document has more than %d nodes", YAML_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->type = t;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	n->file = l->file;
	return n;
}

static int
ynode_push(struct ynode *parent, struct ynode *key, struct ynode *child)
{
	struct ynode **items, **keys;

	/* Grow by one; YAML documents here are small. */
	items = realloc(parent->items, (parent->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	parent->items = items;
	if (parent->type == YNODE_MAP) {
		keys = realloc(parent->keys, (parent->n + 1) * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		parent->keys = keys;
		parent->keys[parent->n] = key;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int yload_node(struct yload *l, yaml_event_t *ev, unsigned depth,
    struct ynode **ret);

static int
yload_next(struct yload *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev)) {
		if (l->parser.error == YAML_MEMORY_ERROR)
			return -ENOMEM;
		diag_add(l->d, l->file, (unsigned)l->parser.problem_mark.line + 1,
		    (unsigned)l->parser.problem_mark.column + 1, "%s%s%s",
		    l->parser.problem ? l->parser.problem : "syntax error",
		    l->parser.context ? " " : "",
		    l->parser.context ? l->parser.context : "");
		return -EINVAL;
	}
	return 0;
}

static int
yload_collection(struct yload *l, struct ynode *n, unsigned depth)
{
	yaml_event_t ev;
	int r;

	for (;;) {
		struct ynode *key = NULL, *val = NULL;

		r = yload_next(l, &ev);
		if (r < 0)
			return r;
		if (ev.type == YAML_SEQUENCE_END_EVENT ||
		    ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		r = yload_node(l, &ev, depth + 1, n->type == YNODE_MAP ? &key : &val);
		yaml_event_delete(&ev);
		if (r < 0)
			return r;
		if (n->type == YNODE_MAP) {
			if (key->type != YNODE_SCALAR) {
				ydiag(l->d, key, "mapping keys must be scalars");
				ynode_free(key);
				return -EINVAL;
			}
			for (size_t i = 0; i < n->n; i++)
				if (n->keys[i]->len == key->len &&
				    memcmp(n->keys[i]->value, key->value,
					key->len) == 0) {
					ydiag(l->d, key,
					    "duplicate key '%s' (first at line %u)",
					    key->value, n->keys[i]->line);
					ynode_free(key);
					return -EINVAL;
				}
			r = yload_next(l, &ev);
			if (r < 0) {
				ynode_free(key);
				return r;
			}
			r = yload_node(l, &ev, depth + 1, &val);
			yaml_event_delete(&ev);
			if (r < 0) {
				ynode_free(key);
				return r;
			}
		}
		r = ynode_push(n, key, val);
		if (r < 0) {
			ynode_free(key);
			ynode_free(val);
			return r;
		}
	}
}

static int
yload_node(struct yload *l, yaml_event_t *ev, unsigned depth,
    struct ynode **ret)
{
	struct ynode *n;
	int r;

	if (depth > YAML_MAX_DEPTH) {
		diag_add(l->d, l->file, (unsigned)ev->start_mark.line + 1,
		    (unsigned)ev->start_mark.column + 1,
		    "nesting deeper than %d levels", YAML_MAX_DEPTH);
		return -EINVAL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ynode_new(l, YNODE_SCALAR, &ev->start_mark);
		if (!n)
			return l->nodes > YAML_MAX_NODES ? -EINVAL : -ENOMEM;
		n->len = ev->data.scalar.length;
		n->value = malloc(n->len + 1);
		if (!n->value) {
			ynode_free(n);
			return -ENOMEM;
		}
		memcpy(n->value, ev->data.scalar.value, n->len);
		n->value[n->len] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		*ret = n;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = ynode_new(l,
		    ev->type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQ : YNODE_MAP,
		    &ev->start_mark);
		if (!n)
			return l->nodes > YAML_MAX_NODES ? -EINVAL : -ENOMEM;
		r = yload_collection(l, n, depth);
		if (r < 0) {
			ynode_free(n);
			return r;
		}
		*ret = n;
		return 0;
	case YAML_ALIAS_EVENT:
		diag_add(l->d, l->file, (unsigned)ev->start_mark.line + 1,
		    (unsigned)ev->start_mark.column + 1,
		    "aliases are not supported");
		return -EINVAL;
	default:
		diag_add(l->d, l->file, (unsigned)ev->start_mark.line + 1,
		    (unsigned)ev->start_mark.column + 1, "unexpected YAML event");
		return -EINVAL;
	}
}

int
ydoc_load_string(const char *name, const char *data, size_t len,
    struct ydoc **ret, struct diag *d)
{
	struct ydoc *doc;
	struct yload l = { .d = d };
	yaml_event_t ev;
	int r = 0;
	bool in_doc = false, seen_doc = false;

	doc = calloc(1, sizeof(*doc));
	if (!doc)
		return -ENOMEM;
	doc->file = strdup(name ? name : "<input>");
	if (!doc->file) {
		free(doc);
		return -ENOMEM;
	}
	l.file = doc->file;
	if (!yaml_parser_initialize(&l.parser)) {
		ydoc_free(doc);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)data, len);
	for (;;) {
		r = yload_next(&l, &ev);
		if (r < 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (seen_doc) {
				diag_add(d, l.file, (unsigned)ev.start_mark.line + 1,
				    (unsigned)ev.start_mark.column + 1,
				    "only one YAML document is allowed");
				yaml_event_delete(&ev);
				r = -EINVAL;
				break;
			}
			in_doc = seen_doc = true;
		} else if (ev.type == YAML_DOCUMENT_END_EVENT) {
			in_doc = false;
		} else if (in_doc && !doc->root &&
		    ev.type != YAML_STREAM_START_EVENT) {
			r = yload_node(&l, &ev, 0, &doc->root);
			if (r < 0) {
				yaml_event_delete(&ev);
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&l.parser);
	if (r < 0) {
		ydoc_free(doc);
		return r;
	}
	*ret = doc;
	return 0;
}

int
ydoc_load_file(const char *path, size_t max_size, struct ydoc **ret,
    struct diag *d)
{
	_cleanup_close_ int fd = -1;
	_cleanup_buf_ struct buf b = BUF_INIT(0);
	struct stat st;
	char chunk[16384];
	ssize_t n;

	if (!max_size)
		max_size = YAML_DEFAULT_MAX_SIZE;
	b.max = max_size;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		diag_add(d, path, 0, 0, "cannot open: %s", strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, path, 0, 0, "not a regular file");
		return -EINVAL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			diag_add(d, path, 0, 0, "read failed: %s", strerror(e));
			return -e;
		}
		if (buf_append(&b, chunk, (size_t)n) < 0) {
			diag_add(d, path, 0, 0, "larger than %zu bytes",
			    max_size);
			return -EFBIG;
		}
	}
	return ydoc_load_string(path, b.data ? b.data : "", b.len, ret, d);
}

const struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return map->items[i];
	return NULL;
}

bool
ynode_is_null(const struct ynode *n)
{
	if (!n || n->type != YNODE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || streq(n->value, "~") || streq(n->value, "null") ||
	    streq(n->value, "Null") || streq(n->value, "NULL");
}

int
ynode_expect(const struct ynode *n, enum ynode_type t, struct diag *d,
    const char *what)
{
	if (n->type == t)
		return 0;
	ydiag(d, n, "expected %s for %s, got %s", ynode_type_name(t), what,
	    ynode_type_name(n->type));
	return -EINVAL;
}

int
ynode_string(const struct ynode *n, struct diag *d, const char **ret)
{
	if (n->type != YNODE_SCALAR || ynode_is_null(n) ||
	    strlen(n->value) != n->len) {
		ydiag(d, n, "expected a string");
		return -EINVAL;
	}
	*ret = n->value;
	return 0;
}

int
ynode_bool(const struct ynode *n, struct diag *d, bool *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "on" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "off" };

	if (n->type == YNODE_SCALAR && n->plain) {
		for (size_t i = 0; i < ELEMENTSOF(yes); i++)
			if (streq(n->value, yes[i])) {
				*ret = true;
				return 0;
			}
		for (size_t i = 0; i < ELEMENTSOF(no); i++)
			if (streq(n->value, no[i])) {
				*ret = false;
				return 0;
			}
	}
	ydiag(d, n, "expected a boolean (true or false)");
	return -EINVAL;
}

int
ynode_int64(const struct ynode *n, struct diag *d, int64_t min, int64_t max,
    int64_t *ret)
{
	char *end;
	long long v;

	if (n->type == YNODE_SCALAR && n->len > 0) {
		errno = 0;
		v = strtoll(n->value, &end, 10);
		if (errno == 0 && *end == '\0' && v >= min && v <= max) {
			*ret = v;
			return 0;
		}
	}
	ydiag(d, n, "expected an integer between %lld and %lld",
	    (long long)min, (long long)max);
	return -EINVAL;
}

int
ynode_double(const struct ynode *n, struct diag *d, double *ret)
{
	char *end;
	double v;

	if (n->type == YNODE_SCALAR && n->len > 0) {
		errno = 0;
		v = strtod(n->value, &end);
		if (errno == 0 && *end == '\0' && isfinite(v)) {
			*ret = v;
			return 0;
		}
	}
	ydiag(d, n, "expected a finite number");
	return -EINVAL;
}

int
ynode_duration(const struct ynode *n, struct diag *d, usec_t *ret)
{
	if (n->type == YNODE_SCALAR && duration_parse(n->value, ret) == 0)
		return 0;
	ydiag(d, n, "expected a duration such as 730d, 12h, 30m or 500ms");
	return -EINVAL;
}

json_t *
ynode_to_json(const struct ynode *n)
{
	json_t *o;
	bool b;

	switch (n->type) {
	case YNODE_SCALAR:
		if (n->plain) {
			char *end;
			long long i;
			double d;
			if (ynode_is_null(n))
				return json_null();
			if (streq(n->value, "true") || streq(n->value, "false") ||
			    streq(n->value, "True") || streq(n->value, "False")) {
				b = n->value[0] == 't' || n->value[0] == 'T';
				return json_boolean(b);
			}
			errno = 0;
			i = strtoll(n->value, &end, 10);
			if (!errno && *end == '\0' && n->len > 0)
				return json_integer(i);
			errno = 0;
			d = strtod(n->value, &end);
			if (!errno && *end == '\0' && n->len > 0 && isfinite(d))
				return json_real(d);
		}
		return json_stringn(n->value, n->len);
	case YNODE_SEQ:
		o = json_array();
		for (size_t i = 0; o && i < n->n; i++)
			if (json_array_append_new(o, ynode_to_json(n->items[i])) < 0) {
				json_decref(o);
				return NULL;
			}
		return o;
	case YNODE_MAP:
		o = json_object();
		for (size_t i = 0; o && i < n->n; i++)
			if (json_object_setn_new(o, n->keys[i]->value,
				n->keys[i]->len, ynode_to_json(n->items[i])) < 0) {
				json_decref(o);
				return NULL;
			}
		return o;
	}
	return NULL;
}
