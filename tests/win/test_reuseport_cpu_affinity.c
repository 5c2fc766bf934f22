/* RIOX_SOCK_REUSEPORT on Windows ("A loop per core", docs/design.md): a UDP
 * socket with the flag is tied to its loop's processor with
 * WSAIoctl(SIO_CPU_AFFINITY) -- the per-processor sockets of msquic and of
 * ctsTraffic -EnableRecvSharding -- and the WSAIoctl page says the call
 * must come before bind (WSAEINVAL after it), takes a USHORT processor
 * index, and excludes SO_REUSEADDR.
 *
 * Wine has no SIO_CPU_AFFINITY (WSAEOPNOTSUPP), so this test plays a
 * Windows that has it through the socket seam (wshook.h): its WSAIoctl
 * takes SIO_CPU_AFFINITY, records what it was given and whether the socket
 * was bound yet (getsockname fails with WSAEINVAL on an unbound socket),
 * and says yes. It checks:
 *  - riox issues it once per UDP socket with the flag, with a 2-byte input
 *    holding riox_loop_config.cpu - 1, before the socket is bound;
 *  - a listener with the flag gets no SIO_CPU_AFFINITY (UDP only), nor does
 *    a UDP socket without the flag;
 *  - cpu 0 (none) is RIOX_EINVAL, so is RIOX_SOCK_REUSEADDR with the flag,
 *    and neither reaches the OS;
 *  - the provider's WSAEOPNOTSUPP (old Windows, Wine) is RIOX_ENOTSUP.
 * What only Windows can show: the RSS spreading itself. */
#include "wshook.h"

#ifndef SIO_CPU_AFFINITY
#define SIO_CPU_AFFINITY _WSAIOW(IOC_VENDOR, 21)
#endif

static ws_api_t t_api;
static unsigned t_calls;   /* SIO_CPU_AFFINITY calls */
static DWORD t_len;        /* input length of the last one */
static unsigned t_cpu;     /* its processor */
static int t_was_bound;    /* the socket was bound already */
static int t_refuse;       /* answer WSAEOPNOTSUPP, as Wine and old Windows do */

static int WINAPI t_wsaioctl(SOCKET s, DWORD code, LPVOID in, DWORD in_len, LPVOID out, DWORD out_len,
                             LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  struct sockaddr_storage ss;
  int sl = (int)sizeof ss;
  (void)ov;
  (void)done;
  if (code != SIO_CPU_AFFINITY) return wh_wsaioctl(s, code, in, in_len, out, out_len, bytes);
  t_calls++;
  t_len = in_len;
  t_cpu = in != NULL && in_len >= sizeof(USHORT) ? *(const USHORT *)in : 0xffffu;
  t_was_bound = getsockname(s, (struct sockaddr *)&ss, &sl) == 0;
  if (t_refuse) {
    WSASetLastError(WSAEOPNOTSUPP);
    return SOCKET_ERROR;
  }
  if (bytes != NULL) *bytes = 0;
  return 0;
}

static int test(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *u, *l, *p;
  riox_addr any = h_v4(0);
  wh_begin(&t_api);
  t_api.wsaioctl = t_wsaioctl;
  t_calls = 0;
  t_refuse = 0;
  wh_install(&t_api);
  h_config(&cfg);
  cfg.cpu = 3; /* processor 2 */
  H_OK(h_loop(&loop, &cfg));
  /* A UDP socket with the flag: one call, before bind. */
  H_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEPORT, NULL, &u));
  H_EQ(t_calls, 1);
  H_EQ(t_len, sizeof(USHORT));
  H_EQ(t_cpu, 2);
  H_EQ(t_was_bound, 0);
  /* A listener with the flag, and a UDP socket without: none. */
  H_OK(riox_tcp_listen(loop, &any, 0, RIOX_SOCK_REUSEPORT, NULL, &l));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &p));
  H_EQ(t_calls, 1);
  /* SO_REUSEADDR is incompatible with SIO_CPU_AFFINITY: refused before the OS. */
  H_ERR_D(riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEPORT | RIOX_SOCK_REUSEADDR, NULL, &p),
          RIOX_EINVAL);
  H_EQ(t_calls, 1);
  /* A provider without it. */
  t_refuse = 1;
  H_ERR_D(riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEPORT, NULL, &p), RIOX_ENOTSUP);
  H_EQ(t_calls, 2);
  t_refuse = 0;
  riox_loop_close(loop);
  /* No processor: refused, nothing asked of the OS. */
  H_OK(h_loop(&loop, NULL));
  H_ERR_D(riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEPORT, NULL, &p), RIOX_EINVAL);
  H_EQ(t_calls, 2);
  riox_loop_close(loop);
  wh_end();
  return 0;
}

int main(void) {
  printf("Wine has no SIO_CPU_AFFINITY: this test plays a Windows that has it through the socket "
         "seam (the RSS spreading over the sockets is seen on Windows only)\n");
  return h_run("reuseport_cpu_affinity", test);
}
