#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# display-shm benchmark (bench/README.md, section 3): the protocol figures,
# then the SDL texture upload under Xvfb (a 4K screen) when xvfb-run is here.
#   dshm-bench.sh DSHM_BENCH [dshm_bench args...]
set -eu
bench=$1; shift
if command -v xvfb-run >/dev/null; then
	SDL_VIDEODRIVER=x11 exec xvfb-run -a -s "-screen 0 3840x2160x24" "$bench" --sdl "$@"
fi
echo "dshm-bench: no xvfb-run: SDL upload not measured (apt-get install xvfb xauth)" >&2
exec "$bench" "$@"
