// base/crc32c.h — CRC-32C (Castagnoli), as used by every on-disk record and snapshot.
// Uses the SSE4.2 instruction when the CPU has it, a table otherwise. Thread-safe, pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace base {

// Extends `crc` (the CRC of earlier bytes, 0 to start) with `n` bytes at `data`.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(const void* data, size_t n) { return Crc32cExtend(0, data, n); }
inline uint32_t Crc32c(std::string_view s) { return Crc32cExtend(0, s.data(), s.size()); }

}  // namespace base
