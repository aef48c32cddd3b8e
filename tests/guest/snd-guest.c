// SPDX-License-Identifier: GPL-2.0-only
/*
 * snd-guest: plays a known stream on the test guest's first ALSA playback
 * device (virtio-snd under passvm), through the kernel's PCM ioctls so the
 * static guest needs no alsa-lib: 48 kHz, 16-bit stereo, 10 ms periods, an
 * 8-period buffer, started when the buffer is full, drained at the end. An
 * underrun (the guest too slow: the nested lab) is counted and the stream
 * prepared again; no frame is lost by it (the device gives a transfer back
 * only once it was played), the host hears a gap.
 * Frame f is (7f, 13f + 1) as 16-bit words, the same as the host tests'
 * payloads, so tests/kvm/scream_check.py checks the host's recording. The
 * stream starts with LEAD frames of silence: while the host's PipeWire
 * stream starts (slowly, in the nested lab) the device plays on alone and
 * what it drops is silence.
 *   snd-guest [FRAMES] [LEAD] [DEVICE]  (default 72000, 24000, /dev/snd/pcmC0D0p)
 * Prints what the kernel chose and "snd-guest: played N frames"; exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <sound/asound.h>

#define RATE 48000u
#define PERIOD 480u
#define PERIODS 8u

static struct snd_mask *hw_mask(struct snd_pcm_hw_params *p, int param)
{
	return &p->masks[param - SNDRV_PCM_HW_PARAM_FIRST_MASK];
}

static struct snd_interval *hw_interval(struct snd_pcm_hw_params *p, int param)
{
	return &p->intervals[param - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL];
}

static void mask_only(struct snd_pcm_hw_params *p, int param, unsigned bit)
{
	struct snd_mask *m = hw_mask(p, param);
	memset(m, 0, sizeof(*m));
	m->bits[bit / 32] = 1u << (bit % 32);
}

static void interval_exact(struct snd_pcm_hw_params *p, int param, unsigned v)
{
	struct snd_interval *i = hw_interval(p, param);
	memset(i, 0, sizeof(*i));
	i->min = i->max = v;
	i->integer = 1;
}

static int die(const char *what)
{
	fprintf(stderr, "snd-guest: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 0) : 72000;
	unsigned long lead = argc > 2 ? strtoul(argv[2], NULL, 0) : 24000;
	const char *dev = argc > 3 ? argv[3] : "/dev/snd/pcmC0D0p";
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return die(dev);

	struct snd_pcm_hw_params hw;
	memset(&hw, 0, sizeof(hw));
	for (int i = 0; i <= SNDRV_PCM_HW_PARAM_LAST_MASK - SNDRV_PCM_HW_PARAM_FIRST_MASK; i++)
		memset(&hw.masks[i], 0xff, sizeof(hw.masks[i]));
	for (int i = 0; i <= SNDRV_PCM_HW_PARAM_LAST_INTERVAL - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL; i++)
		hw.intervals[i].max = UINT_MAX;
	mask_only(&hw, SNDRV_PCM_HW_PARAM_ACCESS, SNDRV_PCM_ACCESS_RW_INTERLEAVED);
	mask_only(&hw, SNDRV_PCM_HW_PARAM_FORMAT, SNDRV_PCM_FORMAT_S16_LE);
	mask_only(&hw, SNDRV_PCM_HW_PARAM_SUBFORMAT, SNDRV_PCM_SUBFORMAT_STD);
	interval_exact(&hw, SNDRV_PCM_HW_PARAM_CHANNELS, 2);
	interval_exact(&hw, SNDRV_PCM_HW_PARAM_RATE, RATE);
	interval_exact(&hw, SNDRV_PCM_HW_PARAM_PERIOD_SIZE, PERIOD);
	interval_exact(&hw, SNDRV_PCM_HW_PARAM_PERIODS, PERIODS);
	hw.rmask = ~0u;
	if (ioctl(fd, SNDRV_PCM_IOCTL_HW_PARAMS, &hw))
		return die("HW_PARAMS (48 kHz S16 stereo, 480-frame periods, 4 of them)");
	unsigned long buffer = PERIOD * PERIODS;

	struct snd_pcm_sw_params sw;
	memset(&sw, 0, sizeof(sw));
	sw.period_step = 1;
	sw.avail_min = PERIOD;
	sw.start_threshold = buffer;
	sw.stop_threshold = buffer;
	sw.boundary = buffer;
	while (sw.boundary * 2 <= LONG_MAX - buffer)
		sw.boundary *= 2;
	if (ioctl(fd, SNDRV_PCM_IOCTL_SW_PARAMS, &sw))
		return die("SW_PARAMS");
	if (ioctl(fd, SNDRV_PCM_IOCTL_PREPARE))
		return die("PREPARE");
	printf("snd-guest: %s: %u Hz, 2 ch, S16_LE, period %u, buffer %lu\n", dev, RATE, PERIOD,
	       buffer);

	static uint32_t frames[PERIOD];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long done = 0, xruns = 0;
	total += lead;
	while (done < total) {
		unsigned long n = total - done < PERIOD ? total - done : PERIOD;
		for (unsigned long i = 0; i < n; i++) {
			uint32_t f = (uint32_t)(done + i - lead);
			frames[i] = done + i < lead ? 0
				  : (uint16_t)(f * 7u) | (uint32_t)(uint16_t)(f * 13u + 1u) << 16;
		}
		struct snd_xferi x = { .buf = frames, .frames = (snd_pcm_uframes_t)n };
		if (ioctl(fd, SNDRV_PCM_IOCTL_WRITEI_FRAMES, &x)) {
			if (errno == EPIPE) { /* underrun: nothing of this chunk went */
				xruns++;
				if (ioctl(fd, SNDRV_PCM_IOCTL_PREPARE))
					return die("PREPARE after an underrun");
				continue;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return die("WRITEI_FRAMES");
		}
		done += (unsigned long)x.result;
	}
	if (ioctl(fd, SNDRV_PCM_IOCTL_DRAIN))
		return die("DRAIN");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("snd-guest: played %lu frames in %.2f s (%lu xruns)\n", done - lead, s, xruns);
	close(fd);
	return 0;
}
