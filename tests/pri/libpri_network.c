/*
 * The network side of a PRI, run by libpri, for the interoperability tests of
 * the box's user side (centrala pri-dut).
 *
 *   libpri_network SOCKET STEP...
 *
 * It listens on the Unix SOCK_SEQPACKET socket SOCKET, accepts the box, and
 * runs libpri (EuroISDN E1, network side) over it through pri_new_cb(): one
 * packet is one LAPD frame without flags and FCS (libpri's two FCS octets are
 * added on read and dropped on write). Then it performs the steps in order:
 *
 *   up              wait until libpri reports the D-channel up
 *   idle:S          run S seconds of protocol time (a virtual clock: libpri's
 *                   timers jump forward whenever the line is quiet)
 *   incoming:N      offer N calls at once (channels 1-15, 17-31), wait for answers
 *   hangup          clear every answered call (DISCONNECT #16), wait until released
 *   outgoing        wait for the box's SETUP, answer it, wait until it clears
 *   reset:C         RESTART class 0 of channel C (pri_reset), wait for the ack
 *   inject-call:HEX like inject, with the call reference of the first offered call
 *   inject:HEX      send the Q.931 message HEX to the box in an I frame
 *   raw:HEX         send the octets HEX to the box as one packet
 *   wait:MS         run MS milliseconds of real time
 *
 * libpri's own API cannot send every message a test needs (RESTART of classes
 * 6 and 7, as its pri_restart() does nothing; broken messages), so "inject"
 * slips I frames into the stream and renumbers the frames that follow in both
 * directions, so that libpri's Q.921 never notices. Every frame is printed
 * ("NET", "DUT", "INJ" and the octets in hex)
 * with libpri's events ("EVENT ..."), and the test reads that transcript.
 * The exit status is 0 when every step succeeded.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libpri.h>

#define MAX_CALLS 64

static int conn_fd = -1;
static struct pri *ctrl;
static unsigned char rx_frame[1024];
static int rx_len;
static int peer_closed;

/* Virtual clock: libpri reads gettimeofday(), which this definition replaces. */
static long long clock_offset_us;

static long long real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long virtual_us(void)
{
	return real_us() + clock_offset_us;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	long long now = virtual_us();

	(void)tz;
	tv->tv_sec = now / 1000000;
	tv->tv_usec = now % 1000000;
	return 0;
}

/* Renumbering for injected I frames. */
static int injected_total;      /* I frames slipped in so far */
static int injected_covered;    /* of those, already acknowledged by the box */
static int pending_pos[128];    /* box-side N(S) of injected frames not yet acknowledged */
static int pending_count;
static int net_next_ns;         /* libpri's V(S) as last seen */
static int net_last_nr;         /* last N(R) libpri sent */
static int net_cr_cmd = 1;      /* C/R of the network's commands */
static int first_setup_crv = -1;

/* Counters the tests read. */
static int polls_sent, polls_answered, dchan_up, dchan_down;

static void print_frame(const char *tag, const unsigned char *f, int len)
{
	printf("%s ", tag);
	for (int i = 0; i < len; i++)
		printf("%02x", f[i]);
	printf("\n");
	fflush(stdout);
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int is_i_or_s(const unsigned char *f, int len)
{
	return len >= 4 && ((f[2] & 1) == 0 || (f[2] & 3) == 1);
}

/* libpri reads one frame: the one the box sent, plus two FCS octets. */
static int io_read(struct pri *pri, void *buf, int buflen)
{
	(void)pri;
	if (rx_len + 2 > buflen)
		return -1;
	memcpy(buf, rx_frame, rx_len);
	memset((unsigned char *)buf + rx_len, 0, 2);
	return rx_len + 2;
}

/* libpri writes one frame with room for an FCS that a real HDLC controller adds. */
static int io_write(struct pri *pri, void *buf, int buflen)
{
	unsigned char f[1024];
	int len = buflen - 2;

	(void)pri;
	if (len <= 0 || len > (int)sizeof(f))
		return buflen;
	memcpy(f, buf, len);
	if (len >= 3 && (f[2] & 1) == 0) {
		int ns = f[2] >> 1;

		net_next_ns = (ns + 1) & 127;
		f[2] = (unsigned char)(((ns + injected_total) & 127) << 1);
	}
	if (is_i_or_s(f, len))
		net_last_nr = f[3] >> 1;
	/* Remember the call reference of the first SETUP of an "incoming" step. */
	if (len >= 9 && (f[2] & 1) == 0 && f[4] == 0x08 && f[5] == 0x02 && f[8] == 0x05 &&
	    first_setup_crv < 0)
		first_setup_crv = ((f[6] & 0x7f) << 8) | f[7];
	if (len == 4 && f[2] == 0x01 && (f[3] & 1) && ((f[0] >> 1) & 1) == net_cr_cmd)
		polls_sent++;
	print_frame("NET", f, len);
	if (!peer_closed && send(conn_fd, f, len, 0) < 0)
		peer_closed = 1;
	return buflen;
}

static void from_box(unsigned char *f, int len)
{
	print_frame("DUT", f, len);
	/* The user side's responses carry C/R = 1 (Q.921 Table 1). */
	if (len == 4 && f[2] == 0x01 && (f[3] & 1) && ((f[0] >> 1) & 1) == 1)
		polls_answered++;
	if (is_i_or_s(f, len)) {
		int nr = f[3] >> 1;

		for (int i = 0; i < pending_count;) {
			int d = (nr - pending_pos[i]) & 127;

			if (d >= 1 && d <= 64) {
				injected_covered++;
				pending_pos[i] = pending_pos[--pending_count];
			} else {
				i++;
			}
		}
		f[3] = (unsigned char)((((nr - injected_covered) & 127) << 1) | (f[3] & 1));
	}
}

static void inject_q931(const unsigned char *msg, int len)
{
	unsigned char f[300];
	int pos = (net_next_ns + injected_total) & 127;

	f[0] = (unsigned char)(net_cr_cmd << 1);
	f[1] = 0x01;
	f[2] = (unsigned char)(pos << 1);
	f[3] = (unsigned char)(net_last_nr << 1);
	memcpy(f + 4, msg, len);
	pending_pos[pending_count++] = pos;
	injected_total++;
	print_frame("INJ", f, len + 4);
	send(conn_fd, f, len + 4, 0);
}

/* Calls offered by the network, by channel. */
static q931_call *calls[MAX_CALLS];
static int answered[MAX_CALLS], released[MAX_CALLS];
static q931_call *outgoing_call;
static int outgoing_done, outgoing_cause = -1, restart_acks;

static int slot_of(q931_call *call)
{
	for (int i = 0; i < MAX_CALLS; i++)
		if (calls[i] == call)
			return i;
	return -1;
}

static void handle_event(pri_event *e)
{
	int slot;

	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		dchan_up++;
		say("EVENT DCHAN_UP");
		break;
	case PRI_EVENT_DCHAN_DOWN:
		dchan_down++;
		say("EVENT DCHAN_DOWN");
		break;
	case PRI_EVENT_ANSWER:
		slot = slot_of(e->answer.call);
		say("EVENT ANSWER channel=%d", e->answer.channel);
		if (slot >= 0)
			answered[slot] = 1;
		break;
	case PRI_EVENT_RING:
		say("EVENT RING channel=%d called=%s complete=%d ctype=%d layer1=%d",
			e->ring.channel, e->ring.callednum, e->ring.complete, e->ring.ctype,
			e->ring.layer1);
		outgoing_call = e->ring.call;
		pri_proceeding(ctrl, e->ring.call, e->ring.channel, 0);
		pri_answer(ctrl, e->ring.call, e->ring.channel, 0);
		break;
	case PRI_EVENT_HANGUP_REQ:
		say("EVENT HANGUP_REQ cause=%d channel=%d", e->hangup.cause, e->hangup.channel);
		if (e->hangup.call == outgoing_call)
			outgoing_cause = e->hangup.cause;
		pri_hangup(ctrl, e->hangup.call, e->hangup.cause);
		break;
	case PRI_EVENT_HANGUP:
		say("EVENT HANGUP cause=%d channel=%d", e->hangup.cause, e->hangup.channel);
		if (e->hangup.call == outgoing_call) {
			outgoing_done = 1;
			if (outgoing_cause < 0)
				outgoing_cause = e->hangup.cause;
		}
		slot = slot_of(e->hangup.call);
		if (slot >= 0)
			released[slot] = 1;
		pri_hangup(ctrl, e->hangup.call, e->hangup.cause);
		break;
	case PRI_EVENT_HANGUP_ACK:
		say("EVENT HANGUP_ACK channel=%d", e->hangup.channel);
		slot = slot_of(e->hangup.call);
		if (slot >= 0)
			released[slot] = 1;
		if (e->hangup.call == outgoing_call)
			outgoing_done = 1;
		break;
	case PRI_EVENT_RESTART_ACK:
		restart_acks++;
		say("EVENT RESTART_ACK channel=%d", e->restartack.channel);
		break;
	default:
		say("EVENT %s", pri_event2str(e->e));
		break;
	}
}

/* Run libpri for at most max_ms of real time; returns early when done() holds. */
static int run_until(int (*done)(void), int max_ms, int virtual_idle)
{
	long long end = real_us() + (long long)max_ms * 1000;

	while (!peer_closed) {
		struct pollfd pfd = { .fd = conn_fd, .events = POLLIN };
		struct timeval *next;
		int wait_ms = 20, res;
		pri_event *e;

		if (done && done())
			return 1;
		if (real_us() >= end)
			return done ? 0 : 1;
		res = poll(&pfd, 1, wait_ms);
		if (res > 0) {
			int n = recv(conn_fd, rx_frame, sizeof(rx_frame), 0);

			if (n <= 0) {
				peer_closed = 1;
				say("EVENT PEER_CLOSED");
				break;
			}
			rx_len = n;
			from_box(rx_frame, n);
			e = pri_check_event(ctrl);
			if (e)
				handle_event(e);
			continue;
		}
		next = pri_schedule_next(ctrl);
		if (next) {
			long long due = (long long)next->tv_sec * 1000000 + next->tv_usec;

			if (virtual_idle && due > virtual_us())
				clock_offset_us += due - virtual_us();
			if (due <= virtual_us()) {
				e = pri_schedule_run(ctrl);
				if (e)
					handle_event(e);
			}
		}
	}
	return done ? done() : 1;
}

static int want_calls;

static int link_up(void) { return dchan_up > 0; }

static int all_answered(void)
{
	int n = 0;

	for (int i = 0; i < MAX_CALLS; i++)
		n += answered[i];
	return n >= want_calls;
}

static int all_released(void)
{
	for (int i = 0; i < MAX_CALLS; i++)
		if (calls[i] && !released[i])
			return 0;
	return 1;
}

static int outgoing_finished(void) { return outgoing_done; }

static int restart_acked(void) { return restart_acks > 0; }

static int channel_of_slot(int i) { return i < 15 ? i + 1 : i + 2; }

static int hex_to_bytes(const char *hex, unsigned char *out, int max)
{
	int n = 0;

	while (hex[0] && hex[1] && n < max) {
		unsigned int v;

		if (sscanf(hex, "%2x", &v) != 1)
			return -1;
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

static int do_step(const char *step)
{
	unsigned char buf[300];
	int n;

	say("STEP %s", step);
	if (!strcmp(step, "up"))
		return run_until(link_up, 10000, 0);
	if (!strncmp(step, "idle:", 5)) {
		long long end = virtual_us() + (long long)(atof(step + 5) * 1e6);

		/* Quiet spells of 150 ms real time let the virtual clock jump ahead. */
		while (!peer_closed && virtual_us() < end) {
			run_until(NULL, 150, 0);
			if (virtual_us() >= end)
				break;
			struct timeval *next = pri_schedule_next(ctrl);
			long long target = end;

			if (next) {
				long long due = (long long)next->tv_sec * 1000000 + next->tv_usec;
				if (due < target)
					target = due;
			}
			if (target > virtual_us())
				clock_offset_us += target - virtual_us();
			pri_event *e = pri_schedule_run(ctrl);
			if (e)
				handle_event(e);
		}
		say("POLLS sent=%d answered=%d up=%d down=%d", polls_sent, polls_answered,
			dchan_up, dchan_down);
		return !peer_closed;
	}
	if (!strncmp(step, "incoming:", 9)) {
		want_calls = atoi(step + 9);
		first_setup_crv = -1;
		memset(answered, 0, sizeof(answered));
		memset(released, 0, sizeof(released));
		for (int i = 0; i < want_calls && i < 30; i++) {
			struct pri_sr *sr = pri_sr_new();
			char called[16];

			calls[i] = pri_new_call(ctrl);
			snprintf(called, sizeof(called), "%d", 100 + i);
			pri_sr_set_channel(sr, channel_of_slot(i), 1, 0);
			pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW);
			pri_sr_set_called(sr, called, PRI_UNKNOWN, 1);
			pri_sr_set_caller(sr, "5551234", NULL, PRI_UNKNOWN,
				PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
			pri_setup(ctrl, calls[i], sr);
			pri_sr_free(sr);
		}
		n = run_until(all_answered, 15000, 0);
		int count = 0;
		for (int i = 0; i < MAX_CALLS; i++)
			count += answered[i];
		say("ANSWERED %d", count);
		return n;
	}
	if (!strcmp(step, "hangup")) {
		for (int i = 0; i < MAX_CALLS; i++)
			if (calls[i] && answered[i] && !released[i])
				pri_hangup(ctrl, calls[i], PRI_CAUSE_NORMAL_CLEARING);
		n = run_until(all_released, 15000, 0);
		int count = 0;
		for (int i = 0; i < MAX_CALLS; i++)
			count += calls[i] && released[i];
		say("CLEARED %d", count);
		memset(calls, 0, sizeof(calls));
		return n;
	}
	if (!strcmp(step, "outgoing")) {
		n = run_until(outgoing_finished, 20000, 0);
		say("OUTGOING done=%d cause=%d", outgoing_done, outgoing_cause);
		return n;
	}
	if (!strncmp(step, "reset:", 6)) {
		restart_acks = 0;
		pri_reset(ctrl, atoi(step + 6));
		return run_until(restart_acked, 5000, 0);
	}
	if (!strncmp(step, "inject-call:", 12)) {
		run_until(NULL, 150, 0);
		n = hex_to_bytes(step + 12, buf, sizeof(buf));
		if (n < 5 || first_setup_crv < 0)
			return 0;
		buf[2] = (unsigned char)((first_setup_crv >> 8) & 0x7f);
		buf[3] = (unsigned char)(first_setup_crv & 0xff);
		inject_q931(buf, n);
		return run_until(NULL, 400, 0);
	}
	if (!strncmp(step, "inject:", 7)) {
		run_until(NULL, 150, 0);
		n = hex_to_bytes(step + 7, buf, sizeof(buf));
		if (n <= 0)
			return 0;
		inject_q931(buf, n);
		return run_until(NULL, 250, 0);
	}
	if (!strncmp(step, "raw:", 4)) {
		n = hex_to_bytes(step + 4, buf, sizeof(buf));
		if (n < 0)
			return 0;
		print_frame("RAW", buf, n);
		send(conn_fd, buf, n, 0);
		return run_until(NULL, 100, 0);
	}
	if (!strncmp(step, "wait:", 5))
		return run_until(NULL, atoi(step + 5), 0);
	say("unknown step %s", step);
	return 0;
}

static void pri_message_cb(struct pri *pri, char *s)
{
	(void)pri;
	fprintf(stderr, "%s", s);
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int listen_fd, ok = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SOCKET STEP...\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
	unlink(argv[1]);
	if (bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(listen_fd, 1)) {
		perror("bind");
		return 2;
	}
	say("LISTENING");
	conn_fd = accept(listen_fd, NULL, NULL);
	if (conn_fd < 0) {
		perror("accept");
		return 2;
	}
	pri_set_message(pri_message_cb);
	pri_set_error(pri_message_cb);
	ctrl = pri_new_cb(conn_fd, PRI_NETWORK, PRI_SWITCH_EUROISDN_E1, io_read, io_write, NULL);
	if (!ctrl) {
		fprintf(stderr, "pri_new_cb failed\n");
		return 2;
	}
	pri_set_debug(ctrl, getenv("LIBPRI_DEBUG") ? PRI_DEBUG_Q921_STATE | PRI_DEBUG_Q931_DUMP
		: 0);
	for (int i = 2; i < argc && ok; i++) {
		ok = do_step(argv[i]);
		if (!ok)
			say("FAILED %s", argv[i]);
	}
	say("SUMMARY up=%d down=%d polls_sent=%d polls_answered=%d", dchan_up, dchan_down,
		polls_sent, polls_answered);
	close(conn_fd);
	return ok ? 0 : 1;
}
