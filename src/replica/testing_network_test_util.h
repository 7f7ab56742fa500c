// replica/testing_network_test_util.h — an in-process network of replicas for tests (replica/,
// store/): Send delivers each message synchronously to the recipient's TransportHandler, and a
// test can isolate nodes (messages from or to them are dropped). NOT a transport model: no
// delays, loss or reordering (tests/sim does that). Thread-safe (one mutex, held while a
// message is handed over, so handlers must only queue).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "raft/message.h"
#include "replica/raft_replica.h"

namespace replica::testing {

class Network {
 public:
  void Attach(raft::NodeId id, TransportHandler* handler) {
    std::lock_guard<std::mutex> l(mu_);
    nodes_[id] = handler;
  }
  void Detach(raft::NodeId id) {
    std::lock_guard<std::mutex> l(mu_);
    nodes_.erase(id);
  }
  void Isolate(raft::NodeId id, bool on) {
    std::lock_guard<std::mutex> l(mu_);
    if (on) {
      isolated_.insert(id);
    } else {
      isolated_.erase(id);
    }
  }
  void Deliver(raft::Message m) {
    WithLink(m, [&m](TransportHandler* h) { h->OnMessage(std::move(m)); });
  }
  // Runs fn(recipient) under the lock when m's link is up and m.to is attached; else false.
  bool WithLink(const raft::Message& m, const std::function<void(TransportHandler*)>& fn) {
    std::lock_guard<std::mutex> l(mu_);
    if (isolated_.count(m.from) || isolated_.count(m.to)) return false;
    auto it = nodes_.find(m.to);
    if (it == nodes_.end()) return false;
    fn(it->second);
    return true;
  }

 private:
  std::mutex mu_;
  std::map<raft::NodeId, TransportHandler*> nodes_;
  std::set<raft::NodeId> isolated_;
};

// A replica::Transport over a Network (snapshots unsupported: the default SendSnapshot).
class NetworkTransport : public Transport {
 public:
  explicit NetworkTransport(Network* net) : net_(net) {}
  void Send(raft::Message m) override { net_->Deliver(std::move(m)); }

 protected:
  Network* net() const { return net_; }

 private:
  Network* net_;
};

}  // namespace replica::testing
