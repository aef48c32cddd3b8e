/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMM's own window ([display] viewer = yes, `passvm run --view`): a
 * child process running `passvm view SHM-FILE` from passvm's own binary, so
 * SDL (its threads, its GL driver, its crashes) never lives in the VMM
 * process. The child dies with passvm (PR_SET_PDEATHSIG) and is stopped and
 * reaped on every way out of the run; a viewer that fails or is closed only
 * costs the window, never the VM.
 */
#ifndef PASSVM_VIEWER_CHILD_H
#define PASSVM_VIEWER_CHILD_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/util.h"

struct viewer_child {
	const char *path;         /* the shm file it shows */
	pid_t pid;                /* 0: not started */
	pthread_t watcher;        /* waits for the child and reaps it */
	pthread_mutex_t lock;     /* held while reaping, so pid is never reused under kill() */
	bool exited;              /* reaped (under lock) */
	bool stopping;            /* we asked it to quit: its exit is no news */
};

/* Why no viewer can start here (no display server), or NULL. */
const char *viewer_child_no_display(void);
/*
 * Start `EXE view SHM_PATH` (EXE: /proc/self/exe unless exe is given, for
 * tests). Returns -1 with err set when the child could not be started or
 * exec'ed; a viewer that starts and then fails is reported by a warning
 * from its watcher thread.
 */
int viewer_child_start(struct viewer_child *vc, const char *exe, const char *shm_path,
		       struct error *err);
/* SIGTERM the child if it still runs (SIGKILL after a few seconds), wait
 * for it and reap it. Idempotent; a zeroed viewer_child or one whose start
 * failed is fine. */
void viewer_child_stop(struct viewer_child *vc);

#endif
