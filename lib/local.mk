# lib/: the shared core both programs and the tests link.
noinst_LTLIBRARIES += lib/libcore.la
lib_libcore_la_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
lib_libcore_la_LIBADD = $(DEP_LIBS)
lib_libcore_la_SOURCES = \
	lib/macro.h \
	lib/log.c lib/log.h \
	lib/err.c lib/err.h \
	lib/buf.c lib/buf.h \
	lib/codec.c lib/codec.h \
	lib/timeutil.c lib/timeutil.h \
	lib/diag.c lib/diag.h \
	lib/yamlnode.c lib/yamlnode.h \
	lib/json.c lib/json.h \
	lib/crypto.c lib/crypto.h

include lib/tlog.mk

# The ledger: storage interface (SQLite), the log, verification.
lib_libcore_la_SOURCES += \
	lib/store.h lib/store_sqlite.c \
	lib/ledger.h lib/ledger.c lib/ledger_verify.c lib/ledger_snapshot.c \
	lib/consent.h lib/consent.c \
	lib/job.h lib/job.c
