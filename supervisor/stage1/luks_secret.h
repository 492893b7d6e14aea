// SecretBytes: a heap buffer for key material (derived key slot keys, the
// decrypted key slot area, the volume key, the dm-crypt table holding it)
// that is zeroed with explicit_bzero when wiped, resized, moved from or
// destroyed. Move-only: a key is never copied by accident. The passphrase
// itself stays in the console's SecretBuffer (console_prompt.h); this is for
// what the LUKS code derives from it.
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_SECRET_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_SECRET_H_

#include <string.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>

namespace baton::stage1::luks {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) { Resize(size); }
  ~SecretBytes() { Free(); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Free();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  // Zeroed contents of SIZE bytes (the old contents are wiped first).
  void Resize(size_t size) {
    Free();
    if (size == 0) return;
    data_ = static_cast<uint8_t*>(calloc(size, 1));
    if (data_ == nullptr) abort();  // as operator new would
    size_ = size;
  }
  // Zeroes the bytes, keeps the size.
  void Wipe() {
    if (data_ != nullptr) explicit_bzero(data_, size_);
  }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint8_t& operator[](size_t i) { return data_[i]; }
  uint8_t operator[](size_t i) const { return data_[i]; }

 private:
  void Free() {
    if (data_ != nullptr) {
      explicit_bzero(data_, size_);
      free(data_);
    }
    data_ = nullptr;
    size_ = 0;
  }
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Zeroes N bytes at P (explicit_bzero: not optimised away).
inline void WipeBytes(void* p, size_t n) { explicit_bzero(p, n); }

}  // namespace baton::stage1::luks

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_SECRET_H_
