// Build-time generator of sys/seccomp.cc's syscall name table: reads syscall
// names (one per line: the __SNR_ names of libseccomp's seccomp-syscalls.h)
// on stdin, adds every name libseccomp gives a native number 0..4095, and
// prints `{"name", NR},` for each name libseccomp resolves on the native
// architecture, sorted by name. NR is libseccomp's own answer: a negative
// pseudo number for a syscall this architecture does not have (libseccomp
// accepts such a rule and emits nothing for it). So /init resolves exactly
// the names libseccomp did, without linking libseccomp (0.11 MB).
#include <seccomp.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>

int main() {
  std::map<std::string, int> table;
  std::string name;
  while (std::getline(std::cin, name)) {
    if (name.empty()) continue;
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr != __NR_SCMP_ERROR) table[name] = nr;
  }
  const uint32_t native = seccomp_arch_native();
  for (int nr = 0; nr < 4096; ++nr) {
    char* n = seccomp_syscall_resolve_num_arch(native, nr);
    if (n == nullptr) continue;
    table[n] = seccomp_syscall_resolve_name(n);
    free(n);
  }
  if (table.size() < 300) {
    std::fprintf(stderr, "seccomp_names_gen: only %zu names\n", table.size());
    return 1;
  }
  for (const auto& [n, nr] : table) std::printf("{\"%s\", %d},\n", n.c_str(), nr);
  return 0;
}
