// SPDX-License-Identifier: GPL-2.0-only
#include "app/viewer_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a viewer gets to quit on SIGTERM before SIGKILL. */
#define VIEWER_STOP_WAIT_S 3

const char *viewer_child_no_display(void)
{
	const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
	if ((x && *x) || (w && *w))
		return NULL;
	return "no display server (neither DISPLAY nor WAYLAND_DISPLAY is set)";
}

/*
 * In the child, between fork and exec: only async-signal-safe calls (the
 * VMM may have other threads). Never returns.
 */
static void viewer_exec(const char *exe, const char *shm_path, pid_t parent, int err_fd)
{
	/* The VMM blocks SIGINT/SIGTERM/SIGHUP for its signalfd, and exec keeps
	 * the mask: unblocked, or the viewer could not be stopped. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* No orphan window if passvm is killed -9. The fork is done by the main
	 * thread, which lives as long as the process (the signal follows the
	 * forking thread). The getppid() check covers a parent already gone. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	/* stdout may be the guest's serial console: the viewer's lines go to
	 * stderr; and the console's input stays the guest's. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	/* The VMM's fds (KVM, guest RAM, VFIO) must not outlive it in the viewer. */
	syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
	char *argv[] = { "passvm", "view", (char *)shm_path, NULL };
	execv(exe, argv);
	int e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void viewer_report(const struct viewer_child *vc, int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		log_info("the viewer window was closed; the VM keeps running (passvm view %s "
			 "opens it again)", vc->path);
	else if (WIFEXITED(st))
		log_warn("the viewer (passvm view %s) failed with exit status %d (its message "
			 "is above); the VM keeps running without a window", vc->path,
			 WEXITSTATUS(st));
	else
		log_warn("the viewer (passvm view %s) was killed by %s; the VM keeps running "
			 "without a window", vc->path, strsignal(WTERMSIG(st)));
}

/*
 * Waits for the child's exit without reaping it (WNOWAIT), then reaps it
 * under the lock: viewer_child_stop() only signals the pid under the same
 * lock while it is not reaped, so it can never hit a recycled pid.
 */
static void *viewer_watch(void *arg)
{
	struct viewer_child *vc = arg;
	siginfo_t si;
	while (waitid(P_PID, (id_t)vc->pid, &si, WEXITED | WNOWAIT) && errno == EINTR)
		;
	int st = 0;
	pthread_mutex_lock(&vc->lock);
	while (waitpid(vc->pid, &st, 0) < 0 && errno == EINTR)
		;
	vc->exited = true;
	bool quiet = vc->stopping;
	pthread_mutex_unlock(&vc->lock);
	if (!quiet)
		viewer_report(vc, st);
	return NULL;
}

/* The exec result: 0, or the child's errno from a failed exec (it is reaped). */
static int viewer_exec_result(struct viewer_child *vc, int fd, const char *exe,
			      struct error *err)
{
	int e = 0;
	ssize_t n;
	while ((n = read(fd, &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(fd);
	if (n <= 0)
		return 0;
	while (waitpid(vc->pid, NULL, 0) < 0 && errno == EINTR)
		;
	vc->pid = 0;
	return err_setf(err, "cannot run %s view: %s", exe, strerror(e));
}

static int viewer_start_watcher(struct viewer_child *vc, struct error *err)
{
	/* The watcher must not take the SIGINT/SIGTERM the VMM reads from its
	 * signalfd, whatever the caller's mask is. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&vc->watcher, NULL, viewer_watch, vc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r)
		return 0;
	kill(vc->pid, SIGKILL);
	waitpid(vc->pid, NULL, 0);
	vc->pid = 0;
	return err_setf(err, "viewer: cannot start its watcher thread: %s", strerror(r));
}

int viewer_child_start(struct viewer_child *vc, const char *exe, const char *shm_path,
		       struct error *err)
{
	*vc = (struct viewer_child){ .path = shm_path };
	pthread_mutex_init(&vc->lock, NULL);
	if (!exe)
		exe = "/proc/self/exe";
	/* `passvm view` takes a name without '/' for a profile: "./shm". Built
	 * here, as the child may not allocate before exec. */
	char arg[4096];
	if ((size_t)snprintf(arg, sizeof(arg), "%s%s", strchr(shm_path, '/') ? "" : "./",
			     shm_path) >= sizeof(arg))
		return err_setf(err, "viewer: the shm path %s is too long", shm_path);
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return err_setf(err, "viewer: pipe: %s", strerror(errno));
	pid_t parent = getpid();
	vc->pid = fork();
	if (vc->pid == 0)
		viewer_exec(exe, arg, parent, p[1]);
	close(p[1]);
	if (vc->pid < 0) {
		close(p[0]);
		vc->pid = 0;
		return err_setf(err, "viewer: fork: %s", strerror(errno));
	}
	if (viewer_exec_result(vc, p[0], exe, err))
		return -1;
	return viewer_start_watcher(vc, err);
}

/* Signal the child unless it is already reaped (see viewer_watch). */
static void viewer_signal(struct viewer_child *vc, int sig)
{
	pthread_mutex_lock(&vc->lock);
	vc->stopping = true;
	if (!vc->exited)
		kill(vc->pid, sig);
	pthread_mutex_unlock(&vc->lock);
}

void viewer_child_stop(struct viewer_child *vc)
{
	if (!vc->pid)
		return;
	viewer_signal(vc, SIGTERM);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += VIEWER_STOP_WAIT_S;
	if (pthread_timedjoin_np(vc->watcher, NULL, &until)) {
		log_warn("the viewer did not quit on SIGTERM within %d s: killing it",
			 VIEWER_STOP_WAIT_S);
		viewer_signal(vc, SIGKILL);
		pthread_join(vc->watcher, NULL);
	}
	pthread_mutex_destroy(&vc->lock);
	vc->pid = 0;
}
