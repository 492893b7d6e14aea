#include "supervisor/stage1/keymap.h"

#include <fcntl.h>
#include <linux/keyboard.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace baton::stage1 {
namespace {

constexpr absl::string_view kMagic = "bkeymap";
constexpr size_t kTables = 256;  // MAX_NR_KEYMAPS

}  // namespace

absl::StatusOr<BinaryKeymap> ParseBinaryKeymap(absl::string_view data, absl::string_view name) {
  if (data.size() < kMagic.size() || data.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": not a binary keymap (no \"bkeymap\" at byte 0)"));
  }
  if (data.size() < kMagic.size() + kTables) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ends at byte ", data.size(),
                                                   " inside the table flags (", kMagic.size(),
                                                   "-", kMagic.size() + kTables - 1, ")"));
  }
  BinaryKeymap keymap;
  for (size_t t = 0; t < kTables; ++t) {
    const unsigned char flag = static_cast<unsigned char>(data[kMagic.size() + t]);
    if (flag > 1) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": table flag ", int{flag},
                                                     " at byte ", kMagic.size() + t,
                                                     " (want 0 or 1)"));
    }
    if (flag == 1) keymap.tables.push_back(static_cast<uint8_t>(t));
  }
  if (keymap.tables.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no key table in it"));
  }
  const size_t body = data.size() - kMagic.size() - kTables;
  for (int keys : {128, 256}) {
    if (body == keymap.tables.size() * keys * 2) keymap.keys = keys;
  }
  if (keymap.keys == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": ", body, " bytes of keys for ", keymap.tables.size(),
        " tables, want 128 or 256 two-byte keys each (", keymap.tables.size() * 256, " or ",
        keymap.tables.size() * 512, ")"));
  }
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(data.data()) + kMagic.size() + kTables;
  for (size_t i = 0; i < keymap.tables.size(); ++i) {
    std::vector<uint16_t> values(keymap.keys);
    for (int k = 0; k < keymap.keys; ++k, p += 2) {
      values[k] = static_cast<uint16_t>(p[0] | (p[1] << 8));
    }
    keymap.values.push_back(std::move(values));
  }
  return keymap;
}

std::vector<sys::Kernel::KeyboardEntry> KeymapEntries(const BinaryKeymap& keymap) {
  std::vector<sys::Kernel::KeyboardEntry> entries;
  entries.reserve(keymap.tables.size() * keymap.keys + kTables);
  std::vector<bool> present(kTables, false);
  for (size_t i = 0; i < keymap.tables.size(); ++i) {
    present[keymap.tables[i]] = true;
    for (int k = 0; k < keymap.keys; ++k) {
      entries.push_back({keymap.tables[i], static_cast<uint8_t>(k), keymap.values[i][k]});
    }
  }
  for (size_t t = 1; t < kTables; ++t) {
    if (!present[t]) entries.push_back({static_cast<uint8_t>(t), 0, K_NOSUCHMAP});
  }
  return entries;
}

std::string LoadImageKeymap(sys::Kernel& kernel) {
  absl::StatusOr<std::string> data = kernel.ReadFile(kImageKeymap);
  if (!data.ok()) {
    if (absl::IsNotFound(data.status())) return "";
    return absl::StrCat("console keymap not loaded: ", data.status().message());
  }
  absl::StatusOr<BinaryKeymap> keymap = ParseBinaryKeymap(*data, kImageKeymap);
  if (!keymap.ok()) return absl::StrCat("console keymap not loaded: ", keymap.status().message());
  absl::StatusOr<sys::UniqueFd> tty = kernel.Open(kKeymapTty, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (!tty.ok()) {
    return absl::StrCat("console keymap not loaded: no virtual terminal (", kKeymapTty, ": ",
                        tty.status().message(), ")");
  }
  absl::StatusOr<size_t> refused = kernel.SetKeyboardEntries(tty->get(), KeymapEntries(*keymap));
  if (!refused.ok()) {
    return absl::StrCat("console keymap not loaded: ", refused.status().message());
  }
  std::string line = absl::StrCat("console keymap loaded from ", kImageKeymap, " (",
                                  keymap->tables.size(), " tables of ", keymap->keys, " keys)");
  if (*refused > 0) absl::StrAppend(&line, "; the kernel refused ", *refused, " of its values");
  return line;
}

}  // namespace baton::stage1
