// Test helper: writes a tiny ELF64 relocatable file whose only content is a
// ".modinfo" section, which is all module_db.h and libkmod's modinfo reader
// look at.
#ifndef BATON_TOOLS_MKINITRAMFS_FAKE_MODULE_H_
#define BATON_TOOLS_MKINITRAMFS_FAKE_MODULE_H_

#include <string>
#include <vector>

namespace baton::mkinitramfs {

// Writes PATH (creating parent directories) with a .modinfo section made of
// FIELDS ("key=value" each).
void WriteFakeModule(const std::string& path, const std::vector<std::string>& fields);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_FAKE_MODULE_H_
