# cli/: consentctl.
noinst_LTLIBRARIES += cli/libcli.la
cli_libcli_la_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
cli_libcli_la_LIBADD = rules/librules.la lib/libcore.la $(HTTP_PARSER_LIBS) \
	$(DEP_LIBS)
cli_libcli_la_SOURCES = \
	cli/consentctl.h \
	cli/http.c \
	cli/response.c \
	cli/response.h \
	cli/output.c \
	cli/cmd_status.c \
	cli/cmd_consent.c \
	cli/cmd_ledger.c \
	cli/cmd_check.c \
	cli/cmd_audit.c \
	cli/cmd_policy.c \
	cli/cmd_dp.c

bin_PROGRAMS += consentctl
consentctl_SOURCES = cli/main.c
consentctl_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
consentctl_LDADD = cli/libcli.la
