// Tells ThreadSanitizer about Debian's (uninstrumented) absl::Mutex, so that state guarded by it
// is not reported as racy: LD_PRELOADed into the TSAN-built servers by tests/tsan.sh only.
//
// Debian builds Abseil without TSAN, so Mutex::Lock/Unlock synchronize through atomics and futexes
// that TSAN cannot see. Each wrapper below calls the real function (found with dlsym(RTLD_NEXT))
// and adds the happens-before edge: __tsan_release before giving the lock up, __tsan_acquire after
// taking it. The symbols are the Itanium-mangled names of absl::debian3 (Abseil 20220623).
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"

namespace {

// absl::Duration and absl::Time: { int64_t; uint32_t; }, trivially copyable, passed in registers.
struct Dur {
  int64_t hi;
  uint32_t lo;
};

template <typename Fn>
Fn Real(const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (p == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: %s not found\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(p);
}

// A Condition is evaluated while the mutex is held, by the waiter or by whichever thread is
// unlocking, inside Abseil where TSAN cannot see the lock: wrap it so that the evaluation itself
// is bracketed by acquire/release of the mutex.
struct Guarded {
  const absl::Condition* cond;
  void* mu;
};

bool EvalGuarded(Guarded* g) {
  __tsan_acquire(g->mu);
  bool r = g->cond->Eval();
  __tsan_release(g->mu);
  return r;
}

}  // namespace

#define GUARD(mu, c)                                                   \
  Guarded guarded{static_cast<const absl::Condition*>(c), mu};          \
  absl::Condition wrapped(&EvalGuarded, &guarded);                      \
  const void* cw = &wrapped

#define NAME_MUTEX(s) "_ZN4absl7debian35Mutex" s

// ---- plain lock / unlock ----------------------------------------------------------------------
extern "C" void MuLock(void* mu) __asm__("_ZN4absl7debian35Mutex4LockEv");
void MuLock(void* mu) {
  static auto real = Real<void (*)(void*)>(NAME_MUTEX("4LockEv"));
  real(mu);
  __tsan_acquire(mu);
}

extern "C" void MuReaderLock(void* mu) __asm__("_ZN4absl7debian35Mutex10ReaderLockEv");
void MuReaderLock(void* mu) {
  static auto real = Real<void (*)(void*)>(NAME_MUTEX("10ReaderLockEv"));
  real(mu);
  __tsan_acquire(mu);
}

extern "C" void MuUnlock(void* mu) __asm__("_ZN4absl7debian35Mutex6UnlockEv");
void MuUnlock(void* mu) {
  static auto real = Real<void (*)(void*)>(NAME_MUTEX("6UnlockEv"));
  __tsan_release(mu);
  real(mu);
}

extern "C" void MuReaderUnlock(void* mu) __asm__("_ZN4absl7debian35Mutex12ReaderUnlockEv");
void MuReaderUnlock(void* mu) {
  static auto real = Real<void (*)(void*)>(NAME_MUTEX("12ReaderUnlockEv"));
  __tsan_release(mu);
  real(mu);
}

extern "C" bool MuTryLock(void* mu) __asm__("_ZN4absl7debian35Mutex7TryLockEv");
bool MuTryLock(void* mu) {
  static auto real = Real<bool (*)(void*)>(NAME_MUTEX("7TryLockEv"));
  bool ok = real(mu);
  if (ok) __tsan_acquire(mu);
  return ok;
}

extern "C" bool MuReaderTryLock(void* mu) __asm__("_ZN4absl7debian35Mutex13ReaderTryLockEv");
bool MuReaderTryLock(void* mu) {
  static auto real = Real<bool (*)(void*)>(NAME_MUTEX("13ReaderTryLockEv"));
  bool ok = real(mu);
  if (ok) __tsan_acquire(mu);
  return ok;
}

// ---- conditional locking: the lock is held on return (even when a timeout returns false) -----
extern "C" void MuLockWhen(void* mu, const void* c) __asm__("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
void MuLockWhen(void* mu, const void* c) {
  static auto real = Real<void (*)(void*, const void*)>(NAME_MUTEX("8LockWhenERKNS0_9ConditionE"));
  GUARD(mu, c);
  real(mu, cw);
  __tsan_acquire(mu);
}

extern "C" void MuReaderLockWhen(void* mu, const void* c) __asm__("_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
void MuReaderLockWhen(void* mu, const void* c) {
  static auto real =
      Real<void (*)(void*, const void*)>(NAME_MUTEX("14ReaderLockWhenERKNS0_9ConditionE"));
  GUARD(mu, c);
  real(mu, cw);
  __tsan_acquire(mu);
}

#define LOCK_WHEN_TIMED(fn, sym)                                              \
  extern "C" bool fn(void* mu, const void* c, Dur d) __asm__("_ZN4absl7debian35Mutex" sym); \
  bool fn(void* mu, const void* c, Dur d) {                                   \
    static auto real = Real<bool (*)(void*, const void*, Dur)>(NAME_MUTEX(sym)); \
    GUARD(mu, c);                                                             \
    bool r = real(mu, cw, d);                                                 \
    __tsan_acquire(mu);                                                       \
    return r;                                                                 \
  }
LOCK_WHEN_TIMED(MuLockWhenWithTimeout, "19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE")
LOCK_WHEN_TIMED(MuLockWhenWithDeadline, "20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE")
LOCK_WHEN_TIMED(MuReaderLockWhenWithTimeout,
                "25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE")
LOCK_WHEN_TIMED(MuReaderLockWhenWithDeadline,
                "26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE")

// ---- Await: gives the lock up while waiting and holds it again on return ----------------------
extern "C" void MuAwait(void* mu, const void* c) __asm__("_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
void MuAwait(void* mu, const void* c) {
  static auto real = Real<void (*)(void*, const void*)>(NAME_MUTEX("5AwaitERKNS0_9ConditionE"));
  __tsan_release(mu);
  GUARD(mu, c);
  real(mu, cw);
  __tsan_acquire(mu);
}

#define AWAIT_TIMED(fn, sym)                                                  \
  extern "C" bool fn(void* mu, const void* c, Dur d) __asm__("_ZN4absl7debian35Mutex" sym); \
  bool fn(void* mu, const void* c, Dur d) {                                   \
    static auto real = Real<bool (*)(void*, const void*, Dur)>(NAME_MUTEX(sym)); \
    __tsan_release(mu);                                                       \
    GUARD(mu, c);                                                             \
    bool r = real(mu, cw, d);                                                 \
    __tsan_acquire(mu);                                                       \
    return r;                                                                 \
  }
AWAIT_TIMED(MuAwaitWithTimeout, "16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE")
AWAIT_TIMED(MuAwaitWithDeadline, "17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE")

// ---- CondVar: Wait gives the mutex up and takes it again -------------------------------------
extern "C" void CvWait(void* cv, void* mu) __asm__("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
void CvWait(void* cv, void* mu) {
  static auto real = Real<void (*)(void*, void*)>("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  real(cv, mu);
  __tsan_acquire(mu);
}

#define CV_TIMED(fn, sym)                                                     \
  extern "C" bool fn(void* cv, void* mu, Dur d) __asm__("_ZN4absl7debian37CondVar" sym); \
  bool fn(void* cv, void* mu, Dur d) {                                        \
    static auto real = Real<bool (*)(void*, void*, Dur)>("_ZN4absl7debian37CondVar" sym); \
    __tsan_release(mu);                                                       \
    bool r = real(cv, mu, d);                                                 \
    __tsan_acquire(mu);                                                       \
    return r;                                                                 \
  }
CV_TIMED(CvWaitWithTimeout, "15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE")
CV_TIMED(CvWaitWithDeadline, "16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE")
