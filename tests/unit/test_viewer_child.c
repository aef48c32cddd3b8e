// SPDX-License-Identifier: GPL-2.0-only
/* app/viewer_child.c with a stand-in for `passvm view` (a shell script), and
 * --view / --no-view on the command line. The real viewer under Xvfb with a
 * VM: tests/kvm/viewer.sh. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/cli.h"
#include "app/viewer_child.h"
#include "display-shm/options.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* No child of ours is left, running or zombie. */
static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_exec_failure(void **state)
{
	(void)state;
	struct viewer_child vc;
	struct error err = { "" };
	assert_int_equal(viewer_child_start(&vc, "/nonexistent/passvm", "/dev/shm/x", &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/passvm"));
	assert_int_equal(vc.pid, 0);
	viewer_child_stop(&vc);   /* harmless after a failed start */
	assert_no_children();
}

/*
 * A viewer that runs until signalled, started with SIGTERM blocked as in the
 * VMM (its signalfd): the child must still die of SIGTERM at once, not wait
 * for the SIGKILL after VIEWER_STOP_WAIT_S, and be reaped by stop.
 */
static void test_stop_reaps(void **state)
{
	(void)state;
	char dir[] = "/tmp/passvm-viewer-child.XXXXXX", exe[64], args[96];
	assert_non_null(mkdtemp(dir));
	snprintf(exe, sizeof(exe), "%s/view", dir);
	snprintf(args, sizeof(args), "%s/args", dir);
	FILE *f = fopen(exe, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$0 $*\" >\"%s\"\nexec sleep 30\n", args);
	fclose(f);
	chmod(exe, 0755);

	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	struct viewer_child vc;
	struct error err = { "" };
	assert_int_equal(viewer_child_start(&vc, exe, "/dev/shm/passvm-x", &err), 0);
	pid_t pid = vc.pid;
	assert_true(pid > 0);
	char got[256] = "";
	for (int i = 0; i < 100 && !got[0]; i++) {
		usleep(20000);
		FILE *a = fopen(args, "r");
		if (a) {
			if (!fgets(got, sizeof(got), a))
				got[0] = '\0';
			fclose(a);
		}
	}
	assert_non_null(strstr(got, " view /dev/shm/passvm-x"));
	assert_int_equal(kill(pid, 0), 0);
	double t0 = now_s();
	viewer_child_stop(&vc);
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(kill(pid, 0), -1);
	assert_no_children();
	viewer_child_stop(&vc);   /* idempotent */

	/* A name without '/' would be a profile name to `passvm view`. */
	unlink(args);
	assert_int_equal(viewer_child_start(&vc, exe, "shm-here", &err), 0);
	got[0] = '\0';
	for (int i = 0; i < 100 && !got[0]; i++) {
		usleep(20000);
		FILE *a = fopen(args, "r");
		if (a) {
			if (!fgets(got, sizeof(got), a))
				got[0] = '\0';
			fclose(a);
		}
	}
	assert_non_null(strstr(got, " view ./shm-here"));
	viewer_child_stop(&vc);
	assert_no_children();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	unlink(exe);
	unlink(args);
	rmdir(dir);
}

static void test_no_display(void **state)
{
	(void)state;
	setenv("DISPLAY", "", 1);
	unsetenv("WAYLAND_DISPLAY");
	assert_non_null(viewer_child_no_display());
	setenv("WAYLAND_DISPLAY", "wayland-0", 1);
	assert_null(viewer_child_no_display());
	unsetenv("WAYLAND_DISPLAY");
	setenv("DISPLAY", ":0", 1);
	assert_null(viewer_child_no_display());
}

static int run_flags(struct vm_config *c, struct error *err, int argc, char **argv)
{
	config_defaults(c);
	return cli_parse_run(argc, argv, c, err);
}

static void test_cli_view(void **state)
{
	(void)state;
	struct vm_config c;
	struct error err = { "" };
	char *on[] = { "run", "--shm", "/dev/shm/x", "--view", NULL };
	assert_int_equal(run_flags(&c, &err, 4, on), 0);
	assert_true(display_config(&c)->viewer);
	config_release(&c);
	char *off[] = { "run", "--view", "--shm", "/dev/shm/x", "--no-view", NULL };
	assert_int_equal(run_flags(&c, &err, 5, off), 0);
	assert_false(display_config(&c)->viewer);
	config_release(&c);
	char *none[] = { "run", "--shm", "/dev/shm/x", NULL };
	assert_int_equal(run_flags(&c, &err, 3, none), 0);
	assert_false(display_config(&c)->viewer);
	config_release(&c);
	char *bad[] = { "run", "--view", NULL };
	assert_int_equal(run_flags(&c, &err, 2, bad), -1);
	assert_non_null(strstr(err.msg, "--view"));
	assert_non_null(strstr(err.msg, "--shm"));
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_stop_reaps),
		cmocka_unit_test(test_no_display),
		cmocka_unit_test(test_cli_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
