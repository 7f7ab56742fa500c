// auth/credential_store.h — the `-auth` credential store (cluster-semantics.md §12, http-api §2).
//
// What: users loaded from a JSON file `[{"username":..,"password":..,"perms":[..]},..]` and the
// permission check used by every HTTP endpoint: Check(username, password, perm) follows §12:
//   1. `*` holds perm or `all` → allow (no credentials needed);
//   2. empty username (no Basic Auth header) → deny;
//   3. password must match the user's stored password → else deny;
//   4. allow iff the user holds perm or `all`.
// "Auth disabled" is represented by having no store at all (callers hold a nullptr).
// Passwords: plaintext, as rqlite v8+ (which removed bcrypt support).
// Ownership: a value type; immutable after Load/Parse.
// Thread-safety: const methods may be called concurrently from any thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "base/result.h"

namespace auth {

// Permission names of §12 (unknown names in a file are stored and simply never match).
inline constexpr std::string_view kPermAll = "all";
inline constexpr std::string_view kPermExecute = "execute";
inline constexpr std::string_view kPermQuery = "query";
inline constexpr std::string_view kPermLoad = "load";
inline constexpr std::string_view kPermBackup = "backup";
inline constexpr std::string_view kPermStatus = "status";
inline constexpr std::string_view kPermReady = "ready";
inline constexpr std::string_view kPermRemove = "remove";
inline constexpr std::string_view kPermSnapshot = "snapshot";
inline constexpr std::string_view kPermLeaderOps = "leader-ops";
inline constexpr std::string_view kPermUi = "ui";

class CredentialStore {
 public:
  // Reads and parses the file. Errors name the file and say what is wrong (unreadable, not a
  // JSON array of objects, a field of the wrong type).
  static base::Result<CredentialStore> Load(const std::string& path);
  // Parses the JSON text (see Load).
  static base::Result<CredentialStore> Parse(std::string_view json);

  // The §12 check (auth enabled). `username` is "" when the request carried no credentials.
  bool Check(std::string_view username, std::string_view password, std::string_view perm) const;
  // True when `username` exists and `password` matches it (step 3 alone).
  bool PasswordMatches(std::string_view username, std::string_view password) const;
  // True when `username` (exactly, `*` not consulted) holds perm or `all`.
  bool HasPerm(std::string_view username, std::string_view perm) const;

  // The stored password of `username` ("" when unknown): rqlited's -join-as sends it with
  // join/notify/remove requests (rqlite: cluster.CredentialsFor).
  std::string PasswordOf(std::string_view username) const;

  size_t size() const { return users_.size(); }

 private:
  struct User {
    std::string password;
    std::set<std::string, std::less<>> perms;
  };
  std::map<std::string, User, std::less<>> users_;
};

// Go's http.Request.BasicAuth: "Basic " (scheme case-insensitive) + standard padded base64 of
// "user:password" (split at the first ':'). Returns false when the header is not of that form.
bool ParseBasicAuthorization(std::string_view header, std::string* username,
                             std::string* password);

}  // namespace auth
