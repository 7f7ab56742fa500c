// Tests for auth/credential_store.h (cluster-semantics.md §12).
#include "auth/credential_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

namespace auth {
namespace {

CredentialStore MustParse(std::string_view json) {
  auto store = CredentialStore::Parse(json);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

constexpr const char* kFile = R"([
  {"username": "alice", "password": "pw1", "perms": ["query", "execute"]},
  {"username": "reader", "password": "pw2", "perms": ["query"]},
  {"username": "root", "password": "rootpw", "perms": ["all"]},
  {"username": "*", "perms": ["status", "ready"]},
  {"username": "odd", "password": "x", "perms": ["no-such-perm"]}
])";

TEST(CredentialStoreTest, CheckFollowsTheSpecAlgorithm) {
  CredentialStore s = MustParse(kFile);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_TRUE(s.Check("alice", "pw1", kPermQuery));
  EXPECT_TRUE(s.Check("alice", "pw1", kPermExecute));
  EXPECT_FALSE(s.Check("alice", "pw1", kPermBackup));
  EXPECT_FALSE(s.Check("alice", "wrong", kPermQuery));
  EXPECT_FALSE(s.Check("alice", "", kPermQuery));
  EXPECT_FALSE(s.Check("nobody", "pw1", kPermQuery));
  EXPECT_FALSE(s.Check("", "", kPermQuery));
  EXPECT_TRUE(s.Check("reader", "pw2", kPermQuery));
  EXPECT_FALSE(s.Check("reader", "pw2", kPermExecute));
  // `all` grants everything, including names never listed.
  EXPECT_TRUE(s.Check("root", "rootpw", kPermBackup));
  EXPECT_TRUE(s.Check("root", "rootpw", kPermLeaderOps));
  EXPECT_FALSE(s.Check("root", "pw1", kPermBackup));
  // `*` grants its perms to everyone, even with no or wrong credentials.
  EXPECT_TRUE(s.Check("", "", kPermStatus));
  EXPECT_TRUE(s.Check("alice", "wrong", kPermReady));
  EXPECT_FALSE(s.Check("", "", kPermExecute));
  // Unknown perm names are stored but never match anything else.
  EXPECT_FALSE(s.Check("odd", "x", kPermQuery));
  EXPECT_TRUE(s.Check("odd", "x", "no-such-perm"));
}

TEST(CredentialStoreTest, StarWithAllOpensEverything) {
  CredentialStore s = MustParse(R"([{"username":"*","perms":["all"]}])");
  EXPECT_TRUE(s.Check("", "", kPermExecute));
  EXPECT_TRUE(s.Check("whoever", "x", kPermLoad));
}

TEST(CredentialStoreTest, OmittedFieldsAreNotInheritedFromThePreviousEntry) {
  CredentialStore s = MustParse(
      R"([{"username":"a","password":"p","perms":["query"]},{"username":"b"}])");
  EXPECT_TRUE(s.Check("a", "p", kPermQuery));
  EXPECT_FALSE(s.Check("b", "p", kPermQuery));
  EXPECT_FALSE(s.Check("b", "", kPermQuery));  // no perms at all
  EXPECT_TRUE(s.PasswordMatches("b", ""));     // empty stored password matches empty
}

TEST(CredentialStoreTest, KeysAreCaseInsensitiveAndLaterDuplicatesWin) {
  CredentialStore s = MustParse(
      R"([{"Username":"u","PASSWORD":"old","Perms":["query"],"extra":1},
          {"username":"u","password":"new","perms":["execute"],"password2":null}])");
  EXPECT_EQ(s.size(), 1u);
  EXPECT_FALSE(s.Check("u", "old", kPermExecute));
  EXPECT_TRUE(s.Check("u", "new", kPermExecute));
  EXPECT_FALSE(s.Check("u", "new", kPermQuery));
}

TEST(CredentialStoreTest, PasswordsArePlaintextEvenWhenTheyLookLikeBcrypt) {
  // rqlite v8+ removed bcrypt: a stored "$2b$..." string is just a password.
  const char* hash = "$2b$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG";
  CredentialStore s = MustParse(std::string(R"([{"username":"h","password":")") + hash +
                                R"(","perms":["query"]}])");
  EXPECT_FALSE(s.Check("h", "s3cret", kPermQuery));  // the password that hash was made from
  EXPECT_TRUE(s.Check("h", hash, kPermQuery));
}

TEST(CredentialStoreTest, MalformedHashDoesNotMatch) {
  CredentialStore s = MustParse(R"([{"username":"h","password":"$2b$04$short","perms":["all"]}])");
  EXPECT_FALSE(s.Check("h", "short", kPermQuery));
  EXPECT_TRUE(s.Check("h", "$2b$04$short", kPermQuery));
}

TEST(CredentialStoreTest, InvalidFilesAreErrors) {
  for (const char* bad : {"", "{", R"({"username":"a"})", "[1]", R"([{"username":5}])",
                          R"([{"username":"a","perms":"all"}])",
                          R"([{"username":"a","perms":[1]}])"}) {
    SCOPED_TRACE(bad);
    auto store = CredentialStore::Parse(bad);
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.status().message().find("auth file"), std::string::npos);
  }
  EXPECT_TRUE(CredentialStore::Parse("[]").ok());
}

TEST(CredentialStoreTest, LoadReportsUnreadableAndInvalidFiles) {
  auto missing = CredentialStore::Load("/nonexistent/auth.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/auth.json"), std::string::npos);

  std::string path = testing::TempDir() + "/auth_test_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream(path) << "not json";
  }
  auto invalid = CredentialStore::Load(path);
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.status().message().find(path), std::string::npos);
  {
    std::ofstream(path) << kFile;
  }
  auto good = CredentialStore::Load(path);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(good->Check("alice", "pw1", kPermQuery));
  std::remove(path.c_str());
}

TEST(BasicAuthTest, ParsesLikeGo) {
  std::string u, p;
  ASSERT_TRUE(ParseBasicAuthorization("Basic YWxpY2U6cHc6MQ==", &u, &p));  // alice:pw:1
  EXPECT_EQ(u, "alice");
  EXPECT_EQ(p, "pw:1");
  ASSERT_TRUE(ParseBasicAuthorization("basic YTpi", &u, &p));  // a:b
  EXPECT_EQ(u, "a");
  EXPECT_EQ(p, "b");
  ASSERT_TRUE(ParseBasicAuthorization("Basic Og==", &u, &p));  // ":"
  EXPECT_EQ(u, "");
  EXPECT_EQ(p, "");
  EXPECT_FALSE(ParseBasicAuthorization("", &u, &p));
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YTpi", &u, &p));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWJj", &u, &p));   // "abc": no colon
  EXPECT_FALSE(ParseBasicAuthorization("Basic YTpi=", &u, &p));  // bad padding
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!", &u, &p));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YQ=a", &u, &p));
}

}  // namespace
}  // namespace auth
