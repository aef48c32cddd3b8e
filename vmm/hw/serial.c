// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550A UART on COM1 (0x3F8, IRQ 4): output to stdout or a file, input from
 * stdin through the event loop. Enough of the chip for Linux's 8250 driver
 * to detect a 16550A (scratch register, FIFO bits in IIR, loopback MSR test)
 * and to run interrupt driven (THRE and RX interrupts, level on the IRQ line).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/options.h"
#include "vmm/vm.h"

#define UART_RX_FIFO 64

enum { REG_RBR_THR, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCR };

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI  0x04
#define IIR_FIFO 0xc0
#define FCR_FIFO_ENABLE 0x01
#define FCR_CLEAR_RX    0x02
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	int out_fd;
	int in_fd;              /* -1 when no input */
	bool restore_tty;
	struct termios saved_tty;
	bool owns_out;

	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;      /* THR-empty interrupt armed */
	int irq_level;
	uint8_t rx[UART_RX_FIFO];
	unsigned rx_head, rx_count;
};

static uint8_t serial_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_FIFO_ENABLE) ? IIR_FIFO : 0;
	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

/* Caller holds the lock. The ISA line follows "an interrupt is pending". */
static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & IIR_NONE);
	if (s->mcr & MCR_LOOP)
		level = 0;
	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, LAYOUT_IRQ_COM1, level);
	}
}

static void serial_tx(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		if (s->rx_count < UART_RX_FIFO)
			s->rx[(s->rx_head + s->rx_count++) % UART_RX_FIFO] = c;
		return;
	}
	if (s->out_fd >= 0) {
		ssize_t r;
		do
			r = write(s->out_fd, &c, 1);
		while (r < 0 && errno == EINTR);
	}
}

static uint8_t serial_read_reg(struct serial *s, unsigned reg)
{
	switch (reg) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (!s->rx_count)
			return 0;
		uint8_t c = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % UART_RX_FIFO;
		s->rx_count--;
		return c;
	case REG_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case REG_IIR_FCR: {
		uint8_t iir = serial_iir(s);
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if ((iir & 0x0f) == IIR_THRI)
			s->thri_pending = false;
		return iir;
	}
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case REG_MSR:
		if (s->mcr & MCR_LOOP) {
			/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
			return (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
					 ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4));
		}
		return 0xb0; /* DCD | DSR | CTS: a cable is attached */
	default:
		return s->scr;
	}
}

static void serial_write_reg(struct serial *s, unsigned reg, uint8_t v)
{
	switch (reg) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			return;
		}
		serial_tx(s, v);
		/* The byte is gone at once: THR is empty again. */
		s->thri_pending = true;
		break;
	case REG_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			return;
		}
		/* Enabling THRI with THR empty raises it at once (8250 behaviour). */
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		break;
	case REG_IIR_FCR:
		s->fcr = v & (FCR_FIFO_ENABLE | 0xc0);
		if (v & FCR_CLEAR_RX)
			s->rx_count = 0;
		break;
	case REG_LCR:
		s->lcr = v;
		break;
	case REG_MCR:
		s->mcr = v & 0x1f;
		break;
	case REG_SCR:
		s->scr = v;
		break;
	default:
		break; /* LSR/MSR are read-only */
	}
	serial_update_irq(s);
}

static void serial_pio_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct serial *s = opaque;
	uint8_t *d = data;
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < len; i++)
		d[i] = off + i < 8 ? serial_read_reg(s, (unsigned)(off + i)) : 0xff;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_pio_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct serial *s = opaque;
	const uint8_t *d = data;
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < len; i++)
		if (off + i < 8)
			serial_write_reg(s, (unsigned)(off + i), d[i]);
	pthread_mutex_unlock(&s->lock);
}

static const struct bus_ops serial_ops = {
	.read = serial_pio_read,
	.write = serial_pio_write,
};

static void serial_on_input(void *opaque, int fd, uint32_t events)
{
	struct serial *s = opaque;
	pthread_mutex_lock(&s->lock);
	unsigned room = UART_RX_FIFO - s->rx_count;
	if (room) {
		uint8_t buf[UART_RX_FIFO];
		ssize_t n = read(fd, buf, room);
		if (n <= 0) {
			/* EOF or error on stdin: stop watching it, keep the guest running. */
			if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				evloop_del(&s->vm->loop, fd);
				s->in_fd = -1;
			}
		}
		for (ssize_t i = 0; i < n; i++)
			s->rx[(s->rx_head + s->rx_count++) % UART_RX_FIFO] = buf[i];
		serial_update_irq(s);
	}
	/* A full FIFO drops nothing: the fd stays readable and we come back. */
	pthread_mutex_unlock(&s->lock);
	if (!room)
		usleep(1000);
}

static void serial_destroy(struct vm *vm, void *state)
{
	struct serial *s = state;
	if (s->in_fd >= 0)
		evloop_del(&vm->loop, s->in_fd);
	if (s->restore_tty)
		tcsetattr(s->in_fd >= 0 ? s->in_fd : STDIN_FILENO, TCSANOW, &s->saved_tty);
	if (s->owns_out && s->out_fd >= 0)
		close(s->out_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int serial_open_stdio(struct serial *s, struct error *err)
{
	s->out_fd = STDOUT_FILENO;
	s->in_fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &s->saved_tty) == 0) {
		struct termios raw = s->saved_tty;
		/* Keys go to the guest unbuffered and unechoed; ^C still stops passvm. */
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_iflag &= ~(ICRNL | IXON);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			s->restore_tty = true;
	}
	int fl = fcntl(STDIN_FILENO, F_GETFL);
	if (fl < 0 || fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK) < 0) {
		s->in_fd = -1; /* stdin closed: output only */
		return 0;
	}
	if (evloop_add(&s->vm->loop, STDIN_FILENO, EPOLLIN, serial_on_input, s, NULL) < 0)
		s->in_fd = -1; /* e.g. stdin is a regular file: not pollable */
	(void)err;
	return 0;
}

static int serial_init(struct vm *vm, struct error *err)
{
	const struct vm_config *cfg = vm->cfg;
	struct serial *s = calloc(1, sizeof(*s));
	if (!s)
		return err_setf(err, "out of memory");
	s->vm = vm;
	s->out_fd = s->in_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	if (vm_device_add(vm, "serial", s, serial_destroy, err)) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -1;
	}
	if (cfg->serial == SERIAL_STDIO) {
		if (serial_open_stdio(s, err))
			return -1;
	} else if (cfg->serial == SERIAL_FILE) {
		/* Append: a guest reboot re-creates the VM, and the log of the
		 * boot before must stay (main truncates the file once). */
		s->out_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (s->out_fd < 0)
			return err_setf(err, "--serial file:%s: cannot open: %s", cfg->serial_path,
					strerror(errno));
		s->owns_out = true;
	}
	return bus_register(&vm->pio, LAYOUT_PORT_COM1, 8, &serial_ops, s, "COM1", err);
}

VMM_DEVICE(serial_device) = {
	.name = "serial",
	.order = VMM_ORDER_PLATFORM,
	.init = serial_init,
};

/* [machine] serial and --serial: where COM1 goes. */
static int serial_set(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct vm_config *c = ctx->cfg;
	if (!strcmp(v, "stdio")) {
		c->serial = SERIAL_STDIO;
	} else if (!strcmp(v, "none")) {
		c->serial = SERIAL_NONE;
	} else if (!strncmp(v, "file:", 5) && v[5]) {
		if (vmm_option_path(ctx, v + 5, &c->serial_path, err))
			return -1;
		c->serial = SERIAL_FILE;
	} else {
		return err_setf(err, "use stdio, none or file:PATH");
	}
	return 0;
}

static const struct vmm_option serial_option_list[] = {
	{ .key = "serial", .flag = "serial", .arg = "stdio|file:PATH|none", .set = serial_set,
	  .help = "where COM1 goes (default stdio)" },
};

VMM_OPTIONS(serial_options) = {
	.section = "machine", .order = 11,
	.options = serial_option_list, .nr_options = ARRAY_SIZE(serial_option_list),
};
