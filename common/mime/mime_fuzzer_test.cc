// Runs the MIME fuzz seed corpus, and deterministic mutations of it, through the fuzz entry point.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string> Corpus() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator("common/mime/fuzz_corpus")) {
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

TEST(MimeFuzzerTest, SeedCorpus) {
  std::vector<std::string> corpus = Corpus();
  ASSERT_GE(corpus.size(), 20u);
  for (const std::string& seed : corpus) EXPECT_EQ(RunOne(seed), 0);
}

TEST(MimeFuzzerTest, Mutations) {
  std::vector<std::string> corpus = Corpus();
  ASSERT_FALSE(corpus.empty());
  uint32_t x = 4242;
  auto rnd = [&x] {
    x = x * 1664525 + 1013904223;
    return x >> 8;
  };
  // Bytes that matter to MIME: boundaries, header syntax, encodings, line ends.
  const std::string interesting[] = {"--", "\r\n", "\n", ":", ";", "=", "\"", "boundary=",
                                     "Content-Type: multipart/mixed; boundary=a\r\n",
                                     "Content-Type: message/rfc822\r\n", "=?utf-8?B?", "?=",
                                     "*0*=", "Content-Transfer-Encoding: base64\r\n", "\0", " "};
  for (int i = 0; i < 1500; ++i) {
    std::string s = corpus[rnd() % corpus.size()];
    int edits = 1 + rnd() % 6;
    for (int e = 0; e < edits; ++e) {
      size_t at = s.empty() ? 0 : rnd() % s.size();
      const std::string& ins = interesting[rnd() % (sizeof(interesting) / sizeof(interesting[0]))];
      switch (rnd() % 4) {
        case 0: if (!s.empty()) s[at] = ins.empty() ? 'x' : ins[0]; break;
        case 1: if (!s.empty()) s.erase(at, 1 + rnd() % 32); break;
        case 2: s = s.substr(0, at); break;
        default: s.insert(at, ins);
      }
    }
    EXPECT_EQ(RunOne(s), 0);
  }
}

}  // namespace
