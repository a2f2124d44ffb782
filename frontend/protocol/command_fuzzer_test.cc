// Runs the fuzz seed corpus, and deterministic mutations of it, through the fuzz entry point.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string> Corpus() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator("frontend/protocol/fuzz_corpus")) {
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

int RunOne(const std::string& s) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(CommandFuzzerTest, SeedCorpus) {
  std::vector<std::string> corpus = Corpus();
  ASSERT_GE(corpus.size(), 5u);
  for (const std::string& seed : corpus) {
    for (int control = 0; control < 256; control += 17) {
      EXPECT_EQ(RunOne(std::string(1, static_cast<char>(control)) + seed), 0);
    }
  }
}

TEST(CommandFuzzerTest, Mutations) {
  std::vector<std::string> corpus = Corpus();
  uint32_t x = 42;
  auto rnd = [&x] {
    x = x * 1664525 + 1013904223;
    return x >> 8;
  };
  const char interesting[] = "{}()[]<>\"\\+~*$:,. \r\n0129";
  for (int i = 0; i < 3000; ++i) {
    std::string s = corpus[rnd() % corpus.size()];
    int edits = 1 + rnd() % 4;
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = rnd() % s.size();
      switch (rnd() % 3) {
        case 0: s[at] = interesting[rnd() % (sizeof(interesting) - 1)]; break;
        case 1: s.erase(at, 1 + rnd() % 8); break;
        default: s.insert(at, std::string(1 + rnd() % 3, interesting[rnd() % (sizeof(interesting) - 1)]));
      }
    }
    EXPECT_EQ(RunOne(std::string(1, static_cast<char>(rnd())) + s), 0);
  }
}

}  // namespace
