# tests/fuzz/: fuzz targets (fuzz_<name>.c), their seed corpora (corpus/<name>/)
# and crash regressions (regressions/<name>/). `make fuzz` runs every target
# under libFuzzer; make check replays the saved inputs (replay.sh) and, when
# clang has libFuzzer, fuzzes each target briefly (smoke.sh). See
# docs/fuzzing.md.
FUZZ_SECONDS = 60
FUZZ_SMOKE_SECONDS = 5

# The configuration the scripts build with, written by make so that they
# use the same compiler, flags and libraries as the rest of the build.
fuzz/build.env: Makefile
	$(AM_V_GEN)$(MKDIR_P) fuzz && { \
	echo "# Written by make for tests/fuzz/*.sh."; \
	echo "abs_top_srcdir='$(abs_top_srcdir)'"; \
	echo "abs_top_builddir='$(abs_top_builddir)'"; \
	echo "CC='$(CC)'"; \
	echo "CPPFLAGS='$(CPPFLAGS)'"; \
	echo "CFLAGS='$(AM_CFLAGS) $(CFLAGS)'"; \
	echo "LDFLAGS='$(AM_LDFLAGS) $(LDFLAGS)'"; \
	echo "DEP_CFLAGS='$(DEP_CFLAGS)'"; \
	echo "DEP_LIBS='$(HTTP_PARSER_LIBS) $(DEP_LIBS) $(LIBS)'"; \
	echo "LIBTOOL='$(SHELL) $(abs_top_builddir)/libtool'"; \
	echo "AR='$(AR)'"; \
	echo "EXEEXT='$(EXEEXT)'"; \
	echo "FUZZ_SHELL='$(SHELL)'"; \
	echo "FUZZ_CC='$(FUZZ_CC)'"; \
	echo "FUZZ_SECONDS_DEFAULT='$(FUZZ_SECONDS)'"; \
	echo "FUZZ_SMOKE_SECONDS_DEFAULT='$(FUZZ_SMOKE_SECONDS)'"; \
	echo "LIB_SOURCES='$(lib_libcore_la_SOURCES)"; \
	echo "  $(rules_librules_la_SOURCES) cli/response.c'"; \
	} >$@-t && mv -f $@-t $@

check_DATA = fuzz/build.env
TESTS += tests/fuzz/replay.sh tests/fuzz/smoke.sh

fuzz: fuzz/build.env
	$(AM_V_at)top_builddir='$(abs_top_builddir)' \
	FUZZ_SECONDS='$(FUZZ_SECONDS)' \
	$(SHELL) $(top_srcdir)/tests/fuzz/run.sh libfuzzer
.PHONY: fuzz

# Every target (and a header shared by targets) reaches the tarball, even
# when the fragment that added it does not list it.
dist-hook: dist-fuzz-targets
dist-fuzz-targets:
	for f in $(srcdir)/tests/fuzz/fuzz_*.[ch]; do \
	  test -f "$$f" || continue; \
	  d=$(distdir)/tests/fuzz/`basename "$$f"`; \
	  test -f "$$d" || cp -p "$$f" "$$d"; \
	done
.PHONY: dist-fuzz-targets

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf fuzz
.PHONY: clean-fuzz

EXTRA_DIST += \
	docs/fuzzing.md \
	tests/fuzz/common.sh \
	tests/fuzz/fuzz.h \
	tests/fuzz/replay.sh \
	tests/fuzz/run.sh \
	tests/fuzz/smoke.sh \
	tests/fuzz/standalone.c \
	tests/fuzz/fuzz_json.c \
	tests/fuzz/fuzz_yaml.c \
	tests/fuzz/corpus \
	tests/fuzz/dict \
	tests/fuzz/regressions
