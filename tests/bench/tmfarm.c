/*
 * tmfarm.c - many TaskManager /metrics pages for the scrape benchmark at
 * scale (tests/bench/scrape.sh with FH_SCRAPE_TMS above what the emulator
 * can render in time on a small machine): TaskManager k listens on the
 * loopback address BASE + k, port PORT, and answers every request with
 * page k mod P of the pages given (Flink pages written by mkpage, that is
 * by the emulator's page writer), over HTTP/1.1 keep-alive.  The pages are
 * read once and sent from memory, so a page costs its copy into the socket
 * and not its rendering:
 *
 *     tmfarm --address-base 127.0.1.1 --count 5000 --port 9249 \
 *            --page a.prom --page b.prom
 *
 * Prints "ready" on stdout once every address listens; runs until killed.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define FARM_MAX_PAGES 16

struct resp {
	char *data; /* header and page */
	size_t len;
};

struct conn {
	int fd;
	const struct resp *r;
	size_t sent;   /* of the response under way; r->len: none */
	int matched;   /* bytes of "\r\n\r\n" seen at the end of the request */
	int pending;   /* requests read and not yet answered */
};

static struct resp pages[FARM_MAX_PAGES];
static int npages;

static int load_page(const char *path)
{
	FILE *f = fopen(path, "rb");
	char head[160];
	long n;
	int h;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || npages == FARM_MAX_PAGES) {
		if (f)
			fclose(f);
		return -1;
	}
	h = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
		     "text/plain; version=0.0.4; charset=utf-8\r\n"
		     "Content-Length: %ld\r\n\r\n", n);
	pages[npages].data = malloc((size_t)h + (size_t)n);
	if (!pages[npages].data ||
	    fread(pages[npages].data + h, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	memcpy(pages[npages].data, head, (size_t)h);
	pages[npages++].len = (size_t)h + (size_t)n;
	fclose(f);
	return 0;
}

/* Listening socket k, its epoll data: -(page index + 1). */
static int listen_on(int ep, struct in_addr a, int port, int k)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = a,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	struct epoll_event ev = { .events = EPOLLIN };

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ev.data.u64 = ((uint64_t)1 << 63) | ((uint64_t)(k % npages) << 32) |
		      (uint32_t)fd;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return -1;
	}
	return 0;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Count the requests in what was read: each ends with an empty line. */
static void conn_scan(struct conn *c, const char *buf, ssize_t n)
{
	static const char end[] = "\r\n\r\n";

	for (ssize_t i = 0; i < n; i++) {
		c->matched = buf[i] == end[c->matched] ? c->matched + 1
			   : buf[i] == '\r' ? 1 : 0;
		if (c->matched == 4) {
			c->pending++;
			c->matched = 0;
		}
	}
}

/* Read what came, write what is due; 0: keep, -1: close. */
static int conn_io(int ep, struct conn *c, uint32_t events)
{
	char buf[4096];
	ssize_t n;
	struct epoll_event ev = { .data.ptr = c };

	if (events & EPOLLIN) {
		while ((n = read(c->fd, buf, sizeof(buf))) > 0)
			conn_scan(c, buf, n);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return -1;
	}
	while (c->pending > 0) {
		if (c->sent == c->r->len)
			c->sent = 0;
		n = write(c->fd, c->r->data + c->sent, c->r->len - c->sent);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		c->sent += (size_t)n;
		if (c->sent == c->r->len)
			c->pending--;
	}
	ev.events = EPOLLIN | (c->pending > 0 ? EPOLLOUT : 0u);
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) ? -1 : 0;
}

static void accept_all(int ep, int lfd, int page)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof(*c));
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		if (!c || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->r = &pages[page];
		c->sent = c->r->len;
	}
}

static int serve(int ep)
{
	struct epoll_event ev[256];

	for (;;) {
		int n = epoll_wait(ep, ev, 256, -1);

		if (n < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			uint64_t d = ev[i].data.u64;

			if (d >> 63)
				accept_all(ep, (int)(uint32_t)d,
					   (int)((d >> 32) & 0x7fffffff));
			else if (conn_io(ep, ev[i].data.ptr, ev[i].events))
				conn_close(ep, ev[i].data.ptr);
		}
	}
}

int main(int argc, char **argv)
{
	const char *base = "127.0.1.1";
	long count = 1, port = 9249;
	struct in_addr a;
	int ep;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--address-base"))
			base = argv[i + 1];
		else if (!strcmp(argv[i], "--count"))
			count = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--port"))
			port = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--page") && load_page(argv[i + 1])) {
			fprintf(stderr, "tmfarm: cannot read %s\n", argv[i + 1]);
			return 1;
		}
	}
	if (!npages || count < 1 || count > 1000000 || port < 1 ||
	    port > 65535 || inet_pton(AF_INET, base, &a) != 1) {
		fprintf(stderr, "usage: tmfarm --address-base IP --count N "
			"--port PORT --page FILE [--page FILE]...\n");
		return 2;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return 1;
	for (long k = 0; k < count; k++) {
		struct in_addr ak = { htonl(ntohl(a.s_addr) + (uint32_t)k) };

		if (listen_on(ep, ak, (int)port, (int)k)) {
			fprintf(stderr, "tmfarm: cannot listen on TaskManager %ld: %s\n",
				k, strerror(errno));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	return serve(ep);
}
