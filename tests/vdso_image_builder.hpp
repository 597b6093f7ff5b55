// Synthetic vDSO-like ELF64 images, built in memory for the parser tests
// (tests/vdso_parser_test.cpp) and the fuzzer's seeds (fuzz/make_seeds.cpp).
//
// An image is what the kernel maps: one file, loaded as is. Its layout here:
//
//   Elf64_Ehdr | PT_LOAD, PT_DYNAMIC | .dynsym | .dynstr | .gnu.version |
//   .gnu.version_d | .hash | .gnu.hash | .dynamic | text (16 bytes a symbol)
//
// PT_LOAD maps file offset 0 to spec.load_vaddr, so every pointer the parser
// reads must be translated back to an offset, as with a real vDSO linked at a
// non-zero address. Every table's offset is recorded so that a test can break
// exactly one thing and check that the parser refuses it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "vdso/elf_image.hpp"

namespace rawrt::test {

enum class HashStyle { gnu, sysv, both };

struct SymbolSpec {
    std::string name;
    unsigned char type = STT_FUNC;
    unsigned char bind = STB_GLOBAL;
    uint16_t shndx = 7;   // any defined section; SHN_UNDEF (0) makes it an import
    uint16_t versym = 2;  // .gnu.version entry: a version's vd_ndx, maybe | 0x8000 (hidden)
};

struct VersionSpec {
    std::string name;
    uint16_t ndx;
    uint16_t flags = 0;
};

struct ImageSpec {
    Elf64_Half machine = vdso::kNativeMachine;
    HashStyle hash = HashStyle::both;
    bool with_versym = true;
    bool with_verdef = true;
    uint32_t sysv_nbucket = 3;
    uint32_t gnu_nbucket = 3;
    uint32_t gnu_bloom_words = 1;
    uint64_t load_vaddr = 0xffffffffff700000ull;  // where x86_64 once put its vsyscall page
    uint64_t phoff = sizeof(Elf64_Ehdr);          // an odd value makes the headers unaligned
    std::vector<VersionSpec> versions = {{"linux-vdso.so.1", 1, vdso::kVerFlgBase}, {"LINUX_2.6", 2}};
    std::vector<SymbolSpec> symbols;
};

struct BuiltImage {
    std::vector<unsigned char> bytes;
    // File offsets of the pieces.
    uint64_t phdrs = 0, dynsym = 0, dynstr = 0, versym = 0, verdef = 0, hash = 0, gnu_hash = 0, dynamic = 0, text = 0;
    uint32_t gnu_symoffset = 1;
    std::vector<std::string> order;           // symbol names by symbol index (0 is the null symbol)
    std::map<std::string, uint64_t> code_at;  // file offset of each symbol's code

    size_t size() const { return bytes.size(); }

    template <class T>
    T get(uint64_t at) const {
        T value;
        std::memcpy(&value, bytes.data() + at, sizeof value);
        return value;
    }
    template <class T>
    void put(uint64_t at, T value) {
        std::memcpy(bytes.data() + at, &value, sizeof value);
    }

    // File offset of the dynamic entry with `tag`, or 0 if there is none.
    uint64_t dyn_entry(int64_t tag) const {
        for (uint64_t at = dynamic;; at += sizeof(Elf64_Dyn)) {
            Elf64_Dyn d = get<Elf64_Dyn>(at);
            if (d.d_tag == tag) return at;
            if (d.d_tag == DT_NULL) return 0;
        }
    }
    void set_dyn(int64_t tag, uint64_t value) {
        Elf64_Dyn d = get<Elf64_Dyn>(dyn_entry(tag));
        d.d_un.d_val = value;
        put(dyn_entry(tag), d);
    }
    uint64_t symbol_entry(const std::string& name) const {
        auto it = std::find(order.begin(), order.end(), name);
        return dynsym + static_cast<uint64_t>(it - order.begin()) * sizeof(Elf64_Sym);
    }
};

inline uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

inline BuiltImage build_image(const ImageSpec& spec) {
    BuiltImage out;
    const bool gnu = spec.hash != HashStyle::sysv;
    const bool sysv = spec.hash != HashStyle::gnu;

    // GNU hash wants the hashed symbols grouped by bucket; SysV does not care.
    std::vector<SymbolSpec> symbols = spec.symbols;
    if (gnu)
        std::stable_sort(symbols.begin(), symbols.end(), [&](const SymbolSpec& a, const SymbolSpec& b) {
            return vdso::gnu_hash(a.name.c_str()) % spec.gnu_nbucket <
                   vdso::gnu_hash(b.name.c_str()) % spec.gnu_nbucket;
        });
    const uint32_t nsyms = static_cast<uint32_t>(symbols.size()) + 1;
    out.order.push_back("");
    for (const SymbolSpec& s : symbols) out.order.push_back(s.name);

    std::string strings(1, '\0');
    auto intern = [&](const std::string& s) {
        uint32_t at = static_cast<uint32_t>(strings.size());
        strings += s;
        strings += '\0';
        return at;
    };
    std::vector<uint32_t> name_at;
    for (const SymbolSpec& s : symbols) name_at.push_back(intern(s.name));
    std::vector<uint32_t> version_at;
    for (const VersionSpec& v : spec.versions) version_at.push_back(intern(v.name));

    // Offsets.
    const uint32_t phnum = 2;
    uint64_t at = spec.phoff + phnum * sizeof(Elf64_Phdr);
    out.phdrs = spec.phoff;
    out.dynsym = at = align_up(at, 8);
    at += nsyms * sizeof(Elf64_Sym);
    out.dynstr = at;
    at += strings.size();
    if (spec.with_versym) {
        out.versym = at = align_up(at, 2);
        at += nsyms * sizeof(uint16_t);
    }
    if (spec.with_verdef) {
        out.verdef = at = align_up(at, 8);
        at += spec.versions.size() * (sizeof(vdso::Verdef) + sizeof(vdso::Verdaux));
    }
    if (sysv) {
        out.hash = at = align_up(at, 8);
        at += (2 + spec.sysv_nbucket + nsyms) * sizeof(uint32_t);
    }
    if (gnu) {
        out.gnu_hash = at = align_up(at, 8);
        at += 16 + spec.gnu_bloom_words * 8ull + spec.gnu_nbucket * 4ull + (nsyms - 1) * 4ull;
    }
    const unsigned ndyn = 5 + (sysv ? 1 : 0) + (gnu ? 1 : 0) + (spec.with_versym ? 1 : 0) + (spec.with_verdef ? 2 : 0) +
                          1;
    out.dynamic = at = align_up(at, 8);
    at += ndyn * sizeof(Elf64_Dyn);
    out.text = at = align_up(at, 16);
    at += 16ull * (nsyms - 1);
    out.bytes.assign(at, 0);
    const uint64_t vaddr = spec.load_vaddr;

    // ELF header and program headers.
    Elf64_Ehdr h{};
    std::memcpy(h.e_ident, ELFMAG, SELFMAG);
    h.e_ident[EI_CLASS] = ELFCLASS64;
    h.e_ident[EI_DATA] = ELFDATA2LSB;
    h.e_ident[EI_VERSION] = EV_CURRENT;
    h.e_type = ET_DYN;
    h.e_machine = spec.machine;
    h.e_version = EV_CURRENT;
    h.e_phoff = spec.phoff;
    h.e_ehsize = sizeof h;
    h.e_phentsize = sizeof(Elf64_Phdr);
    h.e_phnum = phnum;
    out.put(0, h);
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_flags = PF_R | PF_X;
    load.p_vaddr = load.p_paddr = vaddr;
    load.p_filesz = load.p_memsz = out.size();
    load.p_align = 4096;
    out.put(out.phdrs, load);
    Elf64_Phdr dyn{};
    dyn.p_type = PT_DYNAMIC;
    dyn.p_flags = PF_R;
    dyn.p_offset = out.dynamic;
    dyn.p_vaddr = dyn.p_paddr = vaddr + out.dynamic;
    dyn.p_filesz = dyn.p_memsz = ndyn * sizeof(Elf64_Dyn);
    dyn.p_align = 8;
    out.put(out.phdrs + sizeof(Elf64_Phdr), dyn);

    // Symbols, their code (ret instructions: never run, only located) and versions.
    for (uint32_t i = 1; i < nsyms; ++i) {
        const SymbolSpec& s = symbols[i - 1];
        Elf64_Sym sym{};
        sym.st_name = name_at[i - 1];
        sym.st_info = static_cast<unsigned char>((s.bind << 4) | s.type);
        sym.st_shndx = s.shndx;
        uint64_t code = out.text + 16ull * (i - 1);
        sym.st_value = vaddr + code;
        sym.st_size = 16;
        out.put(out.dynsym + i * sizeof(Elf64_Sym), sym);
        std::memset(out.bytes.data() + code, 0xc3, 16);
        out.code_at[s.name] = code;
        if (spec.with_versym) out.put<uint16_t>(out.versym + i * 2, s.versym);
    }
    std::memcpy(out.bytes.data() + out.dynstr, strings.data(), strings.size());

    if (spec.with_verdef) {
        const uint64_t entry = sizeof(vdso::Verdef) + sizeof(vdso::Verdaux);
        for (size_t i = 0; i < spec.versions.size(); ++i) {
            const VersionSpec& v = spec.versions[i];
            vdso::Verdef def{};
            def.vd_version = 1;
            def.vd_flags = v.flags;
            def.vd_ndx = v.ndx;
            def.vd_cnt = 1;
            def.vd_hash = vdso::elf_hash(v.name.c_str());
            def.vd_aux = sizeof(vdso::Verdef);
            def.vd_next = i + 1 < spec.versions.size() ? entry : 0;
            out.put(out.verdef + i * entry, def);
            out.put(out.verdef + i * entry + sizeof def, vdso::Verdaux{version_at[i], 0});
        }
    }

    if (sysv) {
        std::vector<uint32_t> bucket(spec.sysv_nbucket), chain(nsyms);
        for (uint32_t i = 1; i < nsyms; ++i) {
            uint32_t b = vdso::elf_hash(symbols[i - 1].name.c_str()) % spec.sysv_nbucket;
            chain[i] = bucket[b];
            bucket[b] = i;
        }
        uint64_t p = out.hash;
        out.put<uint32_t>(p, spec.sysv_nbucket);
        out.put<uint32_t>(p + 4, nsyms);
        p += 8;
        for (uint32_t b : bucket) out.put(p, b), p += 4;
        for (uint32_t c : chain) out.put(p, c), p += 4;
    }

    if (gnu) {
        const uint32_t symoffset = out.gnu_symoffset;
        uint64_t p = out.gnu_hash;
        out.put<uint32_t>(p, spec.gnu_nbucket);
        out.put<uint32_t>(p + 4, symoffset);
        out.put<uint32_t>(p + 8, spec.gnu_bloom_words);
        out.put<uint32_t>(p + 12, 6);
        p += 16;
        for (uint32_t i = 0; i < spec.gnu_bloom_words; ++i) out.put<uint64_t>(p, ~0ull), p += 8;
        const uint64_t bucket_at = p, chain_at = p + spec.gnu_nbucket * 4ull;
        for (uint32_t i = symoffset; i < nsyms; ++i) {
            uint32_t hash = vdso::gnu_hash(symbols[i - 1].name.c_str());
            uint32_t b = hash % spec.gnu_nbucket;
            if (out.get<uint32_t>(bucket_at + b * 4ull) == 0) out.put<uint32_t>(bucket_at + b * 4ull, i);
            bool last = i + 1 == nsyms || vdso::gnu_hash(symbols[i].name.c_str()) % spec.gnu_nbucket != b;
            out.put<uint32_t>(chain_at + (i - symoffset) * 4ull, (hash & ~1u) | (last ? 1u : 0u));
        }
    }

    uint64_t d = out.dynamic;
    auto dyn_entry = [&](int64_t tag, uint64_t value) {
        Elf64_Dyn e{};
        e.d_tag = tag;
        e.d_un.d_val = value;
        out.put(d, e);
        d += sizeof e;
    };
    if (sysv) dyn_entry(DT_HASH, vaddr + out.hash);
    if (gnu) dyn_entry(vdso::kDtGnuHash, vaddr + out.gnu_hash);
    dyn_entry(DT_STRTAB, vaddr + out.dynstr);
    dyn_entry(DT_SYMTAB, vaddr + out.dynsym);
    dyn_entry(DT_STRSZ, strings.size());
    dyn_entry(DT_SYMENT, sizeof(Elf64_Sym));
    if (spec.with_versym) dyn_entry(DT_VERSYM, vaddr + out.versym);
    if (spec.with_verdef) {
        dyn_entry(DT_VERDEF, vaddr + out.verdef);
        dyn_entry(DT_VERDEFNUM, spec.versions.size());
    }
    dyn_entry(DT_SONAME, 1);
    dyn_entry(DT_NULL, 0);
    return out;
}

// The symbols of the `machine`'s kernel vDSO, at its version.
inline ImageSpec vdso_like_spec(Elf64_Half machine = vdso::kNativeMachine) {
    ImageSpec spec;
    spec.machine = machine;
    if (machine == EM_AARCH64) {
        spec.versions = {{"linux-vdso.so.1", 1, vdso::kVerFlgBase}, {"LINUX_2.6.39", 2}};
        spec.symbols = {{"__kernel_clock_gettime"},
                        {"__kernel_gettimeofday"},
                        {"__kernel_clock_getres"},
                        {"__kernel_rt_sigreturn"}};
    } else {
        spec.symbols = {{"__vdso_clock_gettime"},    {"__vdso_gettimeofday"},
                        {"__vdso_clock_getres"},     {"__vdso_time"},
                        {"__vdso_getcpu"},           {"clock_gettime", STT_FUNC, STB_WEAK},
                        {"time", STT_FUNC, STB_WEAK}};
    }
    // The kernel's linker script also exports each version's name as an
    // absolute data symbol; a lookup must pass over it.
    spec.symbols.push_back({spec.versions[1].name, STT_OBJECT, STB_GLOBAL, SHN_ABS, 2});
    return spec;
}

}  // namespace rawrt::test
