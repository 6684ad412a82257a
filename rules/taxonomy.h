/* The fideslang taxonomy (data categories and data uses) compiled in, and
 * matching of category keys on dot boundaries. */
#ifndef CONSENTD_TAXONOMY_H
#define CONSENTD_TAXONOMY_H

#include "macro.h"

enum taxonomy_kind {
	TAXONOMY_CATEGORY, /* a data category: user.contact.email */
	TAXONOMY_USE,      /* a data use: train_ai_system */
};

struct taxonomy_entry {
	enum taxonomy_kind kind;
	const char *key;         /* dotted key, e.g. "user.contact.email" */
	const char *parent;      /* parent key; NULL for a top-level entry */
	const char *name;        /* display name */
	const char *replaced_by; /* non-NULL when the entry is deprecated */
};

/* All entries, sorted by kind then key (strcmp order); static storage. */
size_t taxonomy_size(void);
const struct taxonomy_entry *taxonomy_entry_at(size_t i);

/* The entry with exactly this key, or NULL. */
const struct taxonomy_entry *taxonomy_lookup(enum taxonomy_kind kind,
    const char *key);
/* The longest known key that covers key (itself or an ancestor on a dot
 * boundary), or NULL: "user.contact.work_email" -> "user.contact". */
const struct taxonomy_entry *taxonomy_nearest(enum taxonomy_kind kind,
    const char *key);

/* True when prefix is key itself or one of its ancestors on a dot
 * boundary: "user.contact" covers "user.contact" and "user.contact.email",
 * not "user.contactless" nor "user". */
bool taxonomy_covers(const char *prefix, const char *key);

/* True for a well-formed key: one or more segments of [A-Za-z0-9_-],
 * separated by single dots, at most 255 bytes. */
bool taxonomy_key_valid(const char *key);

#endif
