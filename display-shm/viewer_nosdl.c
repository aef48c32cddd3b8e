// SPDX-License-Identifier: GPL-2.0-only
/* The viewer's back end when passvm is built without SDL2: says how to get it. */
#include "viewer.h"

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
