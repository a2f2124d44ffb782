// Happens-before annotations for ThreadSanitizer where the ordering comes from a library it
// cannot see (Debian's gRPC is not instrumented): a hand-off to a gRPC thread. No-ops otherwise.
#pragma once

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define HADRON_HAPPENS_BEFORE(addr) __tsan_release(const_cast<void*>(static_cast<const void*>(addr)))
#define HADRON_HAPPENS_AFTER(addr) __tsan_acquire(const_cast<void*>(static_cast<const void*>(addr)))
#else
#define HADRON_HAPPENS_BEFORE(addr) static_cast<void>(addr)
#define HADRON_HAPPENS_AFTER(addr) static_cast<void>(addr)
#endif
