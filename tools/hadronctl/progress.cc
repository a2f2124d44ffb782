#include "tools/hadronctl/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace hadronctl {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Progress::Progress(std::string what, uint64_t total)
    : what_(std::move(what)), total_(total), enabled_(isatty(STDERR_FILENO) == 1) {
  if (enabled_) Draw();
}

Progress::~Progress() {
  if (!enabled_) return;
  Draw();
  std::fputc('\n', stderr);
}

void Progress::Set(uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  const int64_t now = NowMs();
  if (now - last_draw_ms_ < 100 && done_ != total_) return;  // at most 10 redraws a second
  last_draw_ms_ = now;
  Draw();
}

void Progress::Draw() {
  if (total_ == 0) {
    std::fprintf(stderr, "\r%s: %llu", what_.c_str(), static_cast<unsigned long long>(done_));
  } else {
    constexpr int kWidth = 30;
    const uint64_t shown = done_ > total_ ? total_ : done_;
    const int filled = static_cast<int>(shown * kWidth / total_);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    std::fprintf(stderr, "\r%s [%s] %llu/%llu (%3d%%)", what_.c_str(), bar.c_str(),
                 static_cast<unsigned long long>(shown), static_cast<unsigned long long>(total_),
                 static_cast<int>(shown * 100 / total_));
  }
  std::fflush(stderr);
}

}  // namespace hadronctl
