#!/usr/bin/env python3
"""Layer checker: fails when a module under src/ includes a module its layer may not use.

The allowed edges are design.md section 3. A module may always include itself. Also enforces
the purity rules of the Raft core: raft/ may not include headers for threads, clocks, files,
sockets or non-deterministic randomness.

Usage: check_layers.py <repo root>     (exit 1 and one line per violation on failure)
"""
import os
import re
import sys

ALLOWED = {
    "base": set(),
    "fs": {"base"},
    "raft": {"base"},
    "raftlog": {"raft", "fs", "base"},
    "sqlite": {"fs", "base"},
    "api": {"base"},
    "command": {"api", "base"},
    "snapshot": {"sqlite", "fs", "base"},
    "replica": {"raft", "raftlog", "fs", "base"},
    "store": {"replica", "snapshot", "sqlite", "command", "api", "raft", "raftlog", "fs", "base"},
    "net": {"base"},
    "transport": {"replica", "raft", "net", "base"},
    "cluster": {"api", "command", "net", "auth", "base"},
    "cdc": {"api", "sqlite", "net", "base"},
    "auth": {"base"},
    "http": {"api", "auth", "net", "base"},
    "shell": {"net", "base"},
    "server": None,  # the composition root may use everything
}

# Headers the pure Raft core must never include.
RAFT_FORBIDDEN = re.compile(
    r"^(thread|mutex|shared_mutex|condition_variable|future|chrono|random|fstream|filesystem|"
    r"atomic|semaphore|barrier|latch|stop_token|"
    r"unistd\.h|fcntl\.h|pthread\.h|sys/.*|netinet/.*|arpa/.*|boost/.*|base/clock\.h|base/log\.h)$")

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main(root):
    src = os.path.join(root, "src")
    modules = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    errors = []
    for mod in modules:
        if mod not in ALLOWED:
            errors.append(f"src/{mod}: module not in the layer table (tools/check_layers.py)")
            continue
        allowed = ALLOWED[mod]
        for dirpath, _, files in os.walk(os.path.join(src, mod)):
            for name in files:
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                is_test = name.endswith("_test.cc")
                with open(path, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        kind, target = m.groups()
                        top = target.split("/")[0]
                        if kind == '"' and top in ALLOWED and "/" in target:
                            if allowed is not None and top != mod and top not in allowed:
                                # Tests may use fs/ helpers (in-memory file systems).
                                if not (is_test and top in ("fs",)):
                                    errors.append(f"{rel}:{lineno}: {mod}/ may not include {target}")
                        if mod == "raft" and not is_test and RAFT_FORBIDDEN.match(target):
                            errors.append(f"{rel}:{lineno}: raft/ must stay pure; includes {target}")
    for e in errors:
        print(e)
    if errors:
        print(f"layer check: {len(errors)} violation(s)")
        return 1
    print(f"layer check: {len(modules)} modules OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
