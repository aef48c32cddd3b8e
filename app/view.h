/* SPDX-License-Identifier: GPL-2.0-only */
/* `passvm view PROFILE|SHM-FILE`: the guest's screen in a window (view.c),
 * on display-shm's viewer core (display-shm/viewer.h). */
#ifndef PASSVM_APP_VIEW_H
#define PASSVM_APP_VIEW_H

int view_command(int argc, char **argv);

#endif
