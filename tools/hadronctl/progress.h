// A progress bar on stderr, only when stderr is a terminal (nothing when piped or redirected).
#pragma once

#include <cstdint>
#include <string>

namespace hadronctl {

class Progress {
 public:
  // `total` 0: unknown (a counter instead of a bar).
  Progress(std::string what, uint64_t total);
  ~Progress();  // ends the line
  void Set(uint64_t done);
  void Add(uint64_t n = 1) { Set(done_ + n); }

 private:
  void Draw();
  const std::string what_;
  const uint64_t total_;
  const bool enabled_;
  uint64_t done_ = 0;
  int64_t last_draw_ms_ = 0;
};

}  // namespace hadronctl
