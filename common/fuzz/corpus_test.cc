// Runs a fuzz target's seed corpus, and deterministic mutations of it built from its dictionary,
// through its LLVMFuzzerTestOneInput as an ordinary test (CONVENTIONS 14). The same corpus and
// dictionary feed the libFuzzer binary (`bazel build --config=fuzz`, tests/fuzz/run.sh).
//
// Usage (from hadron_fuzz_target): corpus_test <corpus dir> <dictionary file> <mutations>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string g_corpus_dir, g_dict_path;
int g_mutations = 2000;

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// libFuzzer/AFL dictionary syntax: one `name="value"` or `"value"` a line, `#` comments,
// \\, \" and \xNN escapes.
std::vector<std::string> ParseDictionary(const std::string& text, std::string* error) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t q = line.find('"', b);
    size_t e = line.rfind('"');
    if (q == std::string::npos || e == q) {
      *error = "line " + std::to_string(n) + ": no quoted value";
      return {};
    }
    std::string v;
    for (size_t i = q + 1; i < e; ++i) {
      if (line[i] != '\\') {
        v.push_back(line[i]);
        continue;
      }
      if (i + 1 >= e) break;
      char c = line[++i];
      if (c == 'x' && i + 2 < e) {
        v.push_back(static_cast<char>(std::strtol(line.substr(i + 1, 2).c_str(), nullptr, 16)));
        i += 2;
      } else {
        v.push_back(c);
      }
    }
    out.push_back(v);
  }
  return out;
}

std::vector<std::string> Corpus() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(g_corpus_dir)) {
    if (entry.is_regular_file()) out.push_back(ReadFile(entry.path()));
  }
  return out;
}

int RunOne(const std::string& s) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(FuzzCorpusTest, DictionaryParses) {
  std::string error;
  auto dict = ParseDictionary(ReadFile(g_dict_path), &error);
  EXPECT_EQ(error, "");
  EXPECT_GE(dict.size(), 5u) << g_dict_path;
}

TEST(FuzzCorpusTest, SeedCorpus) {
  auto corpus = Corpus();
  ASSERT_GE(corpus.size(), 3u) << g_corpus_dir;
  for (const auto& seed : corpus) EXPECT_EQ(RunOne(seed), 0);
  EXPECT_EQ(RunOne(""), 0);
}

TEST(FuzzCorpusTest, DictionaryMutations) {
  auto corpus = Corpus();
  ASSERT_FALSE(corpus.empty());
  std::string error;
  auto dict = ParseDictionary(ReadFile(g_dict_path), &error);
  ASSERT_FALSE(dict.empty());
  uint32_t x = 12345;
  auto rnd = [&x] {
    x = x * 1664525 + 1013904223;
    return x >> 8;
  };
  for (int i = 0; i < g_mutations; ++i) {
    std::string s = corpus[rnd() % corpus.size()];
    int edits = 1 + rnd() % 5;
    for (int e = 0; e < edits; ++e) {
      size_t at = s.empty() ? 0 : rnd() % (s.size() + 1);
      switch (rnd() % 5) {
        case 0: s.insert(at, dict[rnd() % dict.size()]); break;
        case 1: if (at < s.size()) s.erase(at, 1 + rnd() % 16); break;
        case 2: if (at < s.size()) s[at] = static_cast<char>(rnd()); break;
        case 3: s.insert(at, std::string(1 + rnd() % 64, static_cast<char>(rnd()))); break;
        default: {  // splice another seed
          const std::string& o = corpus[rnd() % corpus.size()];
          if (!o.empty()) s.insert(at, o.substr(rnd() % o.size(), 1 + rnd() % 64));
        }
      }
    }
    EXPECT_EQ(RunOne(s), 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc < 3) {
    fprintf(stderr, "usage: %s <corpus dir> <dictionary> [mutations]\n", argv[0]);
    return 2;
  }
  g_corpus_dir = argv[1];
  g_dict_path = argv[2];
  if (argc > 3) g_mutations = std::atoi(argv[3]);
  return RUN_ALL_TESTS();
}
