/*
 * emuserve.c - the emulator's HTTP servers: one libmicrohttpd daemon per
 * TaskManager address serving its page, started and stopped as
 * TaskManagers come and go (see emu.h).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hack/emu/emu.h"

enum MHD_Result emu_reply(struct MHD_Connection *c, int code,
			     const char *type, struct buf *b)
{
	size_t n = b->len;
	char *body = buf_detach(b, NULL);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		n, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, (unsigned)code, r);
	MHD_destroy_response(r);
	return ret;
}

/* A TaskManager: any path answers with the page (as Flink's reporter). */
static enum MHD_Result tm_access(void *cls, struct MHD_Connection *c,
				 const char *url, const char *method,
				 const char *v, const char *up, size_t *upn,
				 void **cc)
{
	struct emu_tm *tm = cls;
	struct buf b = BUF_INIT(64 << 20);

	(void)url; (void)method; (void)v; (void)up; (void)upn; (void)cc;
	pthread_mutex_lock(&tm->emu->mu);
	if (tm->malformed) /* a family with no closing brace, a bad value */
		buf_adds(&b, "# TYPE flink_taskmanager_Status_JVM_CPU_Load gauge\n"
			     "flink_taskmanager_Status_JVM_CPU_Load{host=\"x\" 0.5\n"
			     "flink_taskmanager_job_task_busyTimeMsPerSecond{} abc\n");
	else
		emu_page(tm->emu, tm->index, &b);
	pthread_mutex_unlock(&tm->emu->mu);
	return emu_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}

struct MHD_Daemon *emu_listen(const char *addr, int port,
			      MHD_AccessHandlerCallback fn, void *ud,
			      MHD_RequestCompletedCallback done, bool per_conn)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned flags = per_conn ? MHD_USE_INTERNAL_POLLING_THREAD |
					    MHD_USE_THREAD_PER_CONNECTION
				  : MHD_USE_INTERNAL_POLLING_THREAD |
					    MHD_USE_EPOLL | MHD_USE_ITC;

	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return NULL;
	return MHD_start_daemon(flags,
				(uint16_t)port, NULL, NULL, fn, ud,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				done ? MHD_OPTION_NOTIFY_COMPLETED : MHD_OPTION_END,
				done, NULL, MHD_OPTION_END);
}

/* Takes a TaskManager's server out at once (its port is free again when
 * this returns); the ticker stops it outside mu (emu_reap). */
static void emu_retire(struct emu *e, struct emu_tm *tm)
{
	MHD_socket fd;

	if (!tm->daemon)
		return;
	fd = MHD_quiesce_daemon(tm->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	if (e->nretired < (int)(sizeof(e->retired) / sizeof(e->retired[0])))
		e->retired[e->nretired++] = tm->daemon;
	else
		MHD_stop_daemon(tm->daemon); /* never: one slot per start */
	tm->daemon = NULL;
}

void emu_reap(struct emu *e)
{
	void *dead[sizeof(e->retired) / sizeof(e->retired[0])];
	int n;

	pthread_mutex_lock(&e->mu);
	n = e->nretired;
	memcpy(dead, e->retired, sizeof(void *) * (size_t)n);
	e->nretired = 0;
	pthread_mutex_unlock(&e->mu);
	for (int i = 0; i < n; i++)
		MHD_stop_daemon(dead[i]);
}

/* A listener that accepts connections (the kernel's backlog) and never
 * reads them: a hung TaskManager as its scrapers see it. */
static int emu_black_hole(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_port = htons((uint16_t)port);
	if (fd < 0)
		return -1;
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int emu_tm_serve(struct emu_tm *tm)
{
	const union MHD_DaemonInfo *i;

	tm->daemon = emu_listen(tm->addr, tm->port, tm_access, tm, NULL, false);
	if (!tm->daemon)
		return -1;
	i = MHD_get_daemon_info(tm->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (i)
		tm->port = i->port;
	return 0;
}

static int emu_tm_unfault(struct emu_tm *tm)
{
	tm->malformed = false;
	if (tm->hang_fd < 0)
		return 0;
	close(tm->hang_fd);
	tm->hang_fd = -1;
	return emu_tm_serve(tm);
}

/* A TaskManager that goes away: its server or its black hole. */
static void emu_tm_unfault_stop(struct emu *e, struct emu_tm *tm)
{
	if (tm->hang_fd >= 0)
		close(tm->hang_fd);
	tm->hang_fd = -1;
	emu_retire(e, tm);
}

int emu_tm_fault(struct emu *e, int k, bool hang, bool on)
{
	struct emu_tm *tm;
	int rc = 0;

	if (k < 0) {
		for (int t = 0; t < e->ntm_running; t++)
			rc |= emu_tm_unfault(&e->tm[t]);
		return rc ? -1 : 0;
	}
	if (k >= e->ntm_running)
		return -1;
	tm = &e->tm[k];
	if (!on)
		return emu_tm_unfault(tm);
	if (!hang) {
		tm->malformed = true;
		return 0;
	}
	if (tm->hang_fd >= 0)
		return 0;
	emu_retire(e, tm);
	tm->hang_fd = emu_black_hole(tm->addr, tm->port);
	return tm->hang_fd < 0 ? -1 : 0;
}

int emu_set_tms(struct emu *e, int n)
{
	if (n < 1 || n > EMU_MAX_TM)
		return -1;
	for (int t = e->ntm_running; t < n; t++) {
		struct emu_tm *tm = &e->tm[t];
		struct in_addr ia = { htonl(e->base_addr + (unsigned)t) };
		char addr[INET_ADDRSTRLEN];

		tm->emu = e;
		tm->index = t;
		tm->port = e->metrics_port;
		tm->hang_fd = -1;
		tm->malformed = false;
		inet_ntop(AF_INET, &ia, addr, sizeof(addr));
		snprintf(tm->addr, sizeof(tm->addr), "%s", addr);
		snprintf(tm->tm_id, sizeof(tm->tm_id), "%s:6122-%06x", addr,
			 (unsigned)(t * 2654435761u) & 0xffffff);
		if (emu_tm_serve(tm))
			return -1;
		e->ntm_running = t + 1;
	}
	for (int t = e->ntm_running - 1; t >= n; t--) {
		emu_tm_unfault_stop(e, &e->tm[t]);
		e->ntm_running = t;
	}
	emu_model_set_taskmanagers(&e->m, n);
	return 0;
}
