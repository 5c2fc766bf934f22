/* For tests that check what riox hands the OS with each send (control data:
 * the source address, the segment size): the sends watched where they
 * leave riox, each still going where riox sent it.
 *  - IOCP: wsa_sendmsg / wsa_sendto of a socket-call table (ws_api_t,
 *    src/win/ws.h; wshook.h), forwarding to the table under the pass or
 *    to the OS (WSASendMsg looked up with WSAIoctl, as riox does);
 *  - rio-emulated: a wrapped copy of the emulator's RIO table: RIOSend and
 *    RIOSendEx, whose pControlContext is a RIO_CMSG_BUFFER (a ULONG
 *    TotalLength, then the messages at its aligned size) in memory found
 *    through the RIORegisterBuffer / RIODeregisterBuffer calls it saw.
 * Each control message goes to the test's callback; the spy counts the
 * sends and the faults every such test must reject.
 *
 *   ss_init(my_cmsg, &my_tally, sizeof my_tally, 0);
 *   iocp:  wh_begin(&t); ss_seam(&t); wh_install(&t); ... wh_end();
 *   rio:   ss_rio_begin(); ... ss_rio_end();
 *   per send: ss_send(loop, s, buf, len, &msg); then read ss_seen, my_tally. */
#ifndef RIOX_TEST_SENDSPY_H
#define RIOX_TEST_SENDSPY_H

#include <stddef.h>

#include "wshook.h"

/* ws2ipdef.h's (Windows 10 2004 and later), which mingw-w64's and Wine's
 * headers lack (as src/win/winapi.h). */
#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif

/* One control message of a watched send: cmsg_level, cmsg_type and its
 * data (len = cmsg_len less the aligned header). */
typedef void (*ss_cmsg_fn)(int level, int type, const char *data, size_t len);

typedef struct ss_counts {
  int sends; /* OS sends through the watched calls (RIO commit-only calls are none) */
  int ctl;   /* ... of them with control data (one or more bytes of it) */
  int bad;   /* control data that does not walk (a header past the end, cmsg_len out
              * of range, a length not covering its messages exactly), a RIO control
              * slice outside the memory registered or with TotalLength out of range,
              * a pLocalAddress ("reserved and must be NULL", RIOSendEx) */
} ss_counts;

extern ss_counts ss_seen;

/* on_cmsg: where control messages go (NULL: counted only); tally, size:
 * what on_cmsg counts into, zeroed with ss_seen (NULL, 0: none);
 * rio_drop_ctl: on RIO hand the emulator each send without its control
 * slice (for data the emulator refuses where the OS under it cannot do it,
 * e.g. UDP_SEND_MSG_SIZE). */
void ss_init(ss_cmsg_fn on_cmsg, void *tally, size_t size, int rio_drop_ctl);
/* ss_seen and the tally to zero (before the send a test looks at). */
void ss_reset(void);
/* One watched send: ss_reset, riox_sendmsg(s, buf, len, msg), and its one
 * RIOX_EV_SEND with status 0 and all len bytes. 0, or 1 (failure printed). */
int ss_send(riox_loop *loop, riox_sock *s, char *buf, uint32_t len, const riox_msg *msg);
/* t (from wh_begin) gets the spy's wsa_sendmsg and wsa_sendto; the caller
 * installs it (wh_install) and restores the pass's own (wh_end). */
void ss_seam(ws_api_t *t);
/* rio-emulated: install the wrapped RIO table over the emulator's. Skips
 * the program (h_skip) on real RIO, whose calls it cannot see, and in a
 * build without the emulator. */
void ss_rio_begin(void);
/* The emulator's own table again. */
void ss_rio_end(void);

#endif
