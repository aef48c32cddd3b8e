// SPDX-License-Identifier: GPL-2.0-only
/* The viewer's back end when passvm is built without SDL2: says how to get it. */
#include <stdio.h>

#include "display-shm/viewer.h"

struct dshm_view_sdl *dshm_view_sdl_open(const struct dshm_view_sdl_opts *o,
					 struct dshm_view_ops *ops, struct error *err)
{
	err_setf(err, "this passvm was built without SDL2: install libsdl2-dev (tools/setup does) "
		 "and rebuild");
	return NULL;
}

void dshm_view_sdl_close(struct dshm_view_sdl *s)
{
}

void dshm_view_sdl_describe(struct dshm_view_sdl *s, char *buf, size_t len)
{
	snprintf(buf, len, "none");
}
