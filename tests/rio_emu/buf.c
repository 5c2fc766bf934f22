/* Buffer registrations: RIORegisterBuffer, RIODeregisterBuffer and the check
 * that a RIO_BUF slice lies inside one live registration. */
#include "rio_emu_int.h"

static rio_emu_htab_t buf__tab;
/* What a deregistered id points to once no request uses it any more: ids
 * are never reused, so the id keeps answering WSAEFAULT. */
static rio_emu_reg_t buf__dead = {NULL, 0, 0, 0, 1};

/* RIO locks the pages into memory and answers WSAEFAULT for memory it cannot
 * lock; the closest user-mode check is that every page is committed. */
static int buf__accessible(const char *p, DWORD len) {
  const char *end = p + len;
  while (p < end) {
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery(p, &mbi, sizeof mbi) == 0) return 0;
    if (mbi.State != MEM_COMMIT || (mbi.Protect & (PAGE_NOACCESS | PAGE_GUARD)) != 0) return 0;
    p = (const char *)mbi.BaseAddress + mbi.RegionSize;
  }
  return 1;
}

RIO_BUFFERID PASCAL rio_emu_register_buffer(PCHAR data, DWORD len) {
  rio_emu_reg_t *reg;
  ULONG id;
  int err;
  rio_emu_init();
  if (rio_emu_fault_hit(RIO_EMU_FN_REGISTER, &err)) {
    WSASetLastError(err);
    return RIO_INVALID_BUFFERID;
  }
  if (len == 0) {
    WSASetLastError(WSAEINVAL);
    return RIO_INVALID_BUFFERID;
  }
  if (data == NULL || (ULONG_PTR)data + len < (ULONG_PTR)data || !buf__accessible(data, len)) {
    WSASetLastError(WSAEFAULT);
    return RIO_INVALID_BUFFERID;
  }
  reg = (rio_emu_reg_t *)calloc(1, sizeof *reg);
  if (reg == NULL) {
    WSASetLastError(WSAENOBUFS);
    return RIO_INVALID_BUFFERID;
  }
  reg->base = data;
  reg->len = len;
  rio_emu_lock();
  id = rio_emu_htab_add(&buf__tab, reg);
  reg->id = id;
  rio_emu_unlock();
  if (id == 0) {
    free(reg);
    WSASetLastError(WSAENOBUFS);
    return RIO_INVALID_BUFFERID;
  }
  return (RIO_BUFFERID)(ULONG_PTR)id;
}

VOID PASCAL rio_emu_deregister_buffer(RIO_BUFFERID bid) {
  ULONG_PTR id = (ULONG_PTR)bid;
  rio_emu_reg_t *reg;
  int err;
  rio_emu_init();
  (void)rio_emu_fault_take(RIO_EMU_FN_DEREGISTER, &err); /* counted; never fails */
  rio_emu_lock();
  reg = (rio_emu_reg_t *)rio_emu_htab_get(&buf__tab, id);
  /* An invalid or already deregistered id is ignored, as RIO documents. */
  if (reg != NULL && !reg->dead) {
    reg->dead = 1;
    if (reg->inuse > 0) {
      /* RIO: "If a buffer that is still in use is deregistered, the results
       * are undefined. This is considered a serious error." The I/O keeps
       * using the memory; the registration record lives until it ends. */
      rio_emu_misuse("RIODeregisterBuffer(%lu) while %ld request(s) still use it (a buffer "
                     "belongs to RIO until its completion is dequeued)",
                     (unsigned long)id, (long)reg->inuse);
    } else {
      buf__tab.slot[id - 1] = &buf__dead;
      free(reg);
    }
  }
  rio_emu_unlock();
}

int rio_emu_buf_slice(const RIO_BUF *b, ULONG min_len, rio_emu_reg_t **out) {
  rio_emu_reg_t *reg = (rio_emu_reg_t *)rio_emu_htab_get(&buf__tab, (ULONG_PTR)b->BufferId);
  if (reg == NULL) return WSAEINVAL;
  if (reg->dead) return WSAEFAULT;
  if ((ULONGLONG)b->Offset + b->Length > reg->len) return WSAEINVAL;
  if (b->Length < min_len) return WSAEINVAL;
  *out = reg;
  return 0;
}

char *rio_emu_buf_ptr(const rio_emu_reg_t *reg, const RIO_BUF *b) { return reg->base + b->Offset; }

void rio_emu_buf_ref(rio_emu_reg_t *reg) { reg->inuse++; }

void rio_emu_buf_unref(rio_emu_reg_t *reg) {
  if (--reg->inuse == 0 && reg->dead) {
    buf__tab.slot[reg->id - 1] = &buf__dead;
    free(reg);
  }
}
