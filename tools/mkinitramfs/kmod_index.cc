#include "tools/mkinitramfs/kmod_index.h"

#include "absl/strings/str_cat.h"

namespace baton::mkinitramfs {
namespace {

constexpr uint32_t kMagic = 0xB007F457;
constexpr uint32_t kVersion = 0x00020001;
constexpr uint32_t kHasPrefix = 0x80000000;
constexpr uint32_t kHasValues = 0x40000000;
constexpr uint32_t kHasChildren = 0x20000000;

void PutU32(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

}  // namespace

// A plain (one character per edge) trie; Serialize merges single-child
// chains into prefixes as depmod's Patricia trie does.
struct KmodIndexWriter::Node {
  std::map<unsigned char, std::unique_ptr<Node>> children;
  std::vector<std::pair<uint32_t, std::string>> values;  // (priority, value)
};

KmodIndexWriter::KmodIndexWriter() : root_(std::make_unique<Node>()) {}
KmodIndexWriter::~KmodIndexWriter() = default;

absl::Status KmodIndexWriter::Insert(absl::string_view key, absl::string_view value,
                                     uint32_t priority) {
  for (absl::string_view s : {key, value}) {
    for (char c : s) {
      if (static_cast<unsigned char>(c) >= 128 || c == '\0') {
        return absl::InvalidArgumentError(
            absl::StrCat("module index: bad character in \"", s, "\""));
      }
    }
  }
  Node* n = root_.get();
  for (char c : key) {
    std::unique_ptr<Node>& child = n->children[static_cast<unsigned char>(c)];
    if (!child) child = std::make_unique<Node>();
    n = child.get();
  }
  auto pos = n->values.begin();
  while (pos != n->values.end() && pos->first <= priority) ++pos;
  n->values.insert(pos, {priority, std::string(value)});
  return absl::OkStatus();
}

namespace {

// Writes NODE (reached with its edge character already consumed) and
// everything below it; returns its flagged offset.
uint32_t WriteNode(const KmodIndexWriter::Node* node, std::string* out);

}  // namespace

std::string KmodIndexWriter::Serialize() const {
  std::string out;
  PutU32(&out, kMagic);
  PutU32(&out, kVersion);
  PutU32(&out, 0);
  uint32_t root = WriteNode(root_.get(), &out);
  std::string fixed;
  PutU32(&fixed, root);
  out.replace(8, 4, fixed);
  return out;
}

namespace {

uint32_t WriteNode(const KmodIndexWriter::Node* node, std::string* out) {
  std::string prefix;
  while (node->values.empty() && node->children.size() == 1) {
    prefix.push_back(static_cast<char>(node->children.begin()->first));
    node = node->children.begin()->second.get();
  }
  std::vector<uint32_t> child_offsets;
  unsigned char first = 0, last = 0;
  if (!node->children.empty()) {
    first = node->children.begin()->first;
    last = node->children.rbegin()->first;
    child_offsets.assign(last - first + 1, 0);
    for (const auto& [c, child] : node->children) {
      child_offsets[c - first] = WriteNode(child.get(), out);
    }
  }
  uint32_t offset = static_cast<uint32_t>(out->size());
  if (!prefix.empty()) {
    out->append(prefix);
    out->push_back('\0');
    offset |= kHasPrefix;
  }
  if (!child_offsets.empty()) {
    out->push_back(static_cast<char>(first));
    out->push_back(static_cast<char>(last));
    for (uint32_t o : child_offsets) PutU32(out, o);
    offset |= kHasChildren;
  }
  if (!node->values.empty()) {
    PutU32(out, static_cast<uint32_t>(node->values.size()));
    for (const auto& [priority, value] : node->values) {
      PutU32(out, priority);
      out->append(value);
      out->push_back('\0');
    }
    offset |= kHasValues;
  }
  return offset;
}

}  // namespace

absl::StatusOr<std::string> NormalizeAlias(absl::string_view alias) {
  std::string out;
  for (size_t i = 0; i < alias.size(); ++i) {
    char c = alias[i];
    if (c == ']') {
      return absl::InvalidArgumentError(absl::StrCat("unmatched bracket in ", alias));
    }
    if (c == '[') {
      size_t close = alias.find(']', i);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("unmatched bracket in ", alias));
      }
      out.append(alias.data() + i, close - i + 1);
      i = close;
      continue;
    }
    out.push_back(c == '-' ? '_' : c);
  }
  return out;
}

}  // namespace baton::mkinitramfs
