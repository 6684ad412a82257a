/* The table of user-visible error codes. */
#include "config.h"

#include <string.h>

#include "err.h"
#include "macro.h"

static const struct err_info err_table[] = {
	{ ERR_OK, "ok", 200, EXIT_OK, "Success" },
	{ ERR_INTERNAL, "internal", 500, EXIT_UNAVAILABLE, "Internal error" },
	{ ERR_BAD_REQUEST, "bad_request", 400, EXIT_USAGE, "Malformed request" },
	{ ERR_NOT_FOUND, "not_found", 404, EXIT_USAGE, "No such resource" },
	{ ERR_METHOD_NOT_ALLOWED, "method_not_allowed", 405, EXIT_USAGE,
	    "Method not allowed on this resource" },
	{ ERR_PAYLOAD_TOO_LARGE, "payload_too_large", 413, EXIT_USAGE,
	    "Request body exceeds the maximum size" },
	{ ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415, EXIT_USAGE,
	    "Request body must be application/json" },
	{ ERR_INVALID_JSON, "invalid_json", 400, EXIT_USAGE,
	    "Request body is not valid JSON" },
	{ ERR_INVALID_ARGUMENT, "invalid_argument", 400, EXIT_USAGE,
	    "Invalid argument" },
	{ ERR_UNAVAILABLE, "unavailable", 503, EXIT_UNAVAILABLE,
	    "Service unavailable" },
	{ ERR_FORBIDDEN, "forbidden", 403, EXIT_USAGE,
	    "Not permitted for this caller" },
	{ ERR_CONFLICT, "conflict", 409, EXIT_NEGATIVE,
	    "Conflicts with the recorded state" },
	{ ERR_STORAGE, "storage", 500, EXIT_UNAVAILABLE, "Storage error" },
	{ ERR_VERIFICATION_FAILED, "verification_failed", 422, EXIT_NEGATIVE,
	    "Verification failed" },
	{ ERR_ENTRY_TOO_LARGE, "entry_too_large", 413, EXIT_USAGE,
	    "Ledger entry exceeds the maximum size" },
	{ ERR_OUT_OF_RANGE, "out_of_range", 400, EXIT_USAGE,
	    "Index or size out of range" },
	{ ERR_STORAGE_FULL, "storage_full", 507, EXIT_UNAVAILABLE,
	    "No space left for the ledger" },
	{ ERR_READ_ONLY, "read_only", 503, EXIT_UNAVAILABLE,
	    "The ledger is read-only" },
	{ ERR_NOT_IMPLEMENTED, "not_implemented", 501, EXIT_USAGE,
	    "No endpoint accepts this method" },
};

_Static_assert(ELEMENTSOF(err_table) == _ERR_MAX, "error table incomplete");

const struct err_info *
err_info(enum err_code code)
{
	if ((unsigned)code >= ELEMENTSOF(err_table))
		code = ERR_INTERNAL;
	return &err_table[code];
}

const struct err_info *
err_info_by_name(const char *name)
{
	for (size_t i = 0; name && i < ELEMENTSOF(err_table); i++)
		if (strcmp(err_table[i].name, name) == 0)
			return &err_table[i];
	return NULL;
}

enum err_code
err_from_errno(int r)
{
	switch (r < 0 ? -r : r) {
	case 0:
		return ERR_OK;
	case EINVAL:
	case EBADMSG:
		return ERR_INVALID_ARGUMENT;
	case ENOENT:
		return ERR_NOT_FOUND;
	case E2BIG:
	case EMSGSIZE:
		return ERR_PAYLOAD_TOO_LARGE;
	case ERANGE:
	case EDOM:
		return ERR_OUT_OF_RANGE;
	case EACCES:
	case EPERM:
		return ERR_FORBIDDEN;
	case EEXIST:
		return ERR_CONFLICT;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return ERR_STORAGE_FULL;
	case EROFS:
		return ERR_READ_ONLY;
	case EIO:
		return ERR_STORAGE;
	case EAGAIN:
	case EBUSY:
	case ESHUTDOWN:
		return ERR_UNAVAILABLE;
	default:
		return ERR_INTERNAL;
	}
}
