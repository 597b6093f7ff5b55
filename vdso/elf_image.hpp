// A bounds-checked reader of an ELF64 shared object already in memory: the
// vDSO the kernel maps into every process (AT_SYSINFO_EHDR), or any bytes a
// test or the fuzzer hands over.
//
// The shape follows Go's runtime/vdso_linux.go (itself based on the kernel's
// tools/testing/selftests/vDSO/parse_vdso.c): parse once into an ElfImage
// (Go: vdsoInfo), find the version index once (vdsoFindVersion), then look
// symbols up through DT_GNU_HASH or DT_HASH (vdsoParseSymbols).
//
// Unlike Go and parse_vdso.c, which trust the kernel, every offset, address,
// count and index read from the image is checked against [base, base + size)
// before use, with arithmetic that cannot wrap: a malformed image gives "not
// found", never a fault. The image is read through copies, so it need not be
// aligned either.
//
// Everything here is freestanding (no libc, no allocation, no static
// constructors) and also builds hosted with clang for the fuzzer.
#pragma once

#include <linux/elf.h>

#include <cstddef>
#include <cstdint>

#include "arch/arch.hpp"

namespace rawrt::vdso {

// What <linux/elf.h> (the UAPI header) leaves out; the values are the gABI's
// and GNU's, as in glibc's <elf.h>, which cannot be included beside it.
inline constexpr int64_t kDtGnuHash = 0x6ffffef5;  // DT_GNU_HASH
inline constexpr uint16_t kVerFlgBase = 1;         // VER_FLG_BASE: the file's own name, not a version

// Elf64_Verdef and Elf64_Verdaux (ELF symbol versioning), also missing there.
struct Verdef {
    Elf64_Half vd_version;
    Elf64_Half vd_flags;
    Elf64_Half vd_ndx;  // the index versym entries refer to
    Elf64_Half vd_cnt;
    Elf64_Word vd_hash;  // elf_hash of the version's name
    Elf64_Word vd_aux;   // offset from this entry to its first Verdaux
    Elf64_Word vd_next;  // offset from this entry to the next; 0 ends the chain
};
struct Verdaux {
    Elf64_Word vda_name;  // offset in the string table
    Elf64_Word vda_next;
};
static_assert(sizeof(Verdef) == 20 && sizeof(Verdaux) == 8);

// The e_machine an image must carry to be called from this build.
inline constexpr Elf64_Half kNativeMachine = RAWRT_ELF_MACHINE;

// The SysV hash of DT_HASH and of vd_hash.
constexpr uint32_t elf_hash(const char* s) {
    uint32_t h = 0;
    for (; *s != '\0'; ++s) {
        h = (h << 4) + static_cast<unsigned char>(*s);
        uint32_t high = h & 0xf0000000u;
        if (high != 0) h ^= high >> 24;
        h &= ~high;
    }
    return h;
}

// The hash of DT_GNU_HASH (Bernstein's, h * 33 + c).
constexpr uint32_t gnu_hash(const char* s) {
    uint32_t h = 5381;
    for (; *s != '\0'; ++s) h = h * 33 + static_cast<unsigned char>(*s);
    return h;
}

// Go: vdsoVersionKey.
struct VersionKey {
    const char* version;
    uint32_t ver_hash;  // elf_hash(version)
};

// Go: vdsoSymbolKey. *ptr receives the symbol's address when found and is
// left alone otherwise.
struct SymbolKey {
    const char* name;
    uint32_t sym_hash;  // elf_hash(name)
    uint32_t gnu_hash;  // gnu_hash(name)
    uintptr_t* ptr;
};

// Go: vdsoInfo. Positions are offsets from base, already checked to lie
// inside the image; counts are those the image claims, each checked again
// where it is used.
struct ElfImage {
    const unsigned char* base = nullptr;
    uint64_t size = 0;
    bool valid = false;

    // The first PT_LOAD maps vaddr load_vaddr to offset load_offset; every
    // address in the dynamic table and the symbols is translated through it.
    uint64_t load_vaddr = 0;
    uint64_t load_offset = 0;

    uint64_t strtab = 0;
    uint64_t strtab_end = 0;  // DT_STRSZ when given, else the end of the image
    uint64_t symtab = 0;

    bool is_gnu_hash = false;
    uint64_t bucket = 0;  // uint32 array of nbucket entries
    uint32_t nbucket = 0;
    uint64_t chain = 0;    // uint32 array; SysV: nchain entries; GNU: until an odd hash
    uint32_t nchain = 0;   // SysV only
    uint32_t sym_off = 0;  // GNU only: the first symbol the hash covers (Go: symOff)

    bool has_versym = false;  // false as well when there is no verdef
    uint64_t versym = 0;
    uint64_t verdef = 0;

    // Copies a T from offset `at`; false if any byte of it is outside the image.
    template <class T>
    bool read(uint64_t at, T* out) const {
        if (at > size || sizeof(T) > size - at) return false;
        __builtin_memcpy(out, base + at, sizeof(T));
        return true;
    }

    // The file offset of virtual address vaddr, if it lies inside the image.
    bool offset_of(uint64_t vaddr, uint64_t* offset) const;

    // Whether the NUL-terminated string at strtab + index is s.
    bool string_equals(uint64_t index, const char* s) const;
};

// Go: vdsoInitFromSysinfoEx. Parses the image at [base, base + size) into
// *info; returns info->valid. machine is the e_machine to insist on.
bool vdsoInitFromSysinfoEx(ElfImage* info, const void* base, size_t size, Elf64_Half machine = kNativeMachine);

// Go: vdsoFindVersion. The index (vd_ndx & 0x7fff) of the version named by
// ver, or -1 when the image does not define it; 0 when the image carries no
// version information at all, meaning "any symbol will do".
int32_t vdsoFindVersion(const ElfImage* info, const VersionKey* ver);

// Go: vdsoParseSymbols. Looks every key up; version as vdsoFindVersion
// returned it (0 = do not check versions, -1 = no symbol can match).
void vdsoParseSymbols(const ElfImage* info, int32_t version, const SymbolKey* keys, size_t count);

// One symbol's address, or nullptr: the convenience form of the two above.
// version == nullptr skips the version check.
const void* lookup(const ElfImage* info, const char* name, const char* version);

// How many bytes of an image mapped at base belong to it, from its own
// headers: the furthest end of a PT_LOAD's file bytes or of the section
// header table. Only the first `readable` bytes are assumed readable while
// the headers are checked, so ELF and program headers must lie within them.
// 0 if the headers are not those of an ELF64 image for `machine`.
size_t image_size_from_headers(const void* base, size_t readable, Elf64_Half machine = kNativeMachine);

}  // namespace rawrt::vdso
