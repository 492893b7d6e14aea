#include "tools/mkinitramfs/elf.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"
#include "sys/unique_fd.h"

namespace baton::mkinitramfs {
namespace {

using sys::UniqueFd;

// An open ELF file: reads ranges and checks they lie inside the file.
class ElfFile {
 public:
  static absl::StatusOr<ElfFile> Open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return ErrnoStatus(errno, absl::StrCat("open ", path));
    off_t size = ::lseek(fd.get(), 0, SEEK_END);
    if (size < 0) return ErrnoStatus(errno, absl::StrCat("lseek ", path));
    ElfFile f(path, std::move(fd), static_cast<uint64_t>(size));
    RETURN_IF_ERROR(f.Read(0, &f.ehdr_, sizeof(f.ehdr_)));
    const unsigned char* id = f.ehdr_.e_ident;
    if (std::memcmp(id, ELFMAG, SELFMAG) != 0 || id[EI_CLASS] != ELFCLASS64 ||
        id[EI_DATA] != ELFDATA2LSB) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a little-endian ELF64 file"));
    }
    return f;
  }

  absl::Status Read(uint64_t off, void* buf, uint64_t len) const {
    if (off > size_ || len > size_ - off) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": truncated ELF (range ", off, "+", len,
                       " beyond ", size_, " bytes)"));
    }
    uint64_t done = 0;
    while (done < len) {
      ssize_t n = ::pread(fd_.get(), static_cast<char*>(buf) + done,
                          len - done, off + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, absl::StrCat("read ", path_));
      if (n == 0) return absl::DataLossError(absl::StrCat(path_, ": short read"));
      done += n;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadString(uint64_t off, uint64_t len) const {
    std::string s(len, '\0');
    RETURN_IF_ERROR(Read(off, s.data(), len));
    return s;
  }

  absl::StatusOr<std::vector<Elf64_Phdr>> ProgramHeaders() const {
    if (ehdr_.e_phentsize != sizeof(Elf64_Phdr) && ehdr_.e_phnum != 0) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": bad e_phentsize"));
    }
    std::vector<Elf64_Phdr> ph(ehdr_.e_phnum);
    RETURN_IF_ERROR(Read(ehdr_.e_phoff, ph.data(), ph.size() * sizeof(Elf64_Phdr)));
    return ph;
  }

  absl::StatusOr<std::vector<Elf64_Shdr>> SectionHeaders() const {
    if (ehdr_.e_shentsize != sizeof(Elf64_Shdr) && ehdr_.e_shnum != 0) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": bad e_shentsize"));
    }
    std::vector<Elf64_Shdr> sh(ehdr_.e_shnum);
    RETURN_IF_ERROR(Read(ehdr_.e_shoff, sh.data(), sh.size() * sizeof(Elf64_Shdr)));
    return sh;
  }

  const Elf64_Ehdr& ehdr() const { return ehdr_; }
  const std::string& path() const { return path_; }

 private:
  ElfFile(std::string path, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size) {}

  std::string path_;
  UniqueFd fd_;
  uint64_t size_;
  Elf64_Ehdr ehdr_{};
};

// Maps a virtual address to a file offset through the PT_LOAD segments.
absl::StatusOr<uint64_t> VaddrToOffset(const std::vector<Elf64_Phdr>& phdrs,
                                       uint64_t vaddr, const std::string& path) {
  for (const Elf64_Phdr& p : phdrs) {
    if (p.p_type == PT_LOAD && vaddr >= p.p_vaddr &&
        vaddr < p.p_vaddr + p.p_filesz) {
      return vaddr - p.p_vaddr + p.p_offset;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": address 0x", absl::Hex(vaddr), " not in any PT_LOAD"));
}

// The NUL-terminated string at OFF within TABLE.
absl::StatusOr<std::string> StringAt(const std::string& table, uint64_t off,
                                     const std::string& path) {
  if (off >= table.size()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": string offset out of range"));
  }
  size_t end = table.find('\0', off);
  if (end == std::string::npos) end = table.size();
  return table.substr(off, end - off);
}

std::vector<std::string> SplitPath(const std::string& s) {
  return absl::StrSplit(s, ':', absl::SkipEmpty());
}

}  // namespace

bool IsElf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  char magic[SELFMAG];
  return ::pread(fd.get(), magic, SELFMAG, 0) == SELFMAG &&
         std::memcmp(magic, ELFMAG, SELFMAG) == 0;
}

absl::StatusOr<ElfInfo> ReadElf(const std::string& path) {
  ASSIGN_OR_RETURN(ElfFile f, ElfFile::Open(path));
  ASSIGN_OR_RETURN(std::vector<Elf64_Phdr> phdrs, f.ProgramHeaders());
  ElfInfo info;
  const Elf64_Phdr* dyn = nullptr;
  for (const Elf64_Phdr& p : phdrs) {
    if (p.p_type == PT_INTERP) {
      ASSIGN_OR_RETURN(std::string s, f.ReadString(p.p_offset, p.p_filesz));
      info.interpreter = s.substr(0, s.find('\0'));
    } else if (p.p_type == PT_DYNAMIC) {
      dyn = &p;
    }
  }
  if (dyn == nullptr) return info;
  info.dynamic = true;

  std::vector<Elf64_Dyn> entries(dyn->p_filesz / sizeof(Elf64_Dyn));
  RETURN_IF_ERROR(f.Read(dyn->p_offset, entries.data(),
                         entries.size() * sizeof(Elf64_Dyn)));
  uint64_t strtab = 0, strsz = 0;
  bool have_strtab = false;
  for (const Elf64_Dyn& d : entries) {
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_STRTAB) {
      strtab = d.d_un.d_ptr;
      have_strtab = true;
    }
    if (d.d_tag == DT_STRSZ) strsz = d.d_un.d_val;
  }
  if (!have_strtab) return info;
  ASSIGN_OR_RETURN(uint64_t stroff, VaddrToOffset(phdrs, strtab, path));
  ASSIGN_OR_RETURN(std::string table, f.ReadString(stroff, strsz));
  for (const Elf64_Dyn& d : entries) {
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag != DT_NEEDED && d.d_tag != DT_RUNPATH && d.d_tag != DT_RPATH) {
      continue;
    }
    ASSIGN_OR_RETURN(std::string s, StringAt(table, d.d_un.d_val, path));
    if (d.d_tag == DT_NEEDED) info.needed.push_back(s);
    if (d.d_tag == DT_RUNPATH) info.runpath = SplitPath(s);
    if (d.d_tag == DT_RPATH) info.rpath = SplitPath(s);
  }
  return info;
}

absl::StatusOr<std::string> ReadElfSection(const std::string& path,
                                           absl::string_view name) {
  ASSIGN_OR_RETURN(ElfFile f, ElfFile::Open(path));
  ASSIGN_OR_RETURN(std::vector<Elf64_Shdr> shdrs, f.SectionHeaders());
  uint16_t shstrndx = f.ehdr().e_shstrndx;
  if (shstrndx >= shdrs.size()) {
    return absl::NotFoundError(absl::StrCat(path, ": no section name table"));
  }
  const Elf64_Shdr& names_hdr = shdrs[shstrndx];
  ASSIGN_OR_RETURN(std::string names,
                   f.ReadString(names_hdr.sh_offset, names_hdr.sh_size));
  for (const Elf64_Shdr& s : shdrs) {
    ASSIGN_OR_RETURN(std::string n, StringAt(names, s.sh_name, path));
    if (n != name) continue;
    if (s.sh_type == SHT_NOBITS) return std::string();
    return f.ReadString(s.sh_offset, s.sh_size);
  }
  return absl::NotFoundError(absl::StrCat(path, ": no section ", name));
}

}  // namespace baton::mkinitramfs
