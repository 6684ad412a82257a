/* Unit tests for lib/yamlnode: positions, limits, refusals, typed getters. */
#include "unit.h"

#include <stdio.h>

#include "buf.h"
#include "yamlnode.h"

#define POSITIONS_YAML TEST_DATA_DIR "/lib/positions.yaml"

/* Stands in for an output that a failing call must leave alone. */
static char sentinel;
#define UNTOUCHED_DOC ((struct ydoc *)&sentinel)

static void
assert_pos(const struct ynode *n, unsigned line, unsigned col)
{
	assert_non_null(n);
	if (n->line != line || n->col != col)
		fail_msg("node at %u:%u, expected %u:%u", n->line, n->col, line,
		    col);
}

static int
load(const char *text, struct ydoc **ret, struct diag *d)
{
	return ydoc_load_string("t.yaml", text, strlen(text), ret, d);
}

/* Loads text that must be rejected; checks the one diagnostic's position
 * and that its message contains what. */
static void
assert_rejected(const char *text, unsigned line, unsigned col,
    const char *what)
{
	struct diag d = { 0 };
	struct ydoc *doc = UNTOUCHED_DOC;

	assert_int_equal(load(text, &doc, &d), -EINVAL);
	assert_ptr_equal(doc, UNTOUCHED_DOC);
	assert_int_equal(diag_count(&d), 1);
	assert_string_equal(d.items[0].file, "t.yaml");
	if (d.items[0].line != line || d.items[0].col != col)
		fail_msg("'%s' reported at %u:%u, expected %u:%u",
		    d.items[0].message, d.items[0].line, d.items[0].col, line,
		    col);
	if (!strstr(d.items[0].message, what))
		fail_msg("'%s' does not mention '%s'", d.items[0].message,
		    what);
	diag_clear(&d);
}

static void
test_positions(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };
	const struct ynode *root, *rules, *item, *b, *n;

	assert_int_equal(ydoc_load_file(POSITIONS_YAML, 0, &doc, &d), 0);
	assert_int_equal(diag_count(&d), 0);
	assert_string_equal(doc->file, POSITIONS_YAML);
	root = doc->root;
	assert_int_equal(root->type, YNODE_MAP);
	assert_pos(root, 2, 1);
	assert_ptr_equal(root->file, doc->file);
	assert_int_equal(root->n, 5);

	assert_string_equal(root->keys[0]->value, "name");
	assert_pos(root->keys[0], 2, 1);
	assert_pos(root->items[0], 2, 7);
	assert_string_equal(root->items[0]->value, "test");
	assert_true(root->items[0]->plain);

	rules = ynode_get(root, "rules");
	assert_pos(root->keys[1], 3, 1);
	assert_int_equal(rules->type, YNODE_SEQ);
	assert_pos(rules, 4, 3);
	assert_int_equal(rules->n, 1);
	item = rules->items[0];
	assert_int_equal(item->type, YNODE_MAP);
	assert_pos(item, 4, 5);
	assert_pos(item->keys[0], 4, 5);
	assert_pos(ynode_get(item, "a"), 4, 8);
	assert_string_equal(ynode_get(item, "a")->value, "1");
	assert_pos(item->keys[1], 5, 5);
	b = ynode_get(item, "b");
	assert_int_equal(b->type, YNODE_SEQ);
	assert_pos(b, 5, 8);
	assert_int_equal(b->n, 2);
	assert_pos(b->items[0], 5, 9);
	assert_string_equal(b->items[0]->value, "x");
	assert_pos(b->items[1], 5, 12);
	assert_string_equal(b->items[1]->value, "y");
	assert_false(b->items[1]->plain);

	n = ynode_get(root, "empty");
	assert_pos(root->keys[2], 6, 1);
	assert_int_equal(n->type, YNODE_SCALAR);
	assert_int_equal(n->len, 0);
	assert_true(ynode_is_null(n));

	n = ynode_get(root, "quoted");
	assert_pos(n, 7, 9);
	assert_string_equal(n->value, "null");
	assert_false(n->plain);
	assert_false(ynode_is_null(n));

	n = ynode_get(root, "nested");
	assert_int_equal(n->type, YNODE_MAP);
	assert_pos(n, 8, 9);
	assert_pos(n->keys[0], 8, 10);
	assert_pos(ynode_get(n, "k"), 8, 13);
}

static void
test_load_file_errors(void **state)
{
	struct diag d = { 0 };
	struct ydoc *doc = UNTOUCHED_DOC;

	assert_int_equal(ydoc_load_file(POSITIONS_YAML, 10, &doc, &d),
	    -EFBIG);
	assert_int_equal(diag_count(&d), 1);
	assert_string_equal(d.items[0].file, POSITIONS_YAML);
	assert_string_equal(d.items[0].message, "larger than 10 bytes");
	diag_clear(&d);

	assert_int_equal(ydoc_load_file(TEST_DATA_DIR "/lib/no-such.yaml", 0,
	    &doc, &d), -ENOENT);
	assert_int_equal(diag_count(&d), 1);
	assert_non_null(strstr(d.items[0].message, "cannot open"));
	diag_clear(&d);

	assert_int_equal(ydoc_load_file(TEST_DATA_DIR "/lib", 0, &doc, &d),
	    -EINVAL);
	assert_string_equal(d.items[0].message, "not a regular file");
	diag_clear(&d);
	assert_ptr_equal(doc, UNTOUCHED_DOC);
}

static void
test_empty_documents(void **state)
{
	static const char *const empty[] = { "", "# only a comment\n",
		"\n\n" };
	static const char *const null_root[] = { "---\n", "---\n...\n",
		"~\n" };

	/* No document at all: no root. */
	for (size_t i = 0; i < ELEMENTSOF(empty); i++) {
		struct diag d = { 0 };
		struct ydoc *doc = NULL;

		assert_int_equal(load(empty[i], &doc, &d), 0);
		assert_non_null(doc);
		assert_null(doc->root);
		assert_int_equal(diag_count(&d), 0);
		ydoc_free(doc);
	}
	/* An explicit but empty document holds a null. */
	for (size_t i = 0; i < ELEMENTSOF(null_root); i++) {
		struct diag d = { 0 };
		struct ydoc *doc = NULL;

		assert_int_equal(load(null_root[i], &doc, &d), 0);
		assert_non_null(doc->root);
		assert_true(ynode_is_null(doc->root));
		ydoc_free(doc);
	}
	ydoc_free(NULL);
}

static void
test_default_name(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };

	assert_int_equal(ydoc_load_string(NULL, "a: 1", 4, &doc, &d), 0);
	assert_string_equal(doc->file, "<input>");
	assert_string_equal(doc->root->file, "<input>");
}

static void
test_duplicate_key(void **state)
{
	assert_rejected("a: 1\nb: 2\na: 3\n", 3, 1,
	    "duplicate key 'a' (first at line 1)");
	assert_rejected("top:\n  x: 1\n  y: 2\n  x: 3\n", 4, 3,
	    "duplicate key 'x' (first at line 2)");
	assert_rejected("{k: 1, k: 2}", 1, 8, "duplicate key 'k'");
	/* The same text under different parents is fine. */
	{
		_cleanup_ydoc_ struct ydoc *doc = NULL;
		struct diag d = { 0 };

		assert_int_equal(load("a: {x: 1}\nb: {x: 1}\n", &doc, &d), 0);
	}
}

static void
test_aliases_refused(void **state)
{
	assert_rejected("a: &x 1\nb: *x\n", 2, 4, "aliases are not supported");
	assert_rejected("a: &x [1, 2]\nb: [*x]\n", 2, 5,
	    "aliases are not supported");
	assert_rejected("- &k key\n- {*k : 1}\n", 2, 4,
	    "aliases are not supported");
}

static char *
nested(unsigned depth)
{
	struct buf b = BUF_INIT(0);

	for (unsigned i = 0; i < depth; i++)
		assert_int_equal(buf_append_byte(&b, '['), 0);
	assert_int_equal(buf_append_byte(&b, '1'), 0);
	for (unsigned i = 0; i < depth; i++)
		assert_int_equal(buf_append_byte(&b, ']'), 0);
	return buf_steal(&b);
}

static void
test_depth_limit(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };
	char *text;

	/* 64 levels of lists around a scalar is the most allowed. */
	text = nested(64);
	assert_int_equal(load(text, &doc, &d), 0);
	assert_int_equal(doc->root->type, YNODE_SEQ);
	free(text);

	text = nested(65);
	assert_rejected(text, 1, 66, "nesting deeper than 64 levels");
	free(text);

	text = nested(10000);
	assert_rejected(text, 1, 66, "nesting deeper than 64 levels");
	free(text);
}

/* A list of `lists` lists of `per` scalars, then `extra` more scalars:
 * 1 + lists * (per + 1) + extra nodes. */
static char *
many_nodes(unsigned lists, unsigned per, unsigned extra)
{
	struct buf b = BUF_INIT(0);

	assert_int_equal(buf_append_byte(&b, '['), 0);
	for (unsigned i = 0; i < lists; i++) {
		assert_int_equal(buf_append_str(&b, i ? ",\n[" : "["), 0);
		for (unsigned j = 0; j < per; j++)
			assert_int_equal(buf_append_str(&b, j ? ",0" : "0"), 0);
		assert_int_equal(buf_append_byte(&b, ']'), 0);
	}
	for (unsigned i = 0; i < extra; i++)
		assert_int_equal(buf_append_str(&b, ",1"), 0);
	assert_int_equal(buf_append_byte(&b, ']'), 0);
	return buf_steal(&b);
}

static void
test_node_limit(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };
	char *text;

	/* 1 + 271 * 369 = 100,000 nodes: the limit itself is accepted. */
	text = many_nodes(271, 368, 0);
	assert_int_equal(load(text, &doc, &d), 0);
	assert_int_equal(doc->root->n, 271);
	free(text);

	/* One more node is refused, at the node that went over. */
	text = many_nodes(271, 368, 1);
	assert_rejected(text, 271, 739, "more than 100000 nodes");
	free(text);
}

static void
test_multiple_documents(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };

	assert_rejected("a: 1\n---\nb: 2\n", 2, 1,
	    "only one YAML document is allowed");
	assert_rejected("---\na: 1\n...\n---\nb: 2\n", 4, 1,
	    "only one YAML document is allowed");
	/* One explicit document is fine. */
	assert_int_equal(load("---\na: 1\n...\n", &doc, &d), 0);
	assert_string_equal(ynode_get(doc->root, "a")->value, "1");
}

static void
test_syntax_errors(void **state)
{
	assert_rejected("a: b: c\n", 1, 5,
	    "mapping values are not allowed in this context");
	assert_rejected("a: [1, 2\nb: 3\n", 2, 2,
	    "did not find expected ',' or ']' while parsing a flow sequence");
	assert_rejected("a:\n\t- b\n", 2, 1,
	    "found character that cannot start any token");
	assert_rejected("a: 'x\n", 2, 1, "found unexpected end of stream");
	assert_rejected("? [a]\n: 1\n", 1, 3, "mapping keys must be scalars");
	assert_rejected("? {a: 1}\n: 1\n", 1, 3,
	    "mapping keys must be scalars");
}

static void
test_null_detection(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };
	static const char *const nulls[] = { "a", "b", "c", "d", "e" };
	static const char *const not_nulls[] = { "f", "g", "h", "i", "j" };

	assert_int_equal(load("a: ~\nb: null\nc: Null\nd: NULL\ne:\n"
			      "f: '~'\ng: \"null\"\nh: nul\ni: {}\nj: []\n",
			     &doc, &d),
	    0);
	for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
		assert_true(ynode_is_null(ynode_get(doc->root, nulls[i])));
	for (size_t i = 0; i < ELEMENTSOF(not_nulls); i++)
		assert_false(ynode_is_null(ynode_get(doc->root, not_nulls[i])));
	assert_false(ynode_is_null(NULL));
}

static void
test_get(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	struct diag d = { 0 };
	const struct ynode *list;

	assert_int_equal(load("a: 1\nlist: [x]\n", &doc, &d), 0);
	assert_string_equal(ynode_get(doc->root, "a")->value, "1");
	assert_null(ynode_get(doc->root, "b"));
	assert_null(ynode_get(doc->root, "A"));
	list = ynode_get(doc->root, "list");
	/* Not a map: no members. */
	assert_null(ynode_get(list, "x"));
	assert_null(ynode_get(list->items[0], "x"));
	assert_null(ynode_get(NULL, "a"));
	assert_string_equal(ynode_type_name(YNODE_SCALAR), "a scalar");
	assert_string_equal(ynode_type_name(YNODE_SEQ), "a list");
	assert_string_equal(ynode_type_name(YNODE_MAP), "a mapping");
}

/* Loads text (a mapping) for the typed getter tests. */
static struct ydoc *
load_ok(const char *text)
{
	struct diag d = { 0 };
	struct ydoc *doc = NULL;

	assert_int_equal(load(text, &doc, &d), 0);
	assert_int_equal(doc->root->type, YNODE_MAP);
	return doc;
}

/* Checks that d holds exactly one diagnostic at n, with message msg. */
static void
assert_diag_at(struct diag *d, const struct ynode *n, const char *msg)
{
	assert_int_equal(diag_count(d), 1);
	assert_string_equal(d->items[0].file, "t.yaml");
	assert_int_equal(d->items[0].line, n->line);
	assert_int_equal(d->items[0].col, n->col);
	assert_string_equal(d->items[0].message, msg);
	diag_clear(d);
}

static void
test_string(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = load_ok(
	    "a: hello\nb: 'null'\nc: ~\nd: [x]\ne: \"x\\0y\"\nf: ''\n");
	struct diag d = { 0 };
	const char *s = NULL;
	static const char *const bad[] = { "c", "d", "e" };

	assert_int_equal(ynode_string(ynode_get(doc->root, "a"), &d, &s), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(ynode_string(ynode_get(doc->root, "b"), &d, &s), 0);
	assert_string_equal(s, "null");
	/* A quoted empty string is a string; a bare empty value is null. */
	assert_int_equal(ynode_string(ynode_get(doc->root, "f"), &d, &s), 0);
	assert_string_equal(s, "");
	assert_int_equal(diag_count(&d), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const struct ynode *n = ynode_get(doc->root, bad[i]);

		s = "untouched";
		assert_int_equal(ynode_string(n, &d, &s), -EINVAL);
		assert_string_equal(s, "untouched");
		assert_diag_at(&d, n, "expected a string");
	}
}

static void
test_bool(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = load_ok(
	    "t: [true, True, TRUE, yes, on]\n"
	    "f: [false, False, FALSE, no, off]\n"
	    "bad: ['true', maybe, 1, tRUE, '', [], y]\n");
	const struct ynode *t = ynode_get(doc->root, "t");
	const struct ynode *f = ynode_get(doc->root, "f");
	const struct ynode *bad = ynode_get(doc->root, "bad");
	struct diag d = { 0 };
	bool v;

	for (size_t i = 0; i < t->n; i++) {
		v = false;
		assert_int_equal(ynode_bool(t->items[i], &d, &v), 0);
		assert_true(v);
	}
	for (size_t i = 0; i < f->n; i++) {
		v = true;
		assert_int_equal(ynode_bool(f->items[i], &d, &v), 0);
		assert_false(v);
	}
	assert_int_equal(diag_count(&d), 0);
	for (size_t i = 0; i < bad->n; i++) {
		v = true;
		assert_int_equal(ynode_bool(bad->items[i], &d, &v), -EINVAL);
		assert_true(v);
		assert_diag_at(&d, bad->items[i],
		    "expected a boolean (true or false)");
	}
}

static void
test_int64(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = load_ok(
	    "ok: [0, 42, -7, 9223372036854775807]\n"
	    "bad: [43, -8, 4.2, 0x10, '', 1e3, 99999999999999999999, abc, [],"
	    " 12abc]\n");
	const struct ynode *ok = ynode_get(doc->root, "ok");
	const struct ynode *bad = ynode_get(doc->root, "bad");
	static const int64_t expect[] = { 0, 42, -7, INT64_MAX };
	struct diag d = { 0 };
	int64_t v;

	for (size_t i = 0; i < ok->n; i++) {
		assert_int_equal(ynode_int64(ok->items[i], &d, -7, INT64_MAX,
		    &v), 0);
		assert_int_equal(v, expect[i]);
	}
	/* Both bounds are inclusive. */
	assert_int_equal(ynode_int64(ok->items[1], &d, 42, 42, &v), 0);
	assert_int_equal(diag_count(&d), 0);
	for (size_t i = 0; i < bad->n; i++) {
		v = 1234;
		assert_int_equal(ynode_int64(bad->items[i], &d, -7, 42, &v),
		    -EINVAL);
		assert_int_equal(v, 1234);
		assert_diag_at(&d, bad->items[i],
		    "expected an integer between -7 and 42");
	}
}

static void
test_double(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = load_ok(
	    "ok: [1e-6, 3.5, -2, 0, 8]\n"
	    "bad: [nan, .inf, inf, 1e999, abc, '', 1.5x, {}]\n");
	const struct ynode *ok = ynode_get(doc->root, "ok");
	const struct ynode *bad = ynode_get(doc->root, "bad");
	static const double expect[] = { 1e-6, 3.5, -2, 0, 8 };
	struct diag d = { 0 };
	double v;

	for (size_t i = 0; i < ok->n; i++) {
		assert_int_equal(ynode_double(ok->items[i], &d, &v), 0);
		assert_true(v == expect[i]);
	}
	assert_int_equal(diag_count(&d), 0);
	for (size_t i = 0; i < bad->n; i++) {
		v = 1.25;
		assert_int_equal(ynode_double(bad->items[i], &d, &v), -EINVAL);
		assert_true(v == 1.25);
		assert_diag_at(&d, bad->items[i], "expected a finite number");
	}
}

static void
test_duration(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = load_ok(
	    "ok: [730d, 1h30m, 90]\nbad: [12x, '', -1, [], 99999999999999d]\n");
	const struct ynode *ok = ynode_get(doc->root, "ok");
	const struct ynode *bad = ynode_get(doc->root, "bad");
	static const usec_t expect[] = { 730 * USEC_PER_DAY,
		90 * USEC_PER_MIN, 90 * USEC_PER_SEC };
	struct diag d = { 0 };
	usec_t v;

	for (size_t i = 0; i < ok->n; i++) {
		assert_int_equal(ynode_duration(ok->items[i], &d, &v), 0);
		assert_int_equal(v, expect[i]);
	}
	assert_int_equal(diag_count(&d), 0);
	for (size_t i = 0; i < bad->n; i++) {
		v = 77;
		assert_int_equal(ynode_duration(bad->items[i], &d, &v),
		    -EINVAL);
		assert_int_equal(v, 77);
		assert_diag_at(&d, bad->items[i],
		    "expected a duration such as 730d, 12h, 30m or 500ms");
	}
}

static void
test_expect(void **state)
{
	_cleanup_ydoc_ struct ydoc *doc = load_ok("rules: [a]\nname: x\n");
	const struct ynode *rules = ynode_get(doc->root, "rules");
	const struct ynode *name = ynode_get(doc->root, "name");
	struct diag d = { 0 };

	assert_int_equal(ynode_expect(rules, YNODE_SEQ, &d, "rules"), 0);
	assert_int_equal(ynode_expect(doc->root, YNODE_MAP, &d, "a policy"),
	    0);
	assert_int_equal(diag_count(&d), 0);
	assert_int_equal(ynode_expect(rules, YNODE_MAP, &d, "rules"), -EINVAL);
	assert_diag_at(&d, rules, "expected a mapping for rules, got a list");
	assert_int_equal(ynode_expect(name, YNODE_SEQ, &d, "name"), -EINVAL);
	assert_diag_at(&d, name, "expected a list for name, got a scalar");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_default_name),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_null_detection),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_expect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
