/* Regression (issue 9, item 12, first part): AFD polls were always
 * submitted on a private socket per group of 32 watched sockets. As wepoll
 * does (afd_create_device_handle), riox now opens \Device\Afd\riox with
 * NtCreateFile for them, bound to the loop's port with
 * FILE_SKIP_SET_EVENT_ON_HANDLE; a private socket stays as the fallback
 * where the device cannot be opened, or refuses the first poll submitted on
 * it (afd.c used to say Wine 8 does; Wine 8.0 as installed here accepts
 * them, and the test says which it found).
 *
 * Every socket riox makes and every IOCTL_AFD_POLL are seen through the
 * socket seam (wshook.h). On both loops:
 *  1. as the host is: polls go to a handle that is none of riox's sockets
 *     (the device), no poll socket is made, READABLE arrives, and the
 *     device reports FILE_SKIP_SET_EVENT_ON_HANDLE; a host that refuses
 *     the device is reported, and then the fallback is what is checked;
 *  2. a host that refuses device polls (played: STATUS_INVALID_PARAMETER):
 *     each group's device is refused once, the groups move to private
 *     sockets, groups made afterwards open no device, and READABLE arrives
 *     in every group (70 sockets: 3 groups);
 *  3. a host where NtCreateFile fails (played): private sockets from the
 *     start, no device poll, READABLE arrives. */
#include "wshook.h"

#include "../../src/win/afd.h"

#define T_LOG 512

enum { T_REAL = 1, T_REFUSE, T_NO_DEVICE };

static ws_api_t t_api;
static int t_mode;
static SOCKET t_socks[T_LOG], t_bases[T_LOG];
static int t_nsocks, t_creates, t_device_polls, t_socket_polls, t_refused, t_host_refused;
static LONG t_host_status;
static HANDLE t_device;

static SOCKET WINAPI t_socket(int af, int type, int proto, LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags) {
  SOCKET s = wh_socket(af, type, proto, flags);
  DWORD bytes = 0;
  (void)info;
  (void)g;
  if (s != INVALID_SOCKET && t_nsocks < T_LOG) {
    t_socks[t_nsocks] = s;
    t_bases[t_nsocks] = s;
    (void)wh_wsaioctl(s, SIO_BASE_HANDLE, NULL, 0, &t_bases[t_nsocks], sizeof(SOCKET), &bytes);
    t_nsocks++;
  }
  return s;
}

static int t_is_socket(HANDLE h) {
  int i;
  for (i = 0; i < t_nsocks; i++)
    if ((HANDLE)t_socks[i] == h || (HANDLE)t_bases[i] == h) return 1;
  return 0;
}

static LONG NTAPI t_nt_create(PHANDLE file, ACCESS_MASK access, PVOID attrs, PVOID iosb, PLARGE_INTEGER alloc,
                              ULONG attributes, ULONG share, ULONG disposition, ULONG options, PVOID ea,
                              ULONG ea_len) {
  t_creates++;
  if (t_mode == T_NO_DEVICE) return WH_STATUS_ACCESS_DENIED;
  return wh_nt_create(file, access, attrs, iosb, alloc, attributes, share, disposition, options, ea, ea_len);
}

static LONG NTAPI t_nt_ioctl(HANDLE file, HANDLE event, PVOID apc, PVOID apc_ctx, PVOID iosb, ULONG code,
                             PVOID in, ULONG in_len, PVOID out, ULONG out_len) {
  LONG st;
  int device = code == WH_IOCTL_AFD_POLL && !t_is_socket(file);
  if (code == WH_IOCTL_AFD_POLL) {
    if (device) {
      t_device_polls++;
      t_device = file;
    } else {
      t_socket_polls++;
    }
  }
  if (device && t_mode == T_REFUSE) {
    t_refused++;
    return WH_STATUS_INVALID_PARAMETER;
  }
  st = wh_nt_ioctl(file, event, apc, apc_ctx, iosb, code, in, in_len, out, out_len);
  if (device && st < 0) {
    t_host_refused++;
    t_host_status = st;
  }
  return st;
}

static void t_install(int mode) {
  wh_begin(&t_api);
  t_api.socket = t_socket;
  t_api.nt_create = t_nt_create;
  t_api.nt_ioctl = t_nt_ioctl;
  t_mode = mode;
  t_nsocks = t_creates = t_device_polls = t_socket_polls = t_refused = t_host_refused = 0;
  t_device = NULL;
  wh_install(&t_api);
}

/* Readiness UDP sockets, all watched for READABLE. */
static int open_watched(riox_loop *loop, riox_sock **socks, int from, int to) {
  riox_addr lo = h_v4(0);
  int i;
  for (i = from; i < to; i++) {
    H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &socks[i]));
    H_OK(riox_watch(socks[i], RIOX_READABLE, NULL));
  }
  return 0;
}

/* A datagram to `to` is reported READABLE. */
static int readable(riox_loop *loop, riox_sock *from, riox_sock *to) {
  riox_addr at;
  riox_event ev;
  char buf[8];
  H_OK(riox_sock_local(to, &at));
  H_EQ(riox_try_send(from, "rd", 2, &at), 2);
  if (h_wait_for(loop, RIOX_EV_READY, to, &ev, NULL, 5000) != 0) {
    H_FAIL("no READABLE within 5 s (%d device poll(s), %d socket poll(s))", t_device_polls, t_socket_polls);
    return 1;
  }
  H_CHECK((ev.ready & RIOX_READABLE) != 0);
  H_EQ(riox_try_recv(to, buf, sizeof buf, NULL), 2);
  return 0;
}

static int close_all(riox_loop *loop, riox_sock **socks, int n) {
  riox_event ev;
  int i;
  for (i = 0; i < n; i++) H_OK(riox_close(socks[i]));
  for (i = 0; i < n; i++) H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, socks[i], &ev, NULL, 5000), 0);
  return 0;
}

static int as_the_host_is(void) {
  riox_loop *loop;
  riox_sock *s[2];
  riox_event ev;
  int made;
  ULONG modes = 0;
  LONG st;
  t_install(T_REAL);
  H_OK(h_loop(&loop, NULL));
  made = t_nsocks;
  if (open_watched(loop, s, 0, 2)) return 1;
  (void)riox_wait(loop, &ev, 1, 0); /* submit the polls */
  if (t_host_refused > 0) {
    printf("[%s] this host refuses IOCTL_AFD_POLL on \\Device\\Afd (NTSTATUS 0x%08lx): what is "
           "checked is the fallback to a private socket\n",
           h_backend, (unsigned long)t_host_status);
    H_EQ(t_nsocks, made + 2 + 1);
    H_CHECK(t_socket_polls >= 2);
  } else {
    if (t_creates != 1 || t_device_polls < 2 || t_socket_polls != 0 || t_nsocks != made + 2) {
      H_FAIL("NtCreateFile called %d time(s), %d poll(s) on a device handle, %d on a socket, %d poll "
             "socket(s) made: expected polls on \\Device\\Afd\\riox and no poll socket",
             t_creates, t_device_polls, t_socket_polls, t_nsocks - made - 2);
      return 1;
    }
    st = wh_completion_modes(t_device, &modes);
    if (st != 0) {
      printf("[%s] NOTE: this host does not report completion modes (NTSTATUS 0x%08lx)\n", h_backend,
             (unsigned long)st);
    } else if (!(modes & FILE_SKIP_SET_EVENT_ON_HANDLE)) {
      H_FAIL("the device handle's completion modes are 0x%lx: FILE_SKIP_SET_EVENT_ON_HANDLE missing", modes);
      return 1;
    }
    printf("[%s] polls went to \\Device\\Afd\\riox (completion modes 0x%lx)\n", h_backend, modes);
  }
  if (readable(loop, s[1], s[0]) || close_all(loop, s, 2)) return 1;
  riox_loop_close(loop);
  wh_end();
  return 0;
}

static int device_refused(void) {
  riox_loop *loop;
  riox_sock *s[70];
  riox_event ev;
  int made, creates;
  t_install(T_REFUSE);
  H_OK(h_loop(&loop, NULL));
  made = t_nsocks;
  if (open_watched(loop, s, 0, 40)) return 1;
  (void)riox_wait(loop, &ev, 1, 0);
  /* Two groups, each opened on the device and refused once, now on sockets. */
  H_EQ(t_creates, 2);
  H_EQ(t_refused, 2);
  H_EQ(t_nsocks, made + 40 + 2);
  creates = t_creates;
  /* A group made after the refusal starts on a socket. */
  if (open_watched(loop, s, 40, 70)) return 1;
  (void)riox_wait(loop, &ev, 1, 0);
  H_EQ(t_creates, creates);
  H_EQ(t_refused, 2);
  H_EQ(t_nsocks, made + 70 + 3);
  if (readable(loop, s[1], s[0]) || readable(loop, s[0], s[39]) || readable(loop, s[0], s[69])) return 1;
  if (close_all(loop, s, 70)) return 1;
  riox_loop_close(loop);
  wh_end();
  return 0;
}

static int device_missing(void) {
  riox_loop *loop;
  riox_sock *s[2];
  riox_event ev;
  int made;
  t_install(T_NO_DEVICE);
  H_OK(h_loop(&loop, NULL));
  made = t_nsocks;
  if (open_watched(loop, s, 0, 2)) return 1;
  (void)riox_wait(loop, &ev, 1, 0);
  H_EQ(t_creates, 1);
  H_EQ(t_device_polls, 0);
  H_EQ(t_nsocks, made + 2 + 1);
  if (readable(loop, s[1], s[0]) || close_all(loop, s, 2)) return 1;
  riox_loop_close(loop);
  wh_end();
  return 0;
}

static int test(void) { return as_the_host_is() || device_refused() || device_missing(); }

int main(void) { return h_run("poll_afd_device", test); }
