#include "http/write_queue.h"

#include <atomic>
#include <chrono>
#include <deque>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/log.h"

namespace http {

namespace asio = boost::asio;

namespace {

// One waiting caller; `done` is called at most once (written or timed out).
struct Waiter {
  WriteQueue::Done done;
  std::unique_ptr<asio::steady_timer> timer;
  bool fired = false;
};

struct Entry {
  std::vector<api::Statement> statements;
  int64_t seq = 0;
  bool marker = false;  // empty request with `wait`: flush now
  std::shared_ptr<Waiter> waiter;  // null without `wait`
};

struct Parked {
  std::vector<api::Statement> statements;
  bool wait;
  int64_t timeout_ns;
  WriteQueue::Done done;
};

bool Retriable(base::Code code) {
  switch (code) {
    case base::Code::kNoLeader:
    case base::Code::kNotLeader:
    case base::Code::kUnavailable:
    case base::Code::kAborted:
    case base::Code::kTimeout:
    case base::Code::kIoError:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct WriteQueue::State : std::enable_shared_from_this<WriteQueue::State> {
  State(asio::io_context& io, api::Database& db, QueueConfig config, int64_t start_seq)
      : db(db), config(config), strand(asio::make_strand(io)), flush_timer(strand),
        retry_timer(strand), next_seq(start_seq) {}

  api::Database& db;
  QueueConfig config;
  asio::strand<asio::io_context::executor_type> strand;
  // Everything below is touched only on `strand` (except written_seq, atomic).
  asio::steady_timer flush_timer;
  asio::steady_timer retry_timer;
  bool flush_timer_armed = false;
  bool flush_due = false;
  bool in_flight = false;
  bool stopped = false;
  int64_t next_seq;
  std::deque<Entry> pending;
  std::deque<Parked> parked;
  std::atomic<int64_t> written_seq{0};
  std::atomic<int64_t> failed{0}, no_leader{0}, not_leader{0}, leadership_lost{0};

  void Admit(Parked p);
  void MaybeFlush();
  void Send(std::shared_ptr<std::vector<Entry>> batch);
  void Complete(std::shared_ptr<std::vector<Entry>> batch);
  void ArmFlushTimer();
};

void WriteQueue::State::Admit(Parked p) {
  Entry e;
  e.seq = ++next_seq;
  e.marker = p.statements.empty() && p.wait;
  e.statements = std::move(p.statements);
  if (p.wait) {
    auto w = std::make_shared<Waiter>();
    w->done = std::move(p.done);
    w->timer = std::make_unique<asio::steady_timer>(strand,
                                                    std::chrono::nanoseconds(p.timeout_ns));
    int64_t seq = e.seq;
    w->timer->async_wait([w, seq](boost::system::error_code ec) {
      if (ec || w->fired) return;
      w->fired = true;
      w->done(seq, true);
    });
    e.waiter = std::move(w);
  } else {
    p.done(e.seq, false);
  }
  bool was_empty = pending.empty();
  pending.push_back(std::move(e));
  if (was_empty) ArmFlushTimer();
}

void WriteQueue::State::ArmFlushTimer() {
  flush_timer_armed = true;
  flush_due = false;
  flush_timer.expires_after(std::chrono::nanoseconds(config.timeout_ns));
  flush_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped) return;
    self->flush_timer_armed = false;
    self->flush_due = true;
    self->MaybeFlush();
  });
}

void WriteQueue::State::MaybeFlush() {
  if (in_flight || stopped || pending.empty()) return;
  bool marker = false;
  for (const Entry& e : pending) marker = marker || e.marker;
  bool full = static_cast<int64_t>(pending.size()) >= config.batch_size;
  if (!full && !marker && !flush_due) return;
  auto batch = std::make_shared<std::vector<Entry>>();
  size_t n = std::min<size_t>(pending.size(), static_cast<size_t>(std::max<int64_t>(1,
                                                                  config.batch_size)));
  for (size_t i = 0; i < n; ++i) {
    batch->push_back(std::move(pending.front()));
    pending.pop_front();
  }
  // Space freed: admit parked requests (in arrival order).
  while (!parked.empty() && static_cast<int64_t>(pending.size()) < config.capacity) {
    Parked p = std::move(parked.front());
    parked.pop_front();
    Admit(std::move(p));
  }
  flush_due = false;
  if (flush_timer_armed) {
    flush_timer.cancel();
    flush_timer_armed = false;
  }
  if (!pending.empty()) ArmFlushTimer();
  Send(std::move(batch));
}

void WriteQueue::State::Send(std::shared_ptr<std::vector<Entry>> batch) {
  api::ExecuteRequest req;
  req.transaction = config.tx;
  for (const Entry& e : *batch) {
    for (const api::Statement& s : e.statements) req.statements.push_back(s);
  }
  in_flight = true;
  if (req.statements.empty()) return Complete(std::move(batch));
  auto self = shared_from_this();
  db.Execute(std::move(req), [self, batch](api::Response r) {
    asio::post(self->strand, [self, batch, r = std::move(r)]() mutable {
      if (self->stopped) return;
      if (r.status.ok()) return self->Complete(batch);
      ++self->failed;
      if (r.status.code() == base::Code::kNoLeader) ++self->no_leader;
      if (r.status.code() == base::Code::kNotLeader) ++self->not_leader;
      if (r.status.code() == base::Code::kAborted) ++self->leadership_lost;
      if (!Retriable(r.status.code())) {
        LOG(kWarn, "http") << "queued batch dropped: " << r.status.ToString();
        return self->Complete(batch);
      }
      LOG(kInfo, "http") << "queued batch failed, retrying in 1s: " << r.status.ToString();
      self->retry_timer.expires_after(std::chrono::seconds(1));
      self->retry_timer.async_wait([self, batch](boost::system::error_code ec) {
        if (ec || self->stopped) return;
        self->Send(batch);
      });
    });
  });
}

void WriteQueue::State::Complete(std::shared_ptr<std::vector<Entry>> batch) {
  in_flight = false;
  if (!batch->empty()) written_seq = batch->back().seq;
  for (Entry& e : *batch) {
    if (e.waiter && !e.waiter->fired) {
      e.waiter->fired = true;
      e.waiter->timer->cancel();
      e.waiter->done(e.seq, false);
    }
  }
  MaybeFlush();
}

WriteQueue::WriteQueue(asio::io_context& io, api::Database& db, QueueConfig config,
                       int64_t start_sequence_number)
    : config_(config), state_(std::make_shared<State>(io, db, config, start_sequence_number)) {}

WriteQueue::~WriteQueue() { Stop(); }

void WriteQueue::Enqueue(std::vector<api::Statement> statements, bool wait, int64_t timeout_ns,
                         Done done) {
  Parked p{std::move(statements), wait, timeout_ns, std::move(done)};
  asio::post(state_->strand, [s = state_, p = std::move(p)]() mutable {
    if (s->stopped) return p.done(0, true);
    if (static_cast<int64_t>(s->pending.size()) >= s->config.capacity || !s->parked.empty()) {
      s->parked.push_back(std::move(p));
    } else {
      s->Admit(std::move(p));
    }
    s->MaybeFlush();
  });
}

int64_t WriteQueue::written_sequence_number() const { return state_->written_seq.load(); }

WriteQueue::Stats WriteQueue::stats() const {
  return Stats{state_->failed.load(), state_->no_leader.load(), state_->not_leader.load(),
               state_->leadership_lost.load()};
}

void WriteQueue::Stop() {
  asio::post(state_->strand, [s = state_] {
    if (s->stopped) return;
    s->stopped = true;
    s->flush_timer.cancel();
    s->retry_timer.cancel();
    for (Entry& e : s->pending) {
      if (e.waiter && !e.waiter->fired) {
        e.waiter->fired = true;
        e.waiter->timer->cancel();
        e.waiter->done(e.seq, true);
      }
    }
    s->pending.clear();
    for (Parked& p : s->parked) p.done(0, true);
    s->parked.clear();
  });
}

}  // namespace http
