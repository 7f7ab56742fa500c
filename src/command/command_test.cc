#include "command/command.h"

#include <gtest/gtest.h>

#include "base/random.h"

namespace command {
namespace {

Command Sample() {
  Command c;
  c.type = Type::kRequest;
  c.transaction = true;
  c.qualify_columns = true;
  c.txn_control = true;
  c.db_timeout_ns = -5;
  api::Statement s1{"INSERT INTO t VALUES(?, :n)", {}, true, false};
  s1.parameters.push_back({"", int64_t{-42}});
  s1.parameters.push_back({"n", std::string("fiona\0x", 7)});
  s1.parameters.push_back({"", 3.25});
  s1.parameters.push_back({"", api::Blob{"\xde\xad"}});
  s1.parameters.push_back({"", std::monostate{}});
  s1.parameters.push_back({"", true});
  s1.parameters.push_back({"", int64_t{INT64_MIN}});
  c.statements.push_back(s1);
  c.statements.push_back({"EXPLAIN SELECT 1", {}, false, true});
  c.data = "payload";
  return c;
}

void ExpectSame(const Command& a, const Command& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.transaction, b.transaction);
  EXPECT_EQ(a.qualify_columns, b.qualify_columns);
  EXPECT_EQ(a.txn_control, b.txn_control);
  EXPECT_EQ(a.db_timeout_ns, b.db_timeout_ns);
  EXPECT_EQ(a.data, b.data);
  ASSERT_EQ(a.statements.size(), b.statements.size());
  for (size_t i = 0; i < a.statements.size(); ++i) {
    EXPECT_EQ(a.statements[i].sql, b.statements[i].sql);
    EXPECT_EQ(a.statements[i].returning, b.statements[i].returning);
    EXPECT_EQ(a.statements[i].explain, b.statements[i].explain);
    ASSERT_EQ(a.statements[i].parameters.size(), b.statements[i].parameters.size());
    for (size_t j = 0; j < a.statements[i].parameters.size(); ++j) {
      EXPECT_EQ(a.statements[i].parameters[j].name, b.statements[i].parameters[j].name);
      EXPECT_EQ(a.statements[i].parameters[j].value, b.statements[i].parameters[j].value);
    }
  }
}

TEST(CommandCodec, RoundTripUncompressed) {
  Command c = Sample();
  std::string bytes = Encode(c, 0);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[1], static_cast<char>(Type::kRequest));
  auto d = Decode(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSame(c, *d);
}

TEST(CommandCodec, RoundTripCompressed) {
  Command c = Sample();
  c.statements[0].sql = std::string(10000, 'a');
  std::string bytes = Encode(c, 100);
  EXPECT_LT(bytes.size(), 1000u);
  EXPECT_TRUE(bytes[2] & 1);
  auto d = Decode(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSame(c, *d);
}

TEST(CommandCodec, RejectsMalformed) {
  std::string bytes = Encode(Sample(), 0);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(Decode(bytes.substr(0, n)).ok()) << "truncated at " << n;
  }
  std::string bad = bytes;
  bad[0] = 9;
  EXPECT_EQ(Decode(bad).status().code(), base::Code::kCorruption);
  bad = bytes;
  bad[1] = 77;
  EXPECT_FALSE(Decode(bad).ok());
  EXPECT_FALSE(Decode(bytes + "x").ok());
}

TEST(CommandCodec, RandomBytesNeverCrashAndMutationsAreCaught) {
  base::Random rng(1234);
  std::string valid = Encode(Sample(), 0);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string b = valid;
    int flips = 1 + static_cast<int>(rng.Uniform(4));
    for (int k = 0; k < flips; ++k) b[rng.Uniform(b.size())] = static_cast<char>(rng.Next());
    if (Decode(b).ok()) ++decoded;  // may still parse (e.g. a changed value byte): must not crash
    std::string junk(rng.Uniform(64), '\0');
    for (auto& c : junk) c = static_cast<char>(rng.Next());
    Decode(junk).status().IgnoreError();
  }
  EXPECT_LT(decoded, 20000);
}

}  // namespace
}  // namespace command
