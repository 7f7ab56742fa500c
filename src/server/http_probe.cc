#include "server/http_probe.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/flags.h"

namespace server {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Connects a non-blocking socket to one resolved address before `deadline`; -1 on failure.
int ConnectBefore(const addrinfo* ai, Clock::time_point deadline) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
  if (fd < 0) return -1;
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, RemainingMs(deadline)) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

bool Exchange(int fd, const std::string& host_port, Clock::time_point deadline) {
  const std::string req = "GET /status HTTP/1.1\r\nHost: " + host_port +
                          "\r\nUser-Agent: rqlited-join-probe\r\nConnection: close\r\n\r\n";
  size_t off = 0;
  while (off < req.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) return false;
    ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  std::string got;
  while (got.size() < 5) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) return false;
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got.append(buf, static_cast<size_t>(n));
  }
  return got.compare(0, 5, "HTTP/") == 0;
}

}  // namespace

bool ServesHttp(const std::string& host_port, std::chrono::milliseconds timeout) {
  std::string host, port;
  if (!SplitHostPort(host_port, &host, &port)) return false;
  const Clock::time_point deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res) != 0) {
    return false;
  }
  bool http = false;
  for (const addrinfo* ai = res; ai != nullptr && !http; ai = ai->ai_next) {
    int fd = ConnectBefore(ai, deadline);
    if (fd < 0) continue;
    http = Exchange(fd, host_port, deadline);
    ::close(fd);
    break;  // one connected address is the answer
  }
  ::freeaddrinfo(res);
  return http;
}

}  // namespace server
