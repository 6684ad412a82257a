/* The daemon's configuration: a table-driven schema read from YAML. */
#include "config.h"

#include <ctype.h>
#include <pwd.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "consentd.h"
#include "log.h"
#include "yamlnode.h"

enum config_type {
	CONFIG_STRING,
	CONFIG_PATH,     /* a string that must be an absolute path */
	CONFIG_INT,
	CONFIG_OCTAL,    /* permission bits such as 0660 */
	CONFIG_DURATION,
	CONFIG_LOG_LEVEL,
	CONFIG_ORIGIN,   /* a checkpoint origin: no '+', no whitespace */
	CONFIG_URL,      /* http:// or https:// URL, or empty */
	CONFIG_ALERT_FORMAT, /* json or slack */
};

struct config_key {
	const char *name;   /* dotted path in the YAML file */
	enum config_type type;
	size_t offset;      /* into struct config */
	int64_t min, max;   /* bounds for numbers and durations (µs) */
	bool reloadable;    /* a SIGHUP may change it */
};

#define OFF(f) offsetof(struct config, f)
static const struct config_key config_keys[] = {
	{ "state_dir", CONFIG_PATH, OFF(state_dir), 0, 0, false },
	{ "runtime_dir", CONFIG_PATH, OFF(runtime_dir), 0, 0, false },
	{ "socket.path", CONFIG_PATH, OFF(socket_path), 0, 0, false },
	{ "socket.group", CONFIG_STRING, OFF(socket_group), 0, 0, false },
	{ "socket.mode", CONFIG_OCTAL, OFF(socket_mode), 0, 0777, false },
	{ "policies_dir", CONFIG_PATH, OFF(policies_dir), 0, 0, true },
	{ "log_level", CONFIG_LOG_LEVEL, OFF(log_level), 0, 0, true },
	{ "http.max_request_bytes", CONFIG_INT, OFF(max_request_bytes), 1024,
	    INT64_C(1) << 30, true },
	{ "http.max_header_bytes", CONFIG_INT, OFF(max_header_bytes), 1024,
	    INT64_C(1) << 20, true },
	{ "http.timeout", CONFIG_DURATION, OFF(request_timeout),
	    100 * USEC_PER_MSEC, USEC_PER_HOUR, true },
	{ "workers", CONFIG_INT, OFF(workers), 1, 256, false },
	{ "ledger.origin", CONFIG_ORIGIN, OFF(ledger_origin), 0, 0, false },
	{ "ledger.checkpoint_interval", CONFIG_DURATION,
	    OFF(checkpoint_interval), USEC_PER_MSEC, USEC_PER_HOUR, true },
	{ "ledger.batch_max", CONFIG_INT, OFF(ledger_batch_max), 1, 100000,
	    true },
	{ "budgets.reservation_ttl", CONFIG_DURATION, OFF(reservation_ttl),
	    USEC_PER_SEC, 365 * USEC_PER_DAY, true },
	{ "tls.listen", CONFIG_STRING, OFF(tls_listen), 0, 0, false },
	{ "tls.certificate", CONFIG_PATH, OFF(tls_cert), 0, 0, false },
	{ "tls.key", CONFIG_PATH, OFF(tls_key), 0, 0, false },
	{ "tls.client_ca", CONFIG_PATH, OFF(tls_client_ca), 0, 0, false },
	{ "alerts.webhook", CONFIG_URL, OFF(alert_webhook), 0, 0, true },
	{ "alerts.format", CONFIG_ALERT_FORMAT, OFF(alert_format), 0, 0, true },
	{ "alerts.queue_max", CONFIG_INT, OFF(alert_queue_max), 1, 1000000,
	    true },
	{ "alerts.retries", CONFIG_INT, OFF(alert_retries), 1, 100, true },
	{ "alerts.timeout", CONFIG_DURATION, OFF(alert_timeout),
	    100 * USEC_PER_MSEC, 10 * USEC_PER_MIN, true },
	{ "alerts.budget_percent", CONFIG_INT, OFF(alert_budget_percent), 1,
	    100, true },
};
#undef OFF

/* What runs with no configuration file at all; also documents the
 * defaults in consentd.yaml(5). Paths left empty are resolved at start. */
const char config_embedded_default[] =
	"# consentd embedded default configuration\n"
	"log_level: info\n"
	"socket:\n"
	"  mode: \"0660\"\n"
	"http:\n"
	"  max_request_bytes: 8388608\n"
	"  max_header_bytes: 16384\n"
	"  timeout: 30s\n"
		"workers: 2\n"
	"ledger:\n"
	"  origin: consentd.local/ledger\n"
	"  checkpoint_interval: 100ms\n"
	"  batch_max: 4096\n"
	"budgets:\n"
	"  reservation_ttl: 24h\n"
	"alerts:\n"
	"  webhook: \"\"\n"
	"  format: json\n"
	"  queue_max: 1000\n"
	"  retries: 5\n"
	"  timeout: 5s\n"
	"  budget_percent: 80\n";

static char **
config_string_field(struct config *c, const struct config_key *k)
{
	return (char **)((char *)c + k->offset);
}

static int64_t *
config_int_field(struct config *c, const struct config_key *k)
{
	return (int64_t *)((char *)c + k->offset);
}

struct config *
config_new_default(void)
{
	struct config *c = calloc(1, sizeof(*c));
	struct diag d = { 0 };

	if (!c)
		return NULL;
	if (config_load_string(c, "<embedded>", config_embedded_default, &d) <
	    0) {
		diag_print(&d, stderr);
		fatal("The embedded default configuration is invalid");
	}
	diag_clear(&d);
	free(c->source);
	c->source = strdup("<embedded>");
	if (!c->source) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		if (k->type == CONFIG_STRING || k->type == CONFIG_PATH ||
		    k->type == CONFIG_LOG_LEVEL || k->type == CONFIG_ORIGIN ||
		    k->type == CONFIG_URL || k->type == CONFIG_ALERT_FORMAT)
			free(*config_string_field(c, k));
	}
	for (size_t i = 0; i < c->naccess; i++)
		free(c->access[i].principal);
	free(c->access);
	free(c->source);
	free(c);
}

static const struct {
	const char *name;
	unsigned role;
} role_names[] = {
	{ "recorder", ROLE_RECORDER },
	{ "checker", ROLE_CHECKER },
	{ "auditor", ROLE_AUDITOR },
	{ "admin", ROLE_ADMIN },
};

const char *
role_name(unsigned role)
{
	for (size_t i = 0; i < ELEMENTSOF(role_names); i++)
		if (role_names[i].role == role)
			return role_names[i].name;
	return "?";
}

static bool
principal_valid(const char *p)
{
	if (strncmp(p, "token:", 6) == 0) {
		uint8_t h[32];
		return hex_decode(p + 6, strlen(p + 6), h, sizeof(h)) == 0;
	}
	if (strncmp(p, "cert:", 5) == 0)
		return p[5] != '\0' && strlen(p) < 260 &&
		    !strpbrk(p, "\n\r");
	if (*p == '@')
		p++;
	if (!*p || strlen(p) > 64)
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
			*p == '.'))
			return false;
	return true;
}

/* access: { ROLE: [principal, ...], ... } */
static int
config_access(struct config *c, const struct ynode *map, struct diag *d)
{
	int r = 0;

	if (ynode_expect(map, YNODE_MAP, d, "access") < 0)
		return -EINVAL;
	for (size_t i = 0; i < c->naccess; i++)
		free(c->access[i].principal);
	free(c->access);
	c->access = NULL;
	c->naccess = 0;
	c->access_set = true;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *key = map->keys[i], *list = map->items[i];
		unsigned role = 0;

		for (size_t k = 0; k < ELEMENTSOF(role_names); k++)
			if (streq(key->value, role_names[k].name))
				role = role_names[k].role;
		if (!role) {
			ydiag(d, key,
			    "unknown role '%s'; expected recorder, checker, auditor or admin",
			    key->value);
			r = -EINVAL;
			continue;
		}
		if (ynode_expect(list, YNODE_SEQ, d, "a role's principals") < 0) {
			r = -EINVAL;
			continue;
		}
		for (size_t j = 0; j < list->n; j++) {
			const char *who;
			struct access_rule *p;
			if (ynode_string(list->items[j], d, &who) < 0) {
				r = -EINVAL;
				continue;
			}
			if (!principal_valid(who)) {
				ydiag(d, list->items[j],
				    "expected a user name, @group, uid, @gid, cert:COMMON-NAME or token:SHA256");
				r = -EINVAL;
				continue;
			}
			p = realloc(c->access, (c->naccess + 1) * sizeof(*p));
			if (!p)
				return -ENOMEM;
			c->access = p;
			p[c->naccess].principal = strdup(who);
			if (!p[c->naccess].principal)
				return -ENOMEM;
			/* Token hashes compare in lower case. */
			if (strncmp(who, "token:", 6) == 0)
				for (char *q = p[c->naccess].principal + 6; *q; q++)
					*q = (char)tolower((unsigned char)*q);
			p[c->naccess++].roles = role == ROLE_ADMIN ? ROLE_ALL : role;
		}
	}
	return r;
}

static const struct config_key *
config_key_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

static bool
config_has_prefix(const char *prefix, size_t len)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (strncmp(config_keys[i].name, prefix, len) == 0 &&
		    config_keys[i].name[len] == '.')
			return true;
	return false;
}

static int
config_set(struct config *c, const struct config_key *k,
    const struct ynode *n, struct diag *d)
{
	const char *s;
	int64_t v;
	usec_t u;
	char *end, *copy;

	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_LOG_LEVEL:
	case CONFIG_ORIGIN:
	case CONFIG_URL:
	case CONFIG_ALERT_FORMAT:
		if (n->type == YNODE_SCALAR && n->len == 0 &&
		    k->type == CONFIG_URL)
			s = "";
		else if (ynode_string(n, d, &s) < 0)
			return -EINVAL;
		if (k->type == CONFIG_URL && *s && strncmp(s, "http://", 7) != 0 &&
		    strncmp(s, "https://", 8) != 0) {
			ydiag(d, n, "%s: expected an http:// or https:// URL",
			    k->name);
			return -EINVAL;
		}
		if (k->type == CONFIG_ALERT_FORMAT && !streq(s, "json") &&
		    !streq(s, "slack")) {
			ydiag(d, n, "%s: expected json or slack", k->name);
			return -EINVAL;
		}
		if (k->type == CONFIG_PATH && s[0] != '/') {
			ydiag(d, n, "%s: expected an absolute path", k->name);
			return -EINVAL;
		}
		if (k->type == CONFIG_LOG_LEVEL && log_level_from_string(s) < 0) {
			ydiag(d, n,
			    "%s: expected one of debug, info, notice, warning, error",
			    k->name);
			return -EINVAL;
		}
		if (k->type == CONFIG_ORIGIN &&
		    (!*s || strpbrk(s, "+ \t\r\n") || strlen(s) > 255)) {
			ydiag(d, n,
			    "%s: expected a name without '+' or whitespace, such as example.org/ledger",
			    k->name);
			return -EINVAL;
		}
		copy = strdup(s);
		if (!copy)
			return -ENOMEM;
		free(*config_string_field(c, k));
		*config_string_field(c, k) = copy;
		return 0;
	case CONFIG_INT:
		if (ynode_int64(n, d, k->min, k->max, &v) < 0)
			return -EINVAL;
		*config_int_field(c, k) = v;
		return 0;
	case CONFIG_OCTAL:
		errno = 0;
		v = n->type == YNODE_SCALAR ? strtoll(n->value, &end, 8) : -1;
		if (n->type != YNODE_SCALAR || errno || *end || !n->len ||
		    v < k->min || v > k->max) {
			ydiag(d, n, "%s: expected octal permission bits such as \"0660\"",
			    k->name);
			return -EINVAL;
		}
		*config_int_field(c, k) = v;
		return 0;
	case CONFIG_DURATION:
		if (ynode_duration(n, d, &u) < 0)
			return -EINVAL;
		if (u < k->min || u > k->max) {
			char a[64], b[64];
			ydiag(d, n, "%s: expected a duration between %s and %s",
			    k->name, duration_format(k->min, a, sizeof(a)),
			    duration_format(k->max, b, sizeof(b)));
			return -EINVAL;
		}
		*config_int_field(c, k) = u;
		return 0;
	}
	return -EINVAL;
}

static int
config_walk(struct config *c, const struct ynode *map, const char *prefix,
    struct diag *d)
{
	int r = 0;

	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *key = map->keys[i], *val = map->items[i];
		char name[256];
		const struct config_key *k;

		if ((size_t)snprintf(name, sizeof(name), "%s%s%s", prefix,
			*prefix ? "." : "", key->value) >= sizeof(name)) {
			ydiag(d, key, "key too long");
			r = -EINVAL;
			continue;
		}
		k = config_key_find(name);
		if (streq(name, "access")) {
			if (config_access(c, val, d) < 0)
				r = -EINVAL;
		} else if (k) {
			if (config_set(c, k, val, d) < 0)
				r = -EINVAL;
		} else if (config_has_prefix(name, strlen(name))) {
			if (ynode_expect(val, YNODE_MAP, d, name) < 0)
				r = -EINVAL;
			else if (config_walk(c, val, name, d) < 0)
				r = -EINVAL;
		} else {
			ydiag(d, key, "unknown key '%s'", name);
			r = -EINVAL;
		}
	}
	return r;
}

static int
config_load_doc(struct config *c, struct ydoc *doc, struct diag *d)
{
	int r;

	if (!doc->root)
		return 0; /* an empty file keeps every default */
	if (ynode_expect(doc->root, YNODE_MAP, d, "the configuration") < 0)
		return -EINVAL;
	r = config_walk(c, doc->root, "", d);
	if (r < 0)
		return r;
	free(c->source);
	c->source = strdup(doc->file);
	return c->source ? 0 : -ENOMEM;
}

int
config_load_file(struct config *c, const char *path, struct diag *d)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	int r;

	r = ydoc_load_file(path, 1 << 20, &doc, d);
	if (r < 0)
		return r;
	return config_load_doc(c, doc, d);
}

int
config_load_string(struct config *c, const char *name, const char *text,
    struct diag *d)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	int r;

	r = ydoc_load_string(name, text, strlen(text), &doc, d);
	if (r < 0)
		return r;
	return config_load_doc(c, doc, d);
}

static int
path_join(char **ret, const char *a, const char *b)
{
	if (asprintf(ret, "%s/%s", a, b) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* $STATE_DIRECTORY may list several directories separated by ':'. */
static int
first_of_list(char **ret, const char *list)
{
	size_t n = strcspn(list, ":");

	*ret = strndup(list, n);
	return *ret ? 0 : -ENOMEM;
}

int
config_resolve_paths(struct config *c)
{
	const char *e;
	int r;

	if (!c->state_dir) {
		if ((e = getenv("STATE_DIRECTORY")) && *e)
			r = first_of_list(&c->state_dir, e);
		else if (geteuid() == 0)
			r = (c->state_dir = strdup("/var/lib/consentd")) ?
			    0 : -ENOMEM;
		else if ((e = getenv("XDG_STATE_HOME")) && *e == '/')
			r = path_join(&c->state_dir, e, "consentd");
		else if ((e = getenv("HOME")) && *e == '/') {
			_cleanup_free_ char *base = NULL;
			r = path_join(&base, e, ".local/state");
			if (r >= 0)
				r = path_join(&c->state_dir, base, "consentd");
		} else
			r = -ENOENT;
		if (r < 0)
			return r;
	}
	if (!c->runtime_dir) {
		if ((e = getenv("RUNTIME_DIRECTORY")) && *e)
			r = first_of_list(&c->runtime_dir, e);
		else if (geteuid() == 0)
			r = (c->runtime_dir = strdup("/run/consentd")) ?
			    0 : -ENOMEM;
		else if ((e = getenv("XDG_RUNTIME_DIR")) && *e == '/')
			r = path_join(&c->runtime_dir, e, "consentd");
		else
			/* No runtime dir: keep the socket with the state. */
			r = (c->runtime_dir = strdup(c->state_dir)) ? 0 : -ENOMEM;
		if (r < 0)
			return r;
	}
	if (!c->socket_path) {
		r = path_join(&c->socket_path, c->runtime_dir, "consentd.sock");
		if (r < 0)
			return r;
	}
	if (!c->policies_dir) {
		if ((e = getenv("CONFIGURATION_DIRECTORY")) && *e) {
			_cleanup_free_ char *first = NULL;
			r = first_of_list(&first, e);
			if (r >= 0)
				r = path_join(&c->policies_dir, first,
				    "policies.d");
		} else
			r = (c->policies_dir =
				    strdup(SYSCONFDIR "/consentd/policies.d")) ?
			    0 : -ENOMEM;
		if (r < 0)
			return r;
	}
	return 0;
}

void
config_keep_restart_only(struct config *next, const struct config *cur)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		bool changed;

		if (k->reloadable)
			continue;
		if (k->type == CONFIG_INT || k->type == CONFIG_OCTAL ||
		    k->type == CONFIG_DURATION) {
			int64_t *a = config_int_field(next, k);
			int64_t b = *config_int_field((struct config *)cur, k);
			changed = *a != b;
			*a = b;
		} else {
			char **a = config_string_field(next, k);
			char *b = *config_string_field((struct config *)cur, k);
			changed = !(*a == b || (*a && b && strcmp(*a, b) == 0));
			if (changed) {
				char *copy = b ? strdup(b) : NULL;
				if (b && !copy)
					continue;
				free(*a);
				*a = copy;
			}
		}
		if (changed)
			log_warning("Configuration key '%s' changed; it takes effect at the next restart",
			    k->name);
	}
}

json_t *
config_to_json(const struct config *c)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		json_t *v;
		char buf[64];

		switch (k->type) {
		case CONFIG_INT:
			v = json_integer(*config_int_field((struct config *)c, k));
			break;
		case CONFIG_OCTAL:
			snprintf(buf, sizeof(buf), "%04llo",
			    (unsigned long long)*config_int_field(
				(struct config *)c, k));
			v = json_string(buf);
			break;
		case CONFIG_DURATION:
			v = json_string(duration_format(
			    *config_int_field((struct config *)c, k), buf,
			    sizeof(buf)));
			break;
		default: {
			const char *s = *config_string_field((struct config *)c, k);
			v = s ? json_string(s) : json_null();
		}
		}
		json_object_set_new(o, k->name, v);
	}
	json_object_set_new(o, "source", json_string(c->source ? c->source : ""));
	return o;
}
