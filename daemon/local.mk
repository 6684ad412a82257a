# daemon/: consentd.
noinst_LTLIBRARIES += daemon/libdaemon.la
daemon_libdaemon_la_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
daemon_libdaemon_la_LIBADD = rules/librules.la lib/libcore.la $(EVENT_LIBS) \
	$(CURL_LIBS) $(DEP_LIBS)
daemon_libdaemon_la_SOURCES = \
	daemon/consentd.h \
	daemon/config.c \
	daemon/notify.c \
	daemon/server.c \
	daemon/ledger.c \
	daemon/consents.c \
	daemon/policies.c \
	daemon/workers.c \
	daemon/check.c \
	daemon/budget.c \
	daemon/metrics.c \
	daemon/lineage.c \
	daemon/replay.c \
	daemon/alerts.c \
	daemon/tls.c

sbin_PROGRAMS += consentd
consentd_SOURCES = daemon/main.c
consentd_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
consentd_LDADD = daemon/libdaemon.la
