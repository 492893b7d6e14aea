// A small strict JSON reader (RFC 8259) for the LUKS2 metadata area: the
// whole text is one value, nothing but whitespace around it; no comments,
// no trailing commas, no duplicate object keys, no control characters in
// strings, nesting at most 64 deep. Numbers keep their text; AsUint64 reads
// the integers LUKS2 stores. Every value remembers its byte offset, so the
// header parser's errors say where in the JSON area a bad value is.
//
// Errors: InvalidArgument "WHAT: JSON byte N: what was expected".
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_JSON_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_JSON_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::stage1::luks {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  size_t offset() const { return offset_; }  // of the value's first byte
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_number() const { return type_ == Type::kNumber; }

  bool bool_value() const { return bool_; }
  // kString: the decoded string; kNumber: the number's text.
  const std::string& text() const { return text_; }
  // A kNumber that is a non-negative integer fitting 64 bits.
  std::optional<uint64_t> AsUint64() const;

  const std::vector<JsonValue>& items() const { return items_; }  // kArray
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }
  // kObject: the member called KEY, or nullptr.
  const JsonValue* Find(absl::string_view key) const;

  // "object", "string", …, for messages.
  static absl::string_view TypeName(Type type);

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  size_t offset_ = 0;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses TEXT; WHAT (e.g. "/dev/vda LUKS2 metadata") starts error messages.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text, absl::string_view what);

}  // namespace baton::stage1::luks

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_JSON_H_
