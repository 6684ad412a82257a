/* The one table of user-visible error codes: API error.code, HTTP status,
 * and consentctl exit status. Codes are only ever appended, never renumbered. */
#ifndef CONSENTD_ERR_H
#define CONSENTD_ERR_H

/* consentctl exit statuses (consentctl(1)). */
enum {
	EXIT_OK = 0,          /* success, or "allow" */
	EXIT_NEGATIVE = 1,    /* a negative answer: deny, verification failed */
	EXIT_USAGE = 2,       /* usage or input error */
	EXIT_UNAVAILABLE = 3, /* daemon unreachable, or an internal error */
};

enum err_code {
	ERR_OK = 0,
	ERR_INTERNAL = 1,
	ERR_BAD_REQUEST = 2,
	ERR_NOT_FOUND = 3,
	ERR_METHOD_NOT_ALLOWED = 4,
	ERR_PAYLOAD_TOO_LARGE = 5,
	ERR_UNSUPPORTED_MEDIA_TYPE = 6,
	ERR_INVALID_JSON = 7,
	ERR_INVALID_ARGUMENT = 8,
	ERR_UNAVAILABLE = 9,
	ERR_FORBIDDEN = 10,
	ERR_CONFLICT = 11,
	ERR_STORAGE = 12,
	ERR_VERIFICATION_FAILED = 13,
	ERR_ENTRY_TOO_LARGE = 14,
	ERR_OUT_OF_RANGE = 15,
	ERR_STORAGE_FULL = 16,
	ERR_READ_ONLY = 17,
	ERR_NOT_IMPLEMENTED = 18,
	_ERR_MAX,
};

struct err_info {
	enum err_code code;
	const char *name;    /* stable machine-readable name, API error.code */
	int http_status;
	int exit_status;
	const char *message; /* default human-readable message */
};

/* Never NULL: unknown codes map to ERR_INTERNAL's entry. */
const struct err_info *err_info(enum err_code code);
/* Looks up by name; NULL if unknown. */
const struct err_info *err_info_by_name(const char *name);
/* Maps a negative errno from our own code to the closest user-visible code. */
enum err_code err_from_errno(int r);

#endif
