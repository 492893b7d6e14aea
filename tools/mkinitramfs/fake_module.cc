#include "tools/mkinitramfs/fake_module.h"

#include <elf.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace baton::mkinitramfs {

void WriteFakeModule(const std::string& path, const std::vector<std::string>& fields) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::string modinfo;
  for (const std::string& f : fields) {
    modinfo += f;
    modinfo.push_back('\0');
  }
  const std::string shstrtab = std::string("\0.modinfo\0.shstrtab\0", 20);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_REL;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 3;
  eh.e_shstrndx = 2;
  uint64_t modinfo_off = sizeof(Elf64_Ehdr);
  uint64_t shstr_off = modinfo_off + modinfo.size();
  eh.e_shoff = (shstr_off + shstrtab.size() + 7) & ~uint64_t{7};
  Elf64_Shdr sh[3]{};
  sh[1].sh_name = 1;
  sh[1].sh_type = SHT_PROGBITS;
  sh[1].sh_offset = modinfo_off;
  sh[1].sh_size = modinfo.size();
  sh[1].sh_addralign = 1;
  sh[2].sh_name = 10;
  sh[2].sh_type = SHT_STRTAB;
  sh[2].sh_offset = shstr_off;
  sh[2].sh_size = shstrtab.size();
  sh[2].sh_addralign = 1;
  std::string out(reinterpret_cast<const char*>(&eh), sizeof(eh));
  out += modinfo;
  out += shstrtab;
  out.resize(eh.e_shoff, '\0');
  out.append(reinterpret_cast<const char*>(sh), sizeof(sh));
  std::ofstream(path, std::ios::binary) << out;
}

}  // namespace baton::mkinitramfs
