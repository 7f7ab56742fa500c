// transport/snapshot_stream.cc — see snapshot_stream.h and docs/formats/transport.md §5.
#include "transport/snapshot_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "base/crc32c.h"
#include "base/log.h"
#include "net/address.h"
#include "transport/frame.h"

namespace transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// The receiver may fsync a large file before it answers.
constexpr int kVerdictTimeoutMs = 120'000;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// A timer that closes the socket when an operation takes too long (seq guards stale waits).
class Deadline {
 public:
  explicit Deadline(const asio::any_io_executor& ex) : timer_(ex) {}
  template <typename OnExpire>
  void Arm(int ms, OnExpire on_expire) {
    const uint64_t seq = ++seq_;
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([this, seq, on_expire](boost::system::error_code ec) {
      if (!ec && seq == seq_) on_expire();
    });
  }
  void Disarm() {
    ++seq_;
    timer_.cancel();
  }

 private:
  asio::steady_timer timer_;
  uint64_t seq_ = 0;
};

class Sender : public std::enable_shared_from_this<Sender> {
 public:
  Sender(asio::io_context& io, std::shared_ptr<Hub> hub, const Options& o, std::string addr,
         raft::Message m, int fd, uint64_t size, std::function<void(bool)> done)
      : socket_(asio::make_strand(io)),
        deadline_(socket_.get_executor()),
        hub_(std::move(hub)),
        options_(o),
        addr_(std::move(addr)),
        m_(std::move(m)),
        fd_(fd),
        size_(size),
        done_(std::move(done)) {}
  ~Sender() {
    if (fd_ >= 0) ::close(fd_);
  }

  void Start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Connect(); });
  }

 private:
  void Connect() {
    auto hp = net::ParseHostPort(addr_);
    if (!hp.ok()) return Finish(false, hp.status().ToString());
    const std::string host = hp->host.empty() ? "127.0.0.1" : hp->host;
    auto self = shared_from_this();
    deadline_.Arm(options_.connect_timeout_ms, [self] { self->Close(); });
    boost::system::error_code ec;
    asio::ip::address literal = asio::ip::make_address(host, ec);
    if (!ec) {
      socket_.async_connect(tcp::endpoint(literal, hp->port),
                            [self](boost::system::error_code e) { self->OnConnected(e); });
      return;
    }
    auto resolver = std::make_shared<tcp::resolver>(socket_.get_executor());
    resolver->async_resolve(host, std::to_string(hp->port),
                            [self, resolver](boost::system::error_code e,
                                             tcp::resolver::results_type results) {
                              if (e) return self->OnConnected(e);
                              asio::async_connect(
                                  self->socket_, results,
                                  [self](boost::system::error_code e2, const tcp::endpoint&) {
                                    self->OnConnected(e2);
                                  });
                            });
  }

  void OnConnected(boost::system::error_code ec) {
    deadline_.Disarm();
    if (ec) return Finish(false, "connect to " + addr_ + ": " + ec.message());
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    std::string head = EncodePreamble({options_.self, m_.to});
    head[0] = static_cast<char>(kServiceSnapshot);
    head += EncodeFrame(m_);
    PutU64(&head, size_);
    buf_ = std::move(head);
    Write([](Sender* s) { s->NextChunk(); });
  }

  void NextChunk() {
    if (sent_ == size_) {
      buf_.clear();
      PutU32(&buf_, 0);
      PutU32(&buf_, crc_);
      return Write([](Sender* s) { s->ReadVerdict(); });
    }
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(kSnapshotChunkBytes, size_ - sent_));
    buf_.resize(8 + n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, buf_.data() + 8 + got, n - got, static_cast<off_t>(sent_ + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return Finish(false, std::string("reading the image: ") + std::strerror(errno));
      got += static_cast<size_t>(r);
    }
    const uint32_t c = base::Crc32c(buf_.data() + 8, n);
    std::string h;
    PutU32(&h, n);
    PutU32(&h, c);
    std::memcpy(buf_.data(), h.data(), 8);
    crc_ = base::Crc32cExtend(crc_, buf_.data() + 8, n);
    sent_ += n;
    Write([](Sender* s) { s->NextChunk(); });
  }

  template <typename Next>
  void Write(Next next) {
    auto self = shared_from_this();
    deadline_.Arm(options_.write_timeout_ms, [self] { self->Close(); });
    asio::async_write(socket_, asio::buffer(buf_),
                      [self, next](boost::system::error_code ec, size_t) {
                        self->deadline_.Disarm();
                        if (ec) return self->Finish(false, "write: " + ec.message());
                        next(self.get());
                      });
  }

  void ReadVerdict() {
    auto self = shared_from_this();
    deadline_.Arm(std::max(kVerdictTimeoutMs, options_.read_timeout_ms), [self] { self->Close(); });
    asio::async_read(socket_, asio::buffer(&verdict_, 1),
                     [self](boost::system::error_code ec, size_t) {
                       self->deadline_.Disarm();
                       if (ec) return self->Finish(false, "no verdict: " + ec.message());
                       self->Finish(self->verdict_ == 1, "receiver refused the image");
                     });
  }

  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  void Finish(bool ok, const std::string& why) {
    if (finished_) return;
    finished_ = true;
    Close();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (ok) {
      LOG(kInfo, "transport") << "snapshot " << m_.snapshot.index << " (" << size_
                              << " bytes) sent to node " << m_.to;
    } else {
      LOG(kWarn, "transport") << "snapshot " << m_.snapshot.index << " to node " << m_.to
                              << " failed: " << why;
    }
    auto done = std::move(done_);
    done(ok);
  }

  tcp::socket socket_;
  Deadline deadline_;
  std::shared_ptr<Hub> hub_;
  const Options options_;
  const std::string addr_;
  const raft::Message m_;
  int fd_;
  const uint64_t size_;
  std::function<void(bool)> done_;
  std::string buf_;
  uint64_t sent_ = 0;
  uint32_t crc_ = 0;
  char verdict_ = 0;
  bool finished_ = false;
};

class Receiver : public std::enable_shared_from_this<Receiver> {
 public:
  Receiver(tcp::socket socket, std::shared_ptr<Hub> hub, const Options& o)
      : socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        hub_(std::move(hub)),
        options_(o) {}
  ~Receiver() { Discard(); }

  void Start() {
    boost::system::error_code ignored;
    socket_.set_option(asio::socket_base::keep_alive(true), ignored);
    Read(kPreambleBytes, [](Receiver* r) { r->OnPreamble(); });
  }

 private:
  template <typename Next>
  void Read(size_t n, Next next) {
    buf_.resize(n);
    auto self = shared_from_this();
    deadline_.Arm(options_.read_timeout_ms, [self] { self->Bad("read timeout"); });
    asio::async_read(socket_, asio::buffer(buf_), [self, next](boost::system::error_code ec, size_t) {
      self->deadline_.Disarm();
      if (self->closed_) return;
      if (ec) return self->Bad("read: " + ec.message());
      next(self.get());
    });
  }

  void OnPreamble() {
    if (static_cast<uint8_t>(buf_[0]) != kServiceSnapshot) return Bad("not a snapshot stream");
    buf_[0] = static_cast<char>(kServiceRaft);
    auto p = DecodePreamble(buf_);
    if (!p.ok()) return Bad(p.status().ToString());
    if (p->to != options_.self) return Bad("stream meant for node " + std::to_string(p->to));
    if (options_.snapshot_dir.empty()) return Bad("no snapshot directory configured");
    from_ = p->from;
    Read(kFrameHeaderBytes, [](Receiver* r) {
      auto h = DecodeFrameHeader(r->buf_, r->options_.max_frame_bytes);
      if (!h.ok()) return r->Bad(h.status().ToString());
      r->header_ = *h;
      r->Read(h->length, [](Receiver* r2) { r2->OnMessage(); });
    });
  }

  void OnMessage() {
    auto m = DecodeFramePayload(header_, buf_);
    if (!m.ok()) return Bad(m.status().ToString());
    if (m->type != raft::MessageType::kSnap || m->from != from_ || m->to != options_.self) {
      return Bad("unexpected message " + raft::DescribeMessage(*m));
    }
    m_ = std::move(*m);
    Read(8, [](Receiver* r) {
      r->size_ = GetLE(r->buf_.data(), 8);
      r->path_ = r->options_.snapshot_dir + "/incoming-" + std::to_string(r->from_) + "-" +
                 std::to_string(r->m_.snapshot.index) + "-" +
                 std::to_string(reinterpret_cast<uintptr_t>(r)) + ".tmp";
      r->fd_ = ::open(r->path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (r->fd_ < 0) return r->Bad("create " + r->path_ + ": " + std::strerror(errno));
      r->Read(8, [](Receiver* r2) { r2->OnChunkHeader(); });
    });
  }

  void OnChunkHeader() {
    const uint32_t len = static_cast<uint32_t>(GetLE(buf_.data(), 4));
    const uint32_t crc = static_cast<uint32_t>(GetLE(buf_.data() + 4, 4));
    if (len == 0) return OnEnd(crc);
    if (len > kSnapshotChunkBytes || got_ + len > size_) return Bad("bad chunk length");
    chunk_crc_ = crc;
    Read(len, [](Receiver* r) { r->OnChunk(); });
  }

  void OnChunk() {
    if (base::Crc32c(buf_) != chunk_crc_) return Bad("chunk CRC mismatch");
    size_t off = 0;
    while (off < buf_.size()) {
      ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Bad("write " + path_ + ": " + std::strerror(errno));
      off += static_cast<size_t>(n);
    }
    crc_ = base::Crc32cExtend(crc_, buf_.data(), buf_.size());
    got_ += buf_.size();
    Read(8, [](Receiver* r) { r->OnChunkHeader(); });
  }

  void OnEnd(uint32_t crc) {
    if (got_ != size_ || crc != crc_) return Bad("image size/CRC mismatch");
    if (::fsync(fd_) != 0) return Bad("fsync " + path_ + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    hub_->DeliverSnapshot(std::move(m_), path_, size_, crc_);  // the handler owns the file now
    path_.clear();
    buf_.assign(1, '\1');
    auto self = shared_from_this();
    deadline_.Arm(options_.read_timeout_ms, [self] { self->Stop(); });
    asio::async_write(socket_, asio::buffer(buf_), [self](boost::system::error_code, size_t) {
      self->deadline_.Disarm();
      self->Stop();
    });
  }

  void Bad(const std::string& why) {
    if (closed_) return;
    LOG(kWarn, "transport") << "snapshot stream from node " << from_ << ": " << why;
    hub_->bad_inbound++;
    Stop();
  }

  void Stop() {
    closed_ = true;
    deadline_.Disarm();
    boost::system::error_code ignored;
    socket_.close(ignored);
    Discard();
  }

  void Discard() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!path_.empty()) ::unlink(path_.c_str());
    path_.clear();
  }

  tcp::socket socket_;
  Deadline deadline_;
  std::shared_ptr<Hub> hub_;
  const Options options_;
  std::string buf_;
  FrameHeader header_;
  raft::Message m_;
  raft::NodeId from_ = 0;
  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0, got_ = 0;
  uint32_t crc_ = 0, chunk_crc_ = 0;
  bool closed_ = false;
};

}  // namespace

void StartSnapshotSend(asio::io_context& io, std::shared_ptr<Hub> hub, const Options& options,
                       std::string addr, raft::Message m, const std::string& image_path,
                       std::function<void(bool)> done) {
  int fd = ::open(image_path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    LOG(kWarn, "transport") << "snapshot image " << image_path << ": " << std::strerror(errno);
    if (fd >= 0) ::close(fd);
    done(false);
    return;
  }
  // The file stays open for the whole stream: reaping it meanwhile does not disturb the send.
  std::make_shared<Sender>(io, std::move(hub), options, std::move(addr), std::move(m), fd,
                           static_cast<uint64_t>(st.st_size), std::move(done))
      ->Start();
}

void StartSnapshotReceive(tcp::socket socket, std::shared_ptr<Hub> hub, const Options& options) {
  std::make_shared<Receiver>(std::move(socket), std::move(hub), options)->Start();
}

}  // namespace transport
