// Small ELF images for tests of the ladder's checks (exec_ladder.h): the
// header, program headers (PT_PHDR, [PT_INTERP,] two PT_LOADs) and the
// interpreter's name, as a linker lays them out. Test-only.
#ifndef BATON_SUPERVISOR_MAKE_ELF_FOR_TEST_H_
#define BATON_SUPERVISOR_MAKE_ELF_FOR_TEST_H_

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "supervisor/exec_ladder.h"

namespace baton::supervisor::testing_elf {

using Ehdr = std::conditional_t<sizeof(void*) == 8, Elf64_Ehdr, Elf32_Ehdr>;
using Phdr = std::conditional_t<sizeof(void*) == 8, Elf64_Phdr, Elf32_Phdr>;

struct ElfSpec {
  unsigned char elf_class = kOwnElfClass;
  uint16_t machine = kOwnElfMachine;
  uint16_t type = ET_EXEC;
  std::string interp;  // PT_INTERP when not empty
  size_t size = 8192;
};

// A small ELF image as a linker lays one out: the header, then the program
// headers (PT_PHDR, [PT_INTERP,] two PT_LOADs: [0, 4096) and [4096, SIZE)),
// then the interpreter's name, zero padding up to SIZE.
inline std::string MakeElf(const ElfSpec& spec) {
  std::vector<Phdr> phdrs;
  const size_t count = spec.interp.empty() ? 3 : 4;
  const size_t interp_at = sizeof(Ehdr) + count * sizeof(Phdr);
  Phdr ph{};
  ph.p_type = PT_PHDR;
  ph.p_offset = sizeof(Ehdr);
  ph.p_filesz = ph.p_memsz = count * sizeof(Phdr);
  phdrs.push_back(ph);
  if (!spec.interp.empty()) {
    ph = Phdr{};
    ph.p_type = PT_INTERP;
    ph.p_offset = interp_at;
    ph.p_filesz = ph.p_memsz = spec.interp.size() + 1;
    phdrs.push_back(ph);
  }
  ph = Phdr{};
  ph.p_type = PT_LOAD;
  ph.p_offset = 0;
  ph.p_vaddr = 0x400000;
  ph.p_filesz = ph.p_memsz = 4096;
  ph.p_flags = PF_R | PF_X;
  phdrs.push_back(ph);
  ph.p_offset = 4096;
  ph.p_vaddr = 0x401000;
  ph.p_filesz = spec.size - 4096;
  ph.p_memsz = ph.p_filesz + 4096;  // .bss
  ph.p_flags = PF_R | PF_W;
  phdrs.push_back(ph);

  Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = spec.elf_class;
  eh.e_ident[EI_DATA] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = spec.type;
  eh.e_machine = spec.machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = 0x401000;
  eh.e_phoff = sizeof(Ehdr);
  eh.e_ehsize = sizeof(Ehdr);
  eh.e_phentsize = sizeof(Phdr);
  eh.e_phnum = phdrs.size();

  std::string image(spec.size, '\0');
  std::memcpy(&image[0], &eh, sizeof(eh));
  std::memcpy(&image[sizeof(eh)], phdrs.data(), phdrs.size() * sizeof(Phdr));
  if (!spec.interp.empty()) image.replace(interp_at, spec.interp.size(), spec.interp);
  return image;
}

}  // namespace baton::supervisor::testing_elf

#endif  // BATON_SUPERVISOR_MAKE_ELF_FOR_TEST_H_
