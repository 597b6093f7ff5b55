// The bounds-checked ELF reader (vdso/elf_image.hpp), after Go's
// runtime/vdso_linux.go (vdsoInitFromSysinfoEx, vdsoFindVersion,
// vdsoParseSymbols), with every read of the image checked before it is made.

#include "vdso/elf_image.hpp"

namespace rawrt::vdso {
namespace {

// Checked arithmetic on image positions: false instead of a wrapped value.
bool add(uint64_t a, uint64_t b, uint64_t* sum) { return !__builtin_add_overflow(a, b, sum); }
bool mul(uint64_t a, uint64_t b, uint64_t* product) { return !__builtin_mul_overflow(a, b, product); }

// Whether [at, at + length) lies inside an image of `size` bytes.
bool fits(uint64_t size, uint64_t at, uint64_t length) { return at <= size && length <= size - at; }

// position + index * stride, or false if it cannot be represented.
bool element(uint64_t position, uint64_t index, uint64_t stride, uint64_t* at) {
    uint64_t delta;
    return mul(index, stride, &delta) && add(position, delta, at);
}

bool header_matches(const Elf64_Ehdr& h, Elf64_Half machine) {
    return h.e_ident[EI_MAG0] == ELFMAG0 && h.e_ident[EI_MAG1] == ELFMAG1 && h.e_ident[EI_MAG2] == ELFMAG2 &&
           h.e_ident[EI_MAG3] == ELFMAG3 && h.e_ident[EI_CLASS] == ELFCLASS64 && h.e_ident[EI_DATA] == ELFDATA2LSB &&
           h.e_type == ET_DYN && h.e_machine == machine && (h.e_phnum == 0 || h.e_phentsize >= sizeof(Elf64_Phdr));
}

bool read_phdr(const ElfImage& image, const Elf64_Ehdr& h, unsigned i, Elf64_Phdr* out) {
    uint64_t at;
    return element(h.e_phoff, i, h.e_phentsize, &at) && image.read(at, out);
}

}  // namespace

bool ElfImage::offset_of(uint64_t vaddr, uint64_t* offset) const {
    uint64_t at;
    if (vaddr >= load_vaddr) {
        if (!add(load_offset, vaddr - load_vaddr, &at)) return false;
    } else {
        uint64_t below = load_vaddr - vaddr;
        if (below > load_offset) return false;
        at = load_offset - below;
    }
    if (at >= size) return false;
    *offset = at;
    return true;
}

bool ElfImage::string_equals(uint64_t index, const char* s) const {
    uint64_t at;
    if (!add(strtab, index, &at)) return false;
    for (;; ++at, ++s) {
        if (at >= strtab_end) return false;  // no terminator inside the table
        unsigned char c = base[at];
        if (c != static_cast<unsigned char>(*s)) return false;
        if (c == '\0') return true;
    }
}

bool vdsoInitFromSysinfoEx(ElfImage* info, const void* base, size_t size, Elf64_Half machine) {
    *info = ElfImage{};
    info->base = static_cast<const unsigned char*>(base);
    info->size = size;

    Elf64_Ehdr h;
    if (!info->read(0, &h) || !header_matches(h, machine)) return false;

    // Two things from the program headers: the load bias (the first PT_LOAD)
    // and where the dynamic table is.
    bool found_load = false;
    bool found_dynamic = false;
    uint64_t dynamic = 0, dynamic_size = 0;
    for (unsigned i = 0; i < h.e_phnum; ++i) {
        Elf64_Phdr ph;
        if (!read_phdr(*info, h, i, &ph)) return false;
        if (ph.p_type == PT_LOAD && !found_load) {
            found_load = true;
            info->load_vaddr = ph.p_vaddr;
            info->load_offset = ph.p_offset;
        } else if (ph.p_type == PT_DYNAMIC) {
            found_dynamic = true;
            dynamic = ph.p_offset;
            dynamic_size = ph.p_filesz;
        }
    }
    if (!found_load || !found_dynamic || dynamic >= size) return false;

    // Fish the tables out of the dynamic section, which ends at DT_NULL or at
    // the end of its segment, whichever comes first.
    bool has_strtab = false, has_symtab = false, has_hash = false, has_gnu_hash = false;
    bool has_strsz = false, has_versym = false, has_verdef = false;
    uint64_t hash = 0, gnu_hash_table = 0, strsz = 0;
    uint64_t room = size - dynamic;
    uint64_t entries = (dynamic_size < room ? dynamic_size : room) / sizeof(Elf64_Dyn);
    for (uint64_t i = 0; i < entries; ++i) {
        Elf64_Dyn d;
        if (!info->read(dynamic + i * sizeof(Elf64_Dyn), &d)) return false;
        if (d.d_tag == DT_NULL) break;
        if (d.d_tag == DT_STRSZ) {
            has_strsz = true;
            strsz = d.d_un.d_val;
            continue;
        }
        uint64_t* slot = nullptr;
        bool* present = nullptr;
        switch (d.d_tag) {
            case DT_STRTAB: slot = &info->strtab, present = &has_strtab; break;
            case DT_SYMTAB: slot = &info->symtab, present = &has_symtab; break;
            case DT_HASH: slot = &hash, present = &has_hash; break;
            case kDtGnuHash: slot = &gnu_hash_table, present = &has_gnu_hash; break;
            case DT_VERSYM: slot = &info->versym, present = &has_versym; break;
            case DT_VERDEF: slot = &info->verdef, present = &has_verdef; break;
            default: continue;
        }
        // A table the image places outside itself makes the image unusable.
        if (!info->offset_of(d.d_un.d_ptr, slot)) return false;
        *present = true;
    }
    if (!has_strtab || !has_symtab || (!has_hash && !has_gnu_hash)) return false;

    info->strtab_end = size;
    uint64_t strtab_end;
    if (has_strsz && add(info->strtab, strsz, &strtab_end) && strtab_end < size) info->strtab_end = strtab_end;

    // A versym entry means nothing without the verdefs it indexes.
    info->has_versym = has_versym && has_verdef;

    if (has_gnu_hash) {
        // nbucket, symoffset, bloom words (8 bytes each on ELF64), bloom shift,
        // then the bloom filter, the buckets and the chains.
        uint32_t header[4];
        if (!info->read(gnu_hash_table, &header)) return false;
        uint64_t bloom, bucket, chain;
        if (!add(gnu_hash_table, sizeof header, &bloom) || !element(bloom, header[2], sizeof(uint64_t), &bucket) ||
            !element(bucket, header[0], sizeof(uint32_t), &chain) || !fits(size, bucket, chain - bucket))
            return false;
        info->is_gnu_hash = true;
        info->nbucket = header[0];
        info->sym_off = header[1];
        info->bucket = bucket;
        info->chain = chain;
    } else {
        uint32_t header[2];  // nbucket, nchain
        if (!info->read(hash, &header)) return false;
        uint64_t bucket, chain, end;
        if (!add(hash, sizeof header, &bucket) || !element(bucket, header[0], sizeof(uint32_t), &chain) ||
            !element(chain, header[1], sizeof(uint32_t), &end) || !fits(size, bucket, end - bucket))
            return false;
        info->nbucket = header[0];
        info->nchain = header[1];
        info->bucket = bucket;
        info->chain = chain;
    }
    if (info->nbucket == 0) return false;  // nothing to take a hash modulo

    info->valid = true;
    return true;
}

int32_t vdsoFindVersion(const ElfImage* info, const VersionKey* ver) {
    if (!info->valid || !info->has_versym) return 0;

    // vd_next only moves forward, and by at least one entry, so the walk
    // ends within size / sizeof(Verdef) steps whatever the image says.
    uint64_t at = info->verdef;
    for (;;) {
        Verdef def;
        if (!info->read(at, &def)) return -1;
        if ((def.vd_flags & kVerFlgBase) == 0 && def.vd_hash == ver->ver_hash) {
            Verdaux aux;
            uint64_t aux_at;
            if (add(at, def.vd_aux, &aux_at) && info->read(aux_at, &aux) &&
                info->string_equals(aux.vda_name, ver->version)) {
                // Index 0 is VER_NDX_LOCAL, never a definition; taking it
                // would also turn the check off (0 = "any version").
                int32_t index = def.vd_ndx & 0x7fff;
                return index != 0 ? index : -1;
            }
        }
        if (def.vd_next < sizeof(Verdef)) return -1;  // 0 ends the chain; less overlaps
        if (!add(at, def.vd_next, &at)) return -1;
    }
}

namespace {

// Whether symbol `index` is the definition key asks for; stores its address.
bool apply(const ElfImage& info, int32_t version, uint64_t index, const SymbolKey& key) {
    uint64_t at;
    Elf64_Sym sym;
    if (!element(info.symtab, index, sizeof(Elf64_Sym), &at) || !info.read(at, &sym)) return false;
    unsigned type = ELF64_ST_TYPE(sym.st_info);
    unsigned bind = ELF64_ST_BIND(sym.st_info);
    if ((type != STT_FUNC && type != STT_NOTYPE) || (bind != STB_GLOBAL && bind != STB_WEAK) ||
        sym.st_shndx == SHN_UNDEF)
        return false;
    if (!info.string_equals(sym.st_name, key.name)) return false;
    if (info.has_versym && version != 0) {
        Elf64_Half versym;
        if (!element(info.versym, index, sizeof versym, &at) || !info.read(at, &versym)) return false;
        if (static_cast<int32_t>(versym & 0x7fff) != version) return false;
    }
    uint64_t offset;
    if (!info.offset_of(sym.st_value, &offset)) return false;
    *key.ptr = reinterpret_cast<uintptr_t>(info.base + offset);
    return true;
}

bool read_word(const ElfImage& info, uint64_t table, uint64_t index, uint32_t* out) {
    uint64_t at;
    return element(table, index, sizeof(uint32_t), &at) && info.read(at, out);
}

void lookup_sysv(const ElfImage& info, int32_t version, const SymbolKey& key) {
    uint32_t index;
    if (!read_word(info, info.bucket, key.sym_hash % info.nbucket, &index)) return;
    // A chain has at most nchain links; more means it loops.
    for (uint32_t steps = 0; index != 0 && index < info.nchain && steps < info.nchain; ++steps) {
        if (apply(info, version, index, key)) return;
        if (!read_word(info, info.chain, index, &index)) return;
    }
}

void lookup_gnu(const ElfImage& info, int32_t version, const SymbolKey& key) {
    uint32_t first;
    if (!read_word(info, info.bucket, key.gnu_hash % info.nbucket, &first)) return;
    if (first == 0 || first < info.sym_off) return;  // empty bucket
    // Each step reads the next chain word, and the reads stop at the end of
    // the image: the walk is bounded even if no word ever has the end bit.
    for (uint64_t index = first;; ++index) {
        uint32_t hash;
        if (!read_word(info, info.chain, index - info.sym_off, &hash)) return;
        if ((hash | 1) == (key.gnu_hash | 1) && apply(info, version, index, key)) return;
        if ((hash & 1) != 0) return;  // last symbol of this bucket
    }
}

}  // namespace

void vdsoParseSymbols(const ElfImage* info, int32_t version, const SymbolKey* keys, size_t count) {
    if (!info->valid) return;
    for (size_t i = 0; i < count; ++i) {
        if (info->is_gnu_hash) lookup_gnu(*info, version, keys[i]);
        else lookup_sysv(*info, version, keys[i]);
    }
}

const void* lookup(const ElfImage* info, const char* name, const char* version) {
    int32_t index = 0;
    if (version != nullptr) {
        VersionKey ver{version, elf_hash(version)};
        index = vdsoFindVersion(info, &ver);
    }
    uintptr_t address = 0;
    SymbolKey key{name, elf_hash(name), gnu_hash(name), &address};
    vdsoParseSymbols(info, index, &key, 1);
    return reinterpret_cast<const void*>(address);
}

size_t image_size_from_headers(const void* base, size_t readable, Elf64_Half machine) {
    ElfImage prefix;
    prefix.base = static_cast<const unsigned char*>(base);
    prefix.size = readable;
    Elf64_Ehdr h;
    if (!prefix.read(0, &h) || !header_matches(h, machine)) return 0;

    uint64_t end = sizeof h;
    for (unsigned i = 0; i < h.e_phnum; ++i) {
        Elf64_Phdr ph;
        if (!read_phdr(prefix, h, i, &ph)) return 0;
        uint64_t segment_end;
        if (ph.p_type != PT_LOAD) continue;
        if (!add(ph.p_offset, ph.p_filesz, &segment_end)) return 0;
        if (segment_end > end) end = segment_end;
    }
    if (h.e_shnum != 0) {
        uint64_t sections_end;
        if (!element(h.e_shoff, h.e_shnum, h.e_shentsize, &sections_end)) return 0;
        if (sections_end > end) end = sections_end;
    }
    static_assert(sizeof(size_t) == sizeof(uint64_t));
    return end;
}

}  // namespace rawrt::vdso
