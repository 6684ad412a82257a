# rules/: the policy language and its evaluators; pure functions over inputs.
noinst_LTLIBRARIES += rules/librules.la
rules_librules_la_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
rules_librules_la_LIBADD = lib/libcore.la $(DEP_LIBS)
rules_librules_la_SOURCES = rules/consent_ledger.c rules/budget.c rules/budget.h

include rules/dp/local.mk
include rules/data.mk
include rules/policy.mk
