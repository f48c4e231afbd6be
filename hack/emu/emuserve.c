/*
 * emuserve.c - the emulator's HTTP servers: one libmicrohttpd daemon per
 * TaskManager address serving its page, started and stopped as
 * TaskManagers come and go (see emu.h).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

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
	emu_page(tm->emu, tm->index, &b);
	pthread_mutex_unlock(&tm->emu->mu);
	return emu_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}

struct MHD_Daemon *emu_listen(const char *addr, int port,
			      MHD_AccessHandlerCallback fn, void *ud,
			      MHD_RequestCompletedCallback done)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return NULL;
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
				(uint16_t)port, NULL, NULL, fn, ud,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				done ? MHD_OPTION_NOTIFY_COMPLETED : MHD_OPTION_END,
				done, NULL, MHD_OPTION_END);
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
		inet_ntop(AF_INET, &ia, addr, sizeof(addr));
		snprintf(tm->addr, sizeof(tm->addr), "%s", addr);
		snprintf(tm->tm_id, sizeof(tm->tm_id), "%s:6122-%06x", addr,
			 (unsigned)(t * 2654435761u) & 0xffffff);
		tm->daemon = emu_listen(tm->addr, e->metrics_port, tm_access, tm,
					NULL);
		if (!tm->daemon)
			return -1;
		e->ntm_running = t + 1;
	}
	for (int t = e->ntm_running - 1; t >= n; t--) {
		MHD_stop_daemon(e->tm[t].daemon);
		e->tm[t].daemon = NULL;
		e->ntm_running = t;
	}
	emu_model_set_taskmanagers(&e->m, n);
	return 0;
}

