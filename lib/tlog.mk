# lib/: Merkle tree math and C2SP signed notes (lib/merkle.c, lib/note.c),
# their unit tests, the Go interoperability test, data and fuzz sources.
lib_libcore_la_SOURCES += lib/merkle.c lib/merkle.h lib/note.c lib/note.h

if HAVE_CMOCKA
tlog_unit_tests = tests/unit/test_merkle tests/unit/test_note
check_PROGRAMS += $(tlog_unit_tests)
TESTS += $(tlog_unit_tests)
tests_unit_test_merkle_SOURCES = tests/unit/test_merkle.c tests/unit/unit.h
tests_unit_test_merkle_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_merkle_LDADD = $(UNIT_LIBS)
tests_unit_test_note_SOURCES = tests/unit/test_note.c tests/unit/unit.h
tests_unit_test_note_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_note_LDADD = $(UNIT_LIBS)
endif

# Interoperability with Go's golang.org/x/mod/sumdb (skips without Go).
check_PROGRAMS += tests/interop/tlog_interop
tests_interop_tlog_interop_SOURCES = tests/interop/tlog_interop.c
tests_interop_tlog_interop_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_interop_tlog_interop_LDADD = lib/libcore.la $(DEP_LIBS)
TESTS += tests/interop/test_go_interop.sh

EXTRA_DIST += \
	tests/interop/test_go_interop.sh \
	tests/interop/tlogcheck.go \
	tests/data/merkle/rfc6962-8.txt \
	tests/data/merkle/bytes-130.txt \
	tests/data/merkle/tdev-inclusion.txt \
	tests/data/merkle/tdev-consistency.txt \
	tests/fuzz/fuzz_note.c \
	tests/fuzz/fuzz_proof.c \
	tests/fuzz/corpus/note \
	tests/fuzz/corpus/proof
