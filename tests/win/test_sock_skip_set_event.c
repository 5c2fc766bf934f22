/* Regression (issue 9, item 12, third part): riox's sockets were signalled
 * (their file object's event set) at every completion although nobody
 * waits on a socket handle; libuv sets FILE_SKIP_SET_EVENT_ON_HANDLE on its
 * sockets to spare that. riox now sets it on every socket whose provider is
 * IFS (SetFileCompletionNotificationModes is unsafe under non-IFS layered
 * providers), next to FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on TCP
 * connections as before.
 *
 * The modes are read back from the OS (NtQueryInformationFile,
 * FileIoCompletionNotificationInformation; Wine 8 answers it), on both
 * loops:
 *  - completion and readiness UDP sockets, both kinds of listener:
 *    SKIP_SET_EVENT (a listener's AcceptEx always posts its packet);
 *  - TCP connections (ConnectEx, AcceptEx, and accept() of a readiness
 *    listener): SKIP_SET_EVENT and SKIP_COMPLETION_PORT_ON_SUCCESS;
 *  - a socket whose provider reports no XP1_IFS_HANDLES (played through
 *    the socket seam, wshook.h): no mode at all. */
#include "wshook.h"

#define T_SKIP_PORT 0x1ul  /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS */
#define T_SKIP_EVENT 0x2ul /* FILE_SKIP_SET_EVENT_ON_HANDLE */

static ws_api_t t_api;
static int t_non_ifs;

static int WINAPI t_getsockopt(SOCKET s, int level, int name, char *val, int *len) {
  int rc = wh_getsockopt(s, level, name, val, len);
  if (rc == 0 && t_non_ifs && level == SOL_SOCKET && name == SO_PROTOCOL_INFOW)
    ((WSAPROTOCOL_INFOW *)val)->dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
  return rc;
}

static int modes(const char *what, riox_sock *sock, ULONG want) {
  ULONG got = 0;
  LONG st = wh_completion_modes((HANDLE)riox_test_sock_handle(sock), &got);
  if (st != 0) {
    H_FAIL("%s: NtQueryInformationFile(FileIoCompletionNotificationInformation) failed: 0x%08lx", what,
           (unsigned long)st);
    return 1;
  }
  if ((got & (T_SKIP_PORT | T_SKIP_EVENT)) != want) {
    H_FAIL("%s socket: completion modes 0x%lx, expected 0x%lx", what, got, want);
    return 1;
  }
  return 0;
}

static int closed(riox_loop *loop, riox_sock *s) {
  riox_event ev;
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *u, *r, *cl, *cli, *srv, *rl, *rc, *ra = NULL, *lu, *lcli, *lsrv;
  riox_addr lo = h_v4(0);
  wh_begin(&t_api);
  t_api.getsockopt = t_getsockopt;
  t_non_ifs = 0;
  wh_install(&t_api);
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &r));
  H_OK(riox_tcp_listen(loop, &lo, 4, 0, NULL, &cl));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv)) return 1;
  if (h_ready_tcp_pair(loop, &rl, &rc, &ra)) return 1;
  if (modes("completion UDP", u, T_SKIP_EVENT) || modes("readiness UDP", r, T_SKIP_EVENT) ||
      modes("completion listener", cl, T_SKIP_EVENT) || modes("readiness listener", rl, T_SKIP_EVENT) ||
      modes("connecting (ConnectEx)", cli, T_SKIP_EVENT | T_SKIP_PORT) ||
      modes("accepted (AcceptEx)", srv, T_SKIP_EVENT | T_SKIP_PORT) ||
      modes("readiness connect", rc, T_SKIP_EVENT | T_SKIP_PORT) ||
      modes("accepted (accept())", ra, T_SKIP_EVENT | T_SKIP_PORT))
    return 1;

  /* A layered, non-IFS provider: no mode is set. */
  t_non_ifs = 1;
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &lu));
  if (h_tcp_pair(loop, loop, 0, &lcli, &lsrv)) return 1;
  if (modes("non-IFS UDP", lu, 0) || modes("non-IFS connecting", lcli, 0) || modes("non-IFS accepted", lsrv, 0))
    return 1;
  t_non_ifs = 0;

  if (closed(loop, u) || closed(loop, r) || closed(loop, cl) || closed(loop, cli) || closed(loop, srv) || closed(loop, rl) ||
      closed(loop, rc) || closed(loop, ra) || closed(loop, lu) || closed(loop, lcli) || closed(loop, lsrv))
    return 1;
  riox_loop_close(loop);
  wh_end();
  return 0;
}

int main(void) { return h_run("sock_skip_set_event", test); }
