/* systemd integration without libsystemd: sd_notify and socket activation
 * are small, stable protocols (sd_notify(3), sd_listen_fds(3)). */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "consentd.h"

#define SD_LISTEN_FDS_START 3

int
notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	size_t len;
	socklen_t salen;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		(struct sockaddr *)&sa, salen) < 0)
		return -errno;
	return 1;
}

int
notify_sendf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return notify_send(buf);
}

usec_t
notify_watchdog_usec(void)
{
	const char *s = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	long long v;

	if (!s)
		return 0;
	if (pid) {
		long long p = strtoll(pid, &end, 10);
		if (*end || p != (long long)getpid())
			return 0;
	}
	v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		return 0;
	return (usec_t)v;
}

int
notify_listen_fds(int *ret_fd)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long long p, n;

	if (!pid || !fds)
		return 0;
	p = strtoll(pid, &end, 10);
	if (*end || p != (long long)getpid())
		return 0;
	n = strtoll(fds, &end, 10);
	if (*end || n <= 0)
		return 0;
	if (n > 1)
		return -E2BIG; /* consentd.socket passes exactly one socket */
	if (fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	/* Not inherited by anything we might start. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	*ret_fd = SD_LISTEN_FDS_START;
	return 1;
}
