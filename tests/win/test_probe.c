/* riox_probe reports what the Winsock provider offers: the extension
 * functions every Windows (and Wine 8) has, and RIO only where it exists.
 * Wine has no RIO: WSAIoctl(SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER,
 * WSAID_MULTIPLE_RIO) fails there with WSAEOPNOTSUPP (10045). */
#include "harness.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#define PROBE_WSAEOPNOTSUPP 10045

/* Wine's ntdll exports wine_get_version; Windows' never does. */
static int under_wine(void) {
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

static int test(void) {
  riox_probe_report rep;
  memset(&rep, 0x5a, sizeof rep); /* the probe must overwrite every field */
  H_OK(riox_probe(&rep));
  printf("probe: rio=%d emulated=%d rio_error=%d acceptex=%d connectex=%d ipv6=%d skip=%d: %s\n",
         rep.rio, rep.rio_emulated, rep.rio_error, rep.acceptex, rep.connectex, rep.ipv6,
         rep.skip_on_success, rep.detail);
  H_EQ(rep.winsock, 1);
  H_EQ(rep.acceptex, 1);
  H_EQ(rep.connectex, 1);
  H_EQ(rep.getacceptexsockaddrs, 1);
  H_CHECK(memchr(rep.detail, '\0', sizeof rep.detail) != NULL);
  H_CHECK(rep.detail[0] != '\0');
  if (!under_wine()) {
    /* Native Windows 8+ always has RIO, so the OS table must be found. */
    H_EQ(rep.rio, 1);
    H_EQ(rep.rio_table, 1);
    H_EQ(rep.rio_emulated, 0);
    H_EQ(rep.rio_error, 0);
  } else if (rep.rio_emulated) {
    /* The test emulator stands in (the "rio-emulated" run of h_run): the
     * table is there, but the OS answer is still reported. */
    H_EQ(rep.rio, 1);
    H_EQ(rep.rio_table, 1);
    H_EQ(rep.rio_error, PROBE_WSAEOPNOTSUPP);
  } else {
    /* Wine: no RIO, and the reason is the WSA error of the lookup. */
    H_EQ(rep.rio, 0);
    H_EQ(rep.rio_table, 0);
    H_EQ(rep.rio_error, PROBE_WSAEOPNOTSUPP);
    H_CHECK(strstr(rep.detail, "10045") != NULL);
  }
  H_ERR(riox_probe(NULL), RIOX_EINVAL);
  H_CHECK(riox_last_detail()[0] != '\0');
  return 0;
}

int main(void) { return h_run("probe", test); }
