/* Runs a fuzz target over saved inputs without libFuzzer, for make check. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#pragma weak LLVMFuzzerInitialize

/* Saved inputs are small; anything bigger is a mistake in the corpus. */
#define STANDALONE_MAX_INPUT ((size_t)64 << 20)

static const char *standalone_prog = "standalone";

/* Reads a whole file into a buffer of exactly its size, so that the
 * sanitizers catch a target reading one byte too far. */
static int
standalone_read(const char *path, uint8_t **ret_data, size_t *ret_size)
{
	struct stat st;
	uint8_t *data;
	size_t size, got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > STANDALONE_MAX_INPUT) {
		close(fd);
		return -EINVAL;
	}
	size = (size_t)st.st_size;
	/* malloc(0) gives a pointer with no usable bytes, like libFuzzer. */
	data = malloc(size);
	if (!data) {
		close(fd);
		return -ENOMEM;
	}
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(data);
			close(fd);
			return -e;
		}
		got += (size_t)n;
	}
	close(fd);
	*ret_data = data;
	*ret_size = size;
	return 0;
}

static int
standalone_run_file(const char *path, size_t *count)
{
	uint8_t *data = NULL;
	size_t size = 0;
	int r;

	r = standalone_read(path, &data, &size);
	if (r < 0) {
		fprintf(stderr, "%s: cannot read '%s': %s\n", standalone_prog,
		    path, strerror(-r));
		return r;
	}
	/* Names the input before running it, so a crash report follows it. */
	fprintf(stderr, "Running: %s (%zu bytes)\n", path, size);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	(*count)++;
	return 0;
}

static int
standalone_skip_dotfiles(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int
standalone_run_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	int n, r = 0;

	/* Sorted, so that every run replays in the same order. */
	n = scandir(dir, &names, standalone_skip_dotfiles, alphasort);
	if (n < 0) {
		int e = errno;
		fprintf(stderr, "%s: cannot list '%s': %s\n", standalone_prog,
		    dir, strerror(e));
		return -e;
	}
	for (int i = 0; i < n; i++) {
		char *path;

		if (r == 0 &&
		    asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			r = -ENOMEM;
		} else if (r == 0) {
			r = standalone_run_file(path, count);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	int r = 0;

	if (argc > 0)
		standalone_prog = argv[0];
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	/* libFuzzer always tries the empty input first; so do we. */
	{
		uint8_t *empty = malloc(0);

		if (!empty)
			return 2;
		LLVMFuzzerTestOneInput(empty, 0);
		free(empty);
		count++;
	}
	for (int i = 1; i < argc && r == 0; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			r = -errno;
			fprintf(stderr, "%s: '%s': %s\n", standalone_prog,
			    argv[i], strerror(-r));
		} else if (S_ISDIR(st.st_mode)) {
			r = standalone_run_dir(argv[i], &count);
		} else {
			r = standalone_run_file(argv[i], &count);
		}
	}
	fprintf(stderr, "%s: %zu inputs\n", standalone_prog, count);
	return r < 0 ? 2 : 0;
}
