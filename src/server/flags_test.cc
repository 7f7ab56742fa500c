#include "server/flags.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "server/flagset.h"

namespace server {
namespace {

using Args = std::vector<std::string>;

CommandLine Parse(const Args& args) { return ParseCommandLine(args, BuildInfo{}); }

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// ---------------------------------------------------------------------------------------------
// Go flag errors: exit 2, error line then usage.

struct FlagErrorCase {
  Args args;
  std::string first_line;
};

class FlagErrorTest : public testing::TestWithParam<FlagErrorCase> {};

TEST_P(FlagErrorTest, GoErrorTextAndUsageExit2) {
  CommandLine cl = Parse(GetParam().args);
  EXPECT_FALSE(cl.run);
  EXPECT_EQ(cl.exit_code, 2);
  EXPECT_EQ(FirstLine(cl.stderr_text), GetParam().first_line);
  EXPECT_NE(cl.stderr_text.find("Usage: rqlited [flags] <data directory>\n"), std::string::npos);
  EXPECT_NE(cl.stderr_text.find("  -http-addr string\n"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Flags, FlagErrorTest,
    testing::Values(
        FlagErrorCase{{"-x", "d"}, "flag provided but not defined: -x"},
        FlagErrorCase{{"--nope=1", "d"}, "flag provided but not defined: -nope"},
        FlagErrorCase{{"-on-disk-path", "/x", "d"}, "flag provided but not defined: -on-disk-path"},
        FlagErrorCase{{"-raft-timeout", "1s", "d"}, "flag provided but not defined: -raft-timeout"},
        FlagErrorCase{{"-on-disk", "d"}, "flag provided but not defined: -on-disk"},
        FlagErrorCase{{"-join-attempts", "abc", "d"},
                      "invalid value \"abc\" for flag -join-attempts: parse error"},
        FlagErrorCase{{"-join-attempts=99999999999999999999", "d"},
                      "invalid value \"99999999999999999999\" for flag -join-attempts: value out "
                      "of range"},
        FlagErrorCase{{"-raft-snap", "-1", "d"}, "invalid value \"-1\" for flag -raft-snap: parse error"},
        FlagErrorCase{{"-raft-snap", "1__0", "d"},
                      "invalid value \"1__0\" for flag -raft-snap: parse error"},
        FlagErrorCase{{"-raft-snap-int", "10", "d"},
                      "invalid value \"10\" for flag -raft-snap-int: parse error"},
        FlagErrorCase{{"-raft-snap-int=", "d"}, "invalid value \"\" for flag -raft-snap-int: parse error"},
        FlagErrorCase{{"-write-queue-timeout", "5 s", "d"},
                      "invalid value \"5 s\" for flag -write-queue-timeout: parse error"},
        FlagErrorCase{{"-fk=x", "d"}, "invalid boolean value \"x\" for -fk: parse error"},
        FlagErrorCase{{"-fk=yes", "d"}, "invalid boolean value \"yes\" for -fk: parse error"},
        FlagErrorCase{{"--fk=", "d"}, "invalid boolean value \"\" for -fk: parse error"},
        FlagErrorCase{{"-fk=\"\n", "d"}, "invalid boolean value \"\\\"\\n\" for -fk: parse error"},
        FlagErrorCase{{"-http-addr"}, "flag needs an argument: -http-addr"},
        FlagErrorCase{{"--node-id"}, "flag needs an argument: -node-id"},
        FlagErrorCase{{"---x", "d"}, "bad flag syntax: ---x"},
        FlagErrorCase{{"-=x", "d"}, "bad flag syntax: -=x"}));

// ---------------------------------------------------------------------------------------------
// Other exits.

TEST(CommandLineTest, NoArgumentsIsFatalLogLine) {
  CommandLine cl = Parse({});
  EXPECT_FALSE(cl.run);
  EXPECT_EQ(cl.exit_code, 1);
  EXPECT_TRUE(cl.log_line);
  EXPECT_EQ(cl.stderr_text,
            "failed to parse command-line flags: missing required argument: DataPath");
}

TEST(CommandLineTest, HelpSpellingsPrintUsageExit0) {
  for (const char* h : {"-h", "-help", "--help", "--h"}) {
    CommandLine cl = Parse({h});
    EXPECT_FALSE(cl.run) << h;
    EXPECT_EQ(cl.exit_code, 0) << h;
    EXPECT_EQ(cl.stderr_text, UsageText()) << h;
  }
  // Flags before -h are parsed first: a bad one wins.
  EXPECT_EQ(Parse({"-x", "-h"}).exit_code, 2);
}

TEST(CommandLineTest, UsageMatchesGoPrintDefaults) {
  const std::string u = UsageText();
  EXPECT_EQ(u.rfind("\nrqlite is a lightweight, distributed relational database, which uses "
                    "SQLite as its\nstorage engine.",
                    0),
            0u);
  for (const char* want : {
           "  -fk\n    \tEnable SQLite foreign key constraints\n",
           "  -raft-snap uint\n    \tNumber of outstanding log entries which triggers Raft "
           "snapshot (default 8192)\n",
           "  -disco-key string\n    \tKey prefix for cluster discovery service (default "
           "\"rqlite\")\n",
           "  -join-interval duration\n    \tPeriod between join attempts (default 3s)\n",
           "  -bootstrap-expect-timeout duration\n    \tMaximum time for bootstrap process "
           "(default 2m0s)\n",
           "(default 24h0m0s)\n",
           "  -raft-shutdown-stepdown\n    \tIf leader, stepdown before shutting down. Enabled "
           "by default (default true)\n",
           "  -auto-vacuum-int duration\n    \tPeriod between automatic VACUUMs. If not set, not "
           "enabled\n",
           "  -join-attempts int\n    \tNumber of join attempts to make (default 5)\n",
           "  -bootstrap-expect int\n    \tMinimum number of nodes required for a bootstrap\n",
       }) {
    EXPECT_NE(u.find(want), std::string::npos) << want;
  }
  // Lexical order, as Go's VisitAll.
  EXPECT_LT(u.find("  -auth "), u.find("  -auto-backup "));
  EXPECT_LT(u.find("  -write-queue-capacity "), u.find("  -write-queue-tx\n"));
}

TEST(CommandLineTest, VersionNeedsNoDataDir) {
  BuildInfo b;
  b.version = "v10.0.0";
  b.commit = "abc";
  b.compiler_version = "gcc12";
  b.sqlite_version = "3.40.1";
  CommandLine cl = ParseCommandLine({"-version"}, b);
  EXPECT_FALSE(cl.run);
  EXPECT_EQ(cl.exit_code, 0);
  EXPECT_EQ(cl.stderr_text,
            "rqlited v10.0.0 linux amd64 gcc12 sqlite3.40.1 (commit abc, branch main, compiler "
            "gcc)\n");
}

TEST(CommandLineTest, PositionalArgumentRules) {
  EXPECT_EQ(Parse({"-fk"}).stderr_text, "fatal: data directory path is required\n");
  EXPECT_EQ(Parse({"-fk"}).exit_code, 1);
  EXPECT_EQ(Parse({"   "}).stderr_text, "fatal: data directory path is required\n");
  // `-fk false` does not work: "false" becomes the data directory.
  CommandLine extra = Parse({"-fk", "false", "/data"});
  EXPECT_EQ(extra.exit_code, 1);
  EXPECT_EQ(extra.stderr_text,
            "arguments after data directory (false) are not accepted ([/data])\n");
  // Parsing stops at the first non-flag: later flags are positional.
  EXPECT_EQ(Parse({"d", "-fk", "x"}).stderr_text,
            "arguments after data directory (d) are not accepted ([-fk x])\n");
}

TEST(CommandLineTest, DoubleDashEndsFlagsAndSingleDashIsPositional) {
  CommandLine cl = Parse({"-fk", "--", "-weird"});
  ASSERT_TRUE(cl.run) << cl.stderr_text;
  EXPECT_TRUE(cl.config.fk);
  EXPECT_EQ(cl.config.data_path.substr(cl.config.data_path.rfind('/')), "/-weird");
  CommandLine dash = Parse({"-"});
  ASSERT_TRUE(dash.run) << dash.stderr_text;
  EXPECT_EQ(dash.config.data_path.substr(dash.config.data_path.rfind('/')), "/-");
}

TEST(CommandLineTest, DefaultsFromTable) {
  CommandLine cl = Parse({"/tmp/rq-data"});
  ASSERT_TRUE(cl.run) << cl.stderr_text;
  const Config& c = cl.config;
  EXPECT_EQ(c.data_path, "/tmp/rq-data");
  EXPECT_EQ(c.http_addr, "localhost:4001");
  EXPECT_EQ(c.http_adv_addr, "localhost:4001");
  EXPECT_EQ(c.raft_addr, "localhost:4002");
  EXPECT_EQ(c.raft_adv_addr, "localhost:4002");
  EXPECT_EQ(c.node_id, "localhost:4002");
  EXPECT_EQ(c.join_attempts, 5);
  EXPECT_EQ(c.join_interval, std::chrono::seconds(3));
  EXPECT_EQ(c.bootstrap_expect_timeout, std::chrono::seconds(120));
  EXPECT_EQ(c.disco_key, "rqlite");
  EXPECT_EQ(c.raft_log_level, "WARN");
  EXPECT_EQ(c.raft_snap_threshold, 8192u);
  EXPECT_EQ(c.raft_snap_wal_size, 4194304u);
  EXPECT_EQ(c.raft_snap_interval, std::chrono::seconds(10));
  EXPECT_EQ(c.raft_commit_timeout, std::chrono::milliseconds(50));
  EXPECT_TRUE(c.raft_shutdown_stepdown);
  EXPECT_FALSE(c.fk);
  EXPECT_EQ(c.db_max_ro_conns, 256);
  EXPECT_EQ(c.auto_optimize_interval, std::chrono::hours(24));
  EXPECT_EQ(c.write_queue_capacity, 1024);
  EXPECT_EQ(c.write_queue_batch_size, 128);
  EXPECT_EQ(c.write_queue_timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(c.otlp_interval, std::chrono::seconds(30));
  EXPECT_EQ(c.HttpUrl(), "http://localhost:4001");
}

TEST(CommandLineTest, ValueSyntaxes) {
  CommandLine cl = Parse({"--http-addr", "127.0.0.1:5001", "-raft-addr=127.0.0.1:5002",
                          "--node-id=n1", "-write-queue-capacity", "0x10", "-db-max-ro-conns=010",
                          "-write-queue-batch-size", "1_000", "-raft-snap", "0b101",
                          "-write-queue-timeout", "1m30.5s", "-raft-snap-int=0", "-fk",
                          "--write-queue-tx=T", "-raft-shutdown-stepdown=0", "data/dir/../x/"});
  ASSERT_TRUE(cl.run) << cl.stderr_text;
  const Config& c = cl.config;
  EXPECT_EQ(c.http_addr, "127.0.0.1:5001");
  EXPECT_EQ(c.raft_addr, "127.0.0.1:5002");
  EXPECT_EQ(c.node_id, "n1");
  EXPECT_EQ(c.write_queue_capacity, 16);
  EXPECT_EQ(c.db_max_ro_conns, 8);
  EXPECT_EQ(c.write_queue_batch_size, 1000);
  EXPECT_EQ(c.raft_snap_threshold, 5u);
  EXPECT_EQ(c.write_queue_timeout, std::chrono::milliseconds(90500));
  EXPECT_EQ(c.raft_snap_interval, Nanos(0));
  EXPECT_TRUE(c.fk);
  EXPECT_TRUE(c.write_queue_tx);
  EXPECT_FALSE(c.raft_shutdown_stepdown);
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(c.data_path, std::string(cwd) + "/data/x");
}

TEST(CommandLineTest, GoBoolSpellings) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    CommandLine cl = Parse({std::string("-fk=") + t, "d"});
    ASSERT_TRUE(cl.run) << t;
    EXPECT_TRUE(cl.config.fk) << t;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    CommandLine cl = Parse({std::string("-fk=") + f, "d"});
    ASSERT_TRUE(cl.run) << f;
    EXPECT_FALSE(cl.config.fk) << f;
  }
}

TEST(CommandLineTest, DataPathTrimmedAndCleaned) {
  CommandLine cl = Parse({"  /tmp//a/./b/ \t"});
  ASSERT_TRUE(cl.run);
  EXPECT_EQ(cl.config.data_path, "/tmp/a/b");
}

// ---------------------------------------------------------------------------------------------
// Validation (cli.md §3): `fatal: <message>`, exit 1.

struct FatalCase {
  Args args;
  std::string message;
};

class ValidationTest : public testing::TestWithParam<FatalCase> {};

TEST_P(ValidationTest, FatalMessageExit1) {
  Args args = GetParam().args;
  args.push_back("/tmp/rq-validation");
  CommandLine cl = Parse(args);
  EXPECT_FALSE(cl.run);
  EXPECT_EQ(cl.exit_code, 1);
  EXPECT_EQ(cl.stderr_text, "fatal: " + GetParam().message + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidationTest,
    testing::Values(
        FatalCase{{"-extensions-path", "/nonexistent/ext.so"},
                  "extension path does not exist: /nonexistent/ext.so"},
        FatalCase{{"-auth", "/nonexistent/auth.json"}, "/nonexistent/auth.json does not exist"},
        FatalCase{{"-http-cert", "/etc/hostname"},
                  "either both -http-cert and -http-key must be set, or neither"},
        FatalCase{{"-node-key", "/etc/hostname"},
                  "either both -node-cert and -node-key must be set, or neither"},
        FatalCase{{"-http-verify-common-name", "cn"},
                  "-http-verify-common-name requires -http-verify-client"},
        FatalCase{{"-node-verify-common-name", "cn"},
                  "-node-verify-common-name requires -node-verify-client"},
        FatalCase{{"-http-addr", "localhost:4002"}, "HTTP and Raft addresses must differ"},
        FatalCase{{"-http-addr", "http://localhost:4001"},
                  "HTTP options should not include protocol (http:// or https://)"},
        FatalCase{{"-http-adv-addr", "https://x:1"},
                  "HTTP options should not include protocol (http:// or https://)"},
        FatalCase{{"-http-addr", "localhost"}, "HTTP bind address not valid"},
        FatalCase{{"-http-adv-addr", "a:b:c"}, "HTTP advertised HTTP address not valid"},
        FatalCase{{"-http-addr", "0.0.0.0:4001"},
                  "advertised HTTP address is not routable (0.0.0.0), specify it via "
                  "-http-addr or -http-adv-addr"},
        FatalCase{{"-http-adv-addr", "[::]:4001"},
                  "advertised HTTP address is not routable (::), specify it via -http-addr or "
                  "-http-adv-addr"},
        FatalCase{{"-raft-addr", "nohost"}, "raft bind address not valid"},
        FatalCase{{"-raft-addr", "localhost:abc"}, "raft bind port not valid"},
        FatalCase{{"-raft-adv-addr", "x"}, "raft advertised address not valid"},
        FatalCase{{"-raft-adv-addr", "0.0.0.0:4002"},
                  "advertised Raft address is not routable (0.0.0.0), specify it via -raft-addr "
                  "or -raft-adv-addr"},
        FatalCase{{"-raft-adv-addr", "host:"}, "raft advertised port is not valid"},
        FatalCase{{"-http-adv-addr", "h:1", "-raft-adv-addr", "h:1"},
                  "advertised HTTP and Raft addresses must differ"},
        FatalCase{{"-bootstrap-expect", "3", "-raft-non-voter"},
                  "bootstrapping only applicable to voting nodes"},
        FatalCase{{"-join", "h:1,nope"}, "nope is an invalid join address"},
        FatalCase{{"-join", "localhost:4002"}, "node cannot join with itself unless bootstrapping"},
        FatalCase{{"-join", "h:1", "-auto-restore", "/etc/hostname"},
                  "auto-restoring cannot be used when joining a cluster"},
        FatalCase{{"-join", "h:1", "-disco-mode", "dns"},
                  "disco mode cannot be used when also explicitly joining a cluster"},
        FatalCase{{"-cdc-config", "stdout", "-raft-non-voter"},
                  "CDC cannot be enabled on non-voting nodes"},
        FatalCase{{"-otlp-insecure"}, "OTLP options require -otlp-endpoint"},
        FatalCase{{"-otlp-endpoint", "http://c:4317"},
                  "-otlp-endpoint must not include a protocol scheme"},
        FatalCase{{"-otlp-endpoint", "collector"}, "-otlp-endpoint is not a valid address"},
        FatalCase{{"-otlp-endpoint", "c:4317", "-otlp-interval", "0s"},
                  "-otlp-interval must be greater than zero"},
        FatalCase{{"-otlp-endpoint", "c:4317", "-otlp-insecure", "-otlp-no-verify"},
                  "-otlp-insecure cannot be used with other OTLP TLS options"},
        FatalCase{{"-disco-mode", "consul-kv", "-bootstrap-expect", "3"},
                  "bootstrapping not applicable when using consul-kv"},
        FatalCase{{"-disco-mode", "dns-srv"},
                  "bootstrap-expect value required when using dns-srv with a voting node"},
        FatalCase{{"-disco-mode", "zookeeper"},
                  "disco mode must be one of consul-kv, etcd-kv, dns, or dns-srv"},
        FatalCase{{"-raft-reap-node-timeout", "0s"}, "-raft-reap-node-timeout must be greater than 0"},
        FatalCase{{"-raft-reap-read-only-node-timeout=-1s"},
                  "-raft-reap-read-only-node-timeout must be greater than 0"}));

// Features this build does not have: accepted at the default, refused otherwise.
class NotYetSupportedTest : public testing::TestWithParam<FatalCase> {};

TEST_P(NotYetSupportedTest, RefusedUnlessDefault) {
  Args args = GetParam().args;
  args.push_back("/tmp/rq-validation");
  CommandLine cl = Parse(args);
  EXPECT_FALSE(cl.run);
  EXPECT_EQ(cl.exit_code, 1);
  EXPECT_EQ(cl.stderr_text, "fatal: -" + GetParam().message + " is not supported yet\n");
}

INSTANTIATE_TEST_SUITE_P(
    Flags, NotYetSupportedTest,
    testing::Values(FatalCase{{"-node-cert", "/etc/hostname", "-node-key", "/etc/hostname"},
                              "node-cert"},
                    FatalCase{{"-cdc-config", "stdout"}, "cdc-config"},
                    FatalCase{{"-disco-mode", "etcd-kv"}, "disco-mode"},
                    FatalCase{{"-auto-backup", "/etc/hostname"}, "auto-backup"},
                    FatalCase{{"-extensions-path", "/etc/hostname"}, "extensions-path"},
                    FatalCase{{"-otlp-endpoint", "c:4317"}, "otlp-endpoint"},
                    FatalCase{{"-cpu-profile", "/tmp/cpu"}, "cpu-profile"}));

TEST(CommandLineTest, ClusteringFlagsAreAccepted) {
  CommandLine cl = Parse({"-join", "a:4002,b:4002", "-join-as", "bob", "-join-attempts", "7",
                          "-join-interval", "250ms", "-bootstrap-expect", "3",
                          "-bootstrap-expect-timeout", "1m", "-raft-adv-addr", "n1:4002",
                          "-raft-heartbeat-timeout", "500ms", "-raft-election-timeout", "2s",
                          "-raft-apply-timeout", "3s", "-raft-shutdown-stepdown=false",
                          "-raft-cluster-remove-shutdown", "-raft-remove-shutdown",
                          "-cluster-connect-timeout", "5s", "/tmp/rq"});
  ASSERT_TRUE(cl.run) << cl.stderr_text;
  const Config& c = cl.config;
  EXPECT_EQ(c.join_addrs, "a:4002,b:4002");
  EXPECT_EQ(c.join_as, "bob");
  EXPECT_EQ(c.join_attempts, 7);
  EXPECT_EQ(c.join_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.bootstrap_expect, 3);
  EXPECT_EQ(c.bootstrap_expect_timeout, std::chrono::minutes(1));
  EXPECT_EQ(c.node_id, "n1:4002");  // defaults to the advertised Raft address
  EXPECT_EQ(c.raft_heartbeat_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.raft_election_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.raft_apply_timeout, std::chrono::seconds(3));
  EXPECT_FALSE(c.raft_shutdown_stepdown);
  EXPECT_TRUE(c.raft_cluster_remove_shutdown);
  EXPECT_TRUE(c.raft_remove_shutdown);
  EXPECT_EQ(c.cluster_connect_timeout, std::chrono::seconds(5));

  cl = Parse({"-raft-non-voter", "-join", "a:4002", "/tmp/rq"});
  ASSERT_TRUE(cl.run) << cl.stderr_text;
  EXPECT_TRUE(cl.config.raft_non_voter);
}

TEST(CommandLineTest, HttpsFlagsAreAccepted) {
  CommandLine cl = Parse({"-http-cert", "/etc/hostname", "-http-key", "/etc/hostname",
                          "-http-ca-cert", "/etc/hostname", "-http-verify-client",
                          "-http-verify-common-name", "client", "/tmp/rq"});
  ASSERT_TRUE(cl.run) << cl.stderr_text;
  EXPECT_EQ(cl.config.http_cert, "/etc/hostname");
  EXPECT_TRUE(cl.config.http_verify_client);
  EXPECT_EQ(cl.config.http_verify_common_name, "client");
  EXPECT_EQ(cl.config.HttpUrl(), "https://localhost:4001");
}

TEST(CommandLineTest, AuthFileIsAccepted) {
  CommandLine cl = Parse({"-auth", "/etc/hostname", "/tmp/rq"});
  EXPECT_TRUE(cl.run) << cl.stderr_text;
  EXPECT_EQ(cl.config.auth_file, "/etc/hostname");
}

TEST(CommandLineTest, UnsupportedFlagsAtDefaultAreAccepted) {
  CommandLine cl = Parse({"-auth=", "-join", "", "-raft-non-voter=false", "-cdc-config=",
                          "-otlp-interval=30s", "-auto-vacuum-int=0s", "/tmp/rq"});
  EXPECT_TRUE(cl.run) << cl.stderr_text;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

TEST(FlagSetTest, NumberParsingMatchesStrconv) {
  int64_t i = 0;
  EXPECT_EQ(ParseGoInt("-0x1f", &i), "");
  EXPECT_EQ(i, -31);
  EXPECT_EQ(ParseGoInt("0o17", &i), "");
  EXPECT_EQ(i, 15);
  EXPECT_EQ(ParseGoInt("0x_1f", &i), "");
  EXPECT_EQ(i, 31);
  EXPECT_EQ(ParseGoInt("-9223372036854775808", &i), "");
  EXPECT_EQ(ParseGoInt("9223372036854775808", &i), "value out of range");
  EXPECT_EQ(ParseGoInt("08", &i), "parse error");
  EXPECT_EQ(ParseGoInt("_1", &i), "parse error");
  EXPECT_EQ(ParseGoInt("1_", &i), "parse error");
  EXPECT_EQ(ParseGoInt("0x", &i), "parse error");
  EXPECT_EQ(ParseGoInt("", &i), "parse error");
  EXPECT_EQ(ParseGoInt("+-1", &i), "parse error");
  uint64_t u = 0;
  EXPECT_EQ(ParseGoUint("18446744073709551615", &u), "");
  EXPECT_EQ(u, UINT64_MAX);
  EXPECT_EQ(ParseGoUint("18446744073709551616", &u), "value out of range");
  EXPECT_EQ(ParseGoUint("+1", &u), "parse error");
}

TEST(FlagSetTest, GoQuote) {
  EXPECT_EQ(GoQuote("abc"), "\"abc\"");
  EXPECT_EQ(GoQuote("a\"b\\c\t\x01"), "\"a\\\"b\\\\c\\t\\x01\"");
  EXPECT_EQ(GoQuote("h\xC3\xA9"), "\"h\xC3\xA9\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
}

TEST(FlagSetTest, SplitHostPortLikeGo) {
  std::string h, p;
  EXPECT_TRUE(SplitHostPort("localhost:4001", &h, &p));
  EXPECT_EQ(h, "localhost");
  EXPECT_EQ(p, "4001");
  EXPECT_TRUE(SplitHostPort("[::1]:80", &h, &p));
  EXPECT_EQ(h, "::1");
  EXPECT_TRUE(SplitHostPort(":80", &h, &p));
  EXPECT_EQ(h, "");
  EXPECT_TRUE(SplitHostPort("h:", &h, &p));
  EXPECT_EQ(p, "");
  EXPECT_FALSE(SplitHostPort("localhost", &h, &p));
  EXPECT_FALSE(SplitHostPort("::1:80", &h, &p));
  EXPECT_FALSE(SplitHostPort("[::1]", &h, &p));
  EXPECT_FALSE(SplitHostPort("[::1]x:80", &h, &p));
}

TEST(FlagSetTest, CleanPathLikeGo) {
  EXPECT_EQ(CleanPath("/a/b/../c/./d/"), "/a/c/d");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("a/../../b"), "../b");
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("//"), "/");
}

}  // namespace
}  // namespace server
