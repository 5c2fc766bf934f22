/* riox-probe: print what this machine offers riox (Winsock on Windows,
 * the kernel's interfaces on Linux) and which backend "auto" picks.
 *   riox-probe          human-readable report
 *   riox-probe --json   one JSON object */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riox.h"
#ifdef RIOX_WITH_RIO_EMU
#include "rio_emu.h"
#include "riox_test.h"
#endif

static const char *yn(int v) { return v ? "yes" : "no"; }
static const char *tf(int v) { return v ? "true" : "false"; }

int main(int argc, char **argv) {
  riox_probe_report r;
  int json = 0, i, rc;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("usage: riox-probe [--json]\n");
      return 0;
    } else {
      fprintf(stderr, "riox-probe: unknown option '%s' (try --help)\n", argv[i]);
      return 2;
    }
  }
#ifdef RIOX_WITH_RIO_EMU
  {
    const char *emu = getenv("RIOX_RIO_EMULATION");
    if (emu != NULL && strcmp(emu, "1") == 0) rio_emu_install(1);
  }
#endif
  rc = riox_probe(&r);
  if (rc < 0) {
    fprintf(stderr, "riox-probe: %s (%s)\n", riox_strerror(rc), riox_last_detail());
    return 1;
  }
  if (json) {
    char detail[2 * sizeof r.detail];
    size_t k, j = 0;
    for (k = 0; r.detail[k] != '\0' && j + 2 < sizeof detail; k++) { /* JSON string escape */
      if (r.detail[k] == '"' || r.detail[k] == '\\') detail[j++] = '\\';
      detail[j++] = r.detail[k];
    }
    detail[j] = '\0';
    if (!r.winsock) { /* Linux */
      printf("{\"uring\":%s,\"epoll\":%s,\"ipv6\":%s,\"auto\":\"%s\","
             "\"uring_single_issuer\":%s,\"uring_defer_taskrun\":%s,\"uring_send_zc\":%s,"
             "\"uring_multishot\":%s,\"uring_fixed_bufs\":%s,\"udp_gso\":%s,\"udp_gro\":%s,"
             "\"reuseport\":%s,\"uso\":%s,\"uro\":%s,\"detail\":\"%s\"}\n",
             tf(r.uring), tf(r.epoll), tf(r.ipv6), r.auto_backend, tf(r.uring_single_issuer),
             tf(r.uring_defer_taskrun), tf(r.uring_send_zc), tf(r.uring_multishot),
             tf(r.uring_fixed_bufs), tf(r.udp_gso), tf(r.udp_gro), tf(r.reuseport), tf(r.uso),
             tf(r.uro), detail);
      return 0;
    }
    printf("{\"winsock\":%s,\"rio\":%s,\"rio_table\":%s,\"rio_emulated\":%s,\"rio_error\":%d,"
           "\"acceptex\":%s,\"connectex\":%s,\"getacceptexsockaddrs\":%s,\"disconnectex\":%s,"
           "\"wsarecvmsg\":%s,\"wsasendmsg\":%s,\"skip_on_success\":%s,\"ipv6\":%s,"
           "\"auto\":\"%s\",\"detail\":\"%s\"}\n",
           tf(r.winsock), tf(r.rio), tf(r.rio_table), tf(r.rio_emulated), r.rio_error,
           tf(r.acceptex), tf(r.connectex), tf(r.getacceptexsockaddrs), tf(r.disconnectex),
           tf(r.wsarecvmsg), tf(r.wsasendmsg), tf(r.skip_on_success), tf(r.ipv6), r.auto_backend,
           detail);
    return 0;
  }
  printf("riox %d.%d.%d capability probe\n", RIOX_VERSION_MAJOR, RIOX_VERSION_MINOR,
         RIOX_VERSION_PATCH);
  if (!r.winsock) { /* Linux */
    printf("  io_uring (uring)      %s\n", yn(r.uring));
    printf("    single issuer       %s\n", yn(r.uring_single_issuer));
    printf("    defer task run      %s\n", yn(r.uring_defer_taskrun));
    printf("    zero-copy send      %s\n", yn(r.uring_send_zc));
    printf("    multishot           %s\n", yn(r.uring_multishot));
    printf("    registered buffers  %s\n", yn(r.uring_fixed_bufs));
    printf("  epoll                 %s\n", yn(r.epoll));
    printf("  IPv6                  %s\n", yn(r.ipv6));
    printf("  UDP GSO / GRO         %s / %s\n", yn(r.udp_gso), yn(r.udp_gro));
    printf("  UDP USO / URO         %s / %s (Windows offloads)\n", yn(r.uso), yn(r.uro));
    printf("  SO_REUSEPORT          %s\n", yn(r.reuseport));
    printf("  backend \"auto\" picks  %s\n", r.auto_backend);
    printf("  %s\n", r.detail);
    return 0;
  }
  printf("  Winsock 2.2           %s\n", yn(r.winsock));
  printf("  Registered I/O (RIO)  %s%s\n", yn(r.rio), r.rio_emulated ? " (test emulator)" : "");
  printf("  RIO function table    %s\n", yn(r.rio_table));
  printf("  AcceptEx              %s\n", yn(r.acceptex));
  printf("  ConnectEx             %s\n", yn(r.connectex));
  printf("  GetAcceptExSockaddrs  %s\n", yn(r.getacceptexsockaddrs));
  printf("  DisconnectEx          %s\n", yn(r.disconnectex));
  printf("  WSARecvMsg            %s\n", yn(r.wsarecvmsg));
  printf("  WSASendMsg            %s\n", yn(r.wsasendmsg));
  printf("  skip-on-success (IFS) %s\n", yn(r.skip_on_success));
  printf("  IPv6                  %s\n", yn(r.ipv6));
  printf("  backend \"auto\" picks  %s\n", r.auto_backend);
  printf("  %s\n", r.detail);
  return 0;
}
