/*
 * emu.h - the Flink emulator (flinkhpa-emu): one JobManager's REST API and
 * N TaskManagers' Prometheus pages, each TaskManager on its own loopback
 * address (127.0.1.1, 127.0.1.2, ...), all driven by the workload model
 * (model.h).  Pages are written by flinkpage.c in Flink's exact format.
 *
 * The emulated job is one chain, "Source: orders -> Map: enrich -> Sink:
 * out", running at the model's parallelism; subtask k runs on TaskManager
 * k mod N.  In reactive mode the job uses every slot; in adaptive mode it
 * runs at what PUT /jobs/ID/resource-requirements asks for.
 */
#ifndef FH_EMU_H
#define FH_EMU_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

#include "../../common/buf.h"
#include "flinkpage.h"
#include "model.h"

#define EMU_JOB_ID "3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1"
#define EMU_VERTEX_ID "cbc357ccb763df2852fee8c4fc7d55f2"

struct emu;

struct emu_tm {
	struct emu *emu;
	int index;
	char addr[64];
	char tm_id[96];
	void *daemon; /* struct MHD_Daemon */
};

struct emu {
	pthread_mutex_t mu; /* guards the model and the TaskManagers */
	struct emu_model m;
	bool reactive;
	char job_name[128];
	unsigned base_addr; /* host order: 127.0.1.1 */
	int metrics_port;
	struct emu_tm tm[EMU_MAX_TM];
	int ntm_running;    /* TaskManagers with a server */
	int64_t start_ms;
	double speed;       /* model seconds per real second */
	volatile bool stop;
};

/* The page of TaskManager t (lock held). */
int emu_page(struct emu *e, int t, struct buf *out);

/* JSON answers of the JobManager's REST API and of /control; *code gets
 * the HTTP status (lock taken inside). */
int emu_rest(struct emu *e, const char *method, const char *url,
	     const char *query_rate, const char *query_tms,
	     const char *body, struct buf *out, int *code);

/* Start or stop TaskManager servers so that n run (lock held). */
int emu_set_tms(struct emu *e, int n);

/* HTTP plumbing shared by the servers (emuserve.c). */
enum MHD_Result emu_reply(struct MHD_Connection *c, int code,
			  const char *type, struct buf *b);
struct MHD_Daemon *emu_listen(const char *addr, int port,
			      MHD_AccessHandlerCallback fn, void *ud,
			      MHD_RequestCompletedCallback done);

#endif
