// auth/credential_store.cc — see credential_store.h.
#include "auth/credential_store.h"

#include <simdjson.h>
#include <strings.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace auth {
namespace {

namespace dom = simdjson::dom;

// Equality without an early exit on the first differing byte (length still leaks).
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// Go's encoding/json matches object keys to struct fields case-insensitively.
bool KeyIs(std::string_view key, const char* field) {
  return key.size() == std::strlen(field) && strncasecmp(key.data(), field, key.size()) == 0;
}

base::Status EntryError(size_t index, const std::string& what) {
  return base::InvalidArgument("auth file: entry " + std::to_string(index) + ": " + what);
}

// One array element; the fields a Go decoder would fill. null leaves a field empty.
base::Status ParseEntry(dom::element element, size_t index, std::string* username,
                        std::string* password, std::set<std::string, std::less<>>* perms) {
  dom::object object;
  if (element.get(object) != simdjson::SUCCESS) return EntryError(index, "not a JSON object");
  for (auto field : object) {
    std::string_view key = field.key;
    std::string* target = KeyIs(key, "username") ? username
                          : KeyIs(key, "password") ? password
                                                   : nullptr;
    if (field.value.is_null()) continue;
    if (target != nullptr) {
      std::string_view s;
      if (field.value.get(s) != simdjson::SUCCESS) {
        return EntryError(index, std::string(key) + " is not a string");
      }
      target->assign(s);
    } else if (KeyIs(key, "perms")) {
      dom::array array;
      if (field.value.get(array) != simdjson::SUCCESS) {
        return EntryError(index, "perms is not an array of strings");
      }
      for (auto p : array) {
        std::string_view s;
        if (p.get(s) != simdjson::SUCCESS) {
          return EntryError(index, "perms is not an array of strings");
        }
        perms->emplace(s);
      }
    }
  }
  return base::Status::Ok();
}

// Standard base64 with padding (Go base64.StdEncoding); false on any malformation.
bool DecodeBase64(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    int pad = 0;
    uint32_t acc = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && last && j >= 2 && (j == 3 || in[i + 3] == '=')) {
        ++pad;
        acc <<= 6;
        continue;
      }
      int v = value(c);
      if (v < 0 || pad > 0) return false;
      acc = (acc << 6) | static_cast<uint32_t>(v);
    }
    out->push_back(static_cast<char>((acc >> 16) & 0xff));
    if (pad < 2) out->push_back(static_cast<char>((acc >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(acc & 0xff));
  }
  return true;
}

}  // namespace

base::Result<CredentialStore> CredentialStore::Parse(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded(json);
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return base::InvalidArgument(std::string("auth file: invalid JSON: ") +
                                 simdjson::error_message(err));
  }
  dom::array entries;
  if (root.get(entries) != simdjson::SUCCESS) {
    return base::InvalidArgument("auth file: expected a JSON array of credential objects");
  }
  CredentialStore store;
  size_t index = 0;
  for (dom::element element : entries) {
    // Fresh fields per entry: rqlite's reuse of the decoded object (an entry omitting a field
    // inherits the previous entry's value) is deliberately not reproduced (§12).
    std::string username, password;
    std::set<std::string, std::less<>> perms;
    RQ_RETURN_IF_ERROR(ParseEntry(element, index++, &username, &password, &perms));
    User& user = store.users_[username];
    user.password = std::move(password);
    user.perms = std::move(perms);
  }
  return store;
}

base::Result<CredentialStore> CredentialStore::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return base::IoError("failed to read auth file " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return base::IoError("failed to read auth file " + path);
  auto store = Parse(text.str());
  if (!store.ok()) {
    return base::InvalidArgument("failed to load auth file " + path + ": " +
                                 store.status().message());
  }
  return store;
}

bool CredentialStore::PasswordMatches(std::string_view username,
                                      std::string_view password) const {
  auto it = users_.find(username);
  if (it == users_.end()) return false;
  // Plaintext only, as rqlite v8+ (bcrypt support was removed upstream in v8).
  return ConstantTimeEquals(it->second.password, password);
}

std::string CredentialStore::PasswordOf(std::string_view username) const {
  auto it = users_.find(username);
  return it == users_.end() ? std::string() : it->second.password;
}

bool CredentialStore::HasPerm(std::string_view username, std::string_view perm) const {
  auto it = users_.find(username);
  if (it == users_.end()) return false;
  const auto& perms = it->second.perms;
  return perms.count(perm) > 0 || perms.count(kPermAll) > 0;
}

bool CredentialStore::Check(std::string_view username, std::string_view password,
                            std::string_view perm) const {
  if (HasPerm("*", perm)) return true;
  if (username.empty()) return false;
  if (!PasswordMatches(username, password)) return false;
  return HasPerm(username, perm);
}

bool ParseBasicAuthorization(std::string_view header, std::string* username,
                             std::string* password) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header.size() < kPrefix.size() ||
      strncasecmp(header.data(), kPrefix.data(), kPrefix.size()) != 0) {
    return false;
  }
  std::string decoded;
  if (!DecodeBase64(header.substr(kPrefix.size()), &decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *username = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

}  // namespace auth
