// The vDSO parser (vdso/elf_image.cpp) on synthetic images, on damaged ones,
// on the kernel's own image when there is one, and on every file the fuzzer
// ever found (fuzz/regressions/).
//
// Every image is parsed from a copy whose last byte sits just below a
// PROT_NONE page: a read past the end faults here even without a sanitizer.

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "fuzz/vdso_exercise.hpp"
#include "tests/child_process.hpp"
#include "tests/vdso_image_builder.hpp"
#include "vdso/elf_image.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::test {
namespace {

using vdso::ElfImage;

// Room for an image of up to `capacity` bytes that ends at an unmapped page.
class GuardedCopy {
public:
    explicit GuardedCopy(size_t capacity) {
        page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        room_ = (capacity + 64 + page_ - 1) / page_ * page_;
        void* p = ::mmap(nullptr, room_ + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) std::abort();
        start_ = static_cast<unsigned char*>(p);
        if (::mprotect(start_ + room_, page_, PROT_NONE) != 0) std::abort();
    }
    ~GuardedCopy() { ::munmap(start_, room_ + page_); }
    GuardedCopy(const GuardedCopy&) = delete;
    GuardedCopy& operator=(const GuardedCopy&) = delete;

    // The first n bytes, placed so that the byte after them is unmapped.
    const unsigned char* at_end(const unsigned char* bytes, size_t n) {
        unsigned char* at = start_ + room_ - n;
        std::memcpy(at, bytes, n);
        return at;
    }
    // The bytes at an address `misalign` bytes past a 16-byte boundary.
    const unsigned char* misaligned(const unsigned char* bytes, size_t n, size_t misalign) {
        unsigned char* at = start_ + (room_ - n - 32) / 16 * 16 + misalign;
        std::memcpy(at, bytes, n);
        return at;
    }

private:
    size_t page_, room_;
    unsigned char* start_;
};

// An image parsed from a guarded copy.
struct Parsed {
    explicit Parsed(const std::vector<unsigned char>& bytes, Elf64_Half machine = vdso::kNativeMachine)
        : Parsed(bytes.data(), bytes.size(), machine) {}
    Parsed(const unsigned char* bytes, size_t n, Elf64_Half machine = vdso::kNativeMachine) : copy(n) {
        base = copy.at_end(bytes, n);
        size = n;
        valid = vdso::vdsoInitFromSysinfoEx(&info, base, n, machine);
    }
    const void* find(const std::string& name, const char* version) const {
        return vdso::lookup(&info, name.c_str(), version);
    }
    int32_t version_index(const char* version) const {
        vdso::VersionKey key{version, vdso::elf_hash(version)};
        return vdso::vdsoFindVersion(&info, &key);
    }

    GuardedCopy copy;
    const unsigned char* base;
    size_t size;
    ElfImage info;
    bool valid;
};

// The version the native kernel's symbols carry, as the builder writes it.
const char* native_version() { return vdso::kNativeMachine == EM_AARCH64 ? "LINUX_2.6.39" : "LINUX_2.6"; }

// The callable symbols of a spec: what the parser must find in an intact image.
std::vector<std::string> callable(const ImageSpec& spec) {
    std::vector<std::string> names;
    for (const SymbolSpec& s : spec.symbols)
        if ((s.type == STT_FUNC || s.type == STT_NOTYPE) && (s.bind == STB_GLOBAL || s.bind == STB_WEAK) &&
            s.shndx != SHN_UNDEF)
            names.push_back(s.name);
    return names;
}

// Every name of the spec and every name the resolvers ask for: found only
// inside [base, base + size). Returns how many were found.
unsigned found_inside(const Parsed& p, const ImageSpec& spec, const char* version) {
    unsigned found = 0;
    std::set<std::string> names;
    for (const SymbolSpec& s : spec.symbols) names.insert(s.name);
    for (const char* n : vdso::fuzz::kNames) names.insert(n);
    for (const std::string& name : names) {
        const auto* at = static_cast<const unsigned char*>(p.find(name, version));
        if (at == nullptr) continue;
        ++found;
        EXPECT_GE(at, p.base) << name;
        EXPECT_LT(at, p.base + p.size) << name;
    }
    return found;
}

bool vdso_expected() { return rawrt::test::runner().empty(); }

const char* name_of(HashStyle style) {
    switch (style) {
        case HashStyle::gnu: return "GnuHashOnly";
        case HashStyle::sysv: return "SysvHashOnly";
        case HashStyle::both: return "BothHashes";
    }
    return "?";
}
std::string hash_name(const testing::TestParamInfo<HashStyle>& info) { return name_of(info.param); }

}  // namespace

// How GoogleTest prints a parameter (found by argument-dependent lookup).
void PrintTo(HashStyle style, std::ostream* out) { *out << name_of(style); }

namespace {

// --- intact images, per hash table style

class VdsoParser : public testing::TestWithParam<HashStyle> {
protected:
    ImageSpec spec() const {
        ImageSpec s = vdso_like_spec();
        s.hash = GetParam();
        return s;
    }
};

TEST_P(VdsoParser, FindsEveryFunctionAtItsVersion) {
    ImageSpec s = spec();
    BuiltImage image = build_image(s);
    Parsed p(image.bytes);
    ASSERT_TRUE(p.valid);
    EXPECT_EQ(p.info.is_gnu_hash, GetParam() != HashStyle::sysv);
    EXPECT_EQ(p.version_index(native_version()), 2);
    ASSERT_GE(callable(s).size(), 3u);
    for (const std::string& name : callable(s)) {
        EXPECT_EQ(p.find(name, native_version()), p.base + image.code_at.at(name)) << name;
        EXPECT_EQ(p.find(name, nullptr), p.base + image.code_at.at(name)) << name;
    }
    EXPECT_EQ(p.find("__vdso_nothing", native_version()), nullptr);
    EXPECT_EQ(p.find("", native_version()), nullptr);
    EXPECT_EQ(p.find("__vdso_clock_gettime_", nullptr), nullptr);
}

TEST_P(VdsoParser, WalksCollidingAndEmptyBuckets) {
    for (uint32_t nbucket : {1u, 2u, 17u, 64u}) {
        ImageSpec s = spec();
        s.sysv_nbucket = s.gnu_nbucket = nbucket;
        s.gnu_bloom_words = 4;
        BuiltImage image = build_image(s);
        Parsed p(image.bytes);
        ASSERT_TRUE(p.valid) << nbucket;
        for (const std::string& name : callable(s))
            EXPECT_EQ(p.find(name, native_version()), p.base + image.code_at.at(name)) << name << " " << nbucket;
        for (const char* missing : {"a", "__vdso_nothing", "__kernel_nothing", "getrandom"})
            EXPECT_EQ(p.find(missing, nullptr), nullptr) << missing << " " << nbucket;
    }
}

TEST_P(VdsoParser, WrongVersionIsNotFound) {
    ImageSpec s = spec();
    s.versions.push_back({"LINUX_OTHER", 3});
    s.symbols.push_back({"__vdso_other"});
    s.symbols.back().versym = 3;
    s.symbols.push_back({"__vdso_hidden_version"});
    s.symbols.back().versym = 0x8000 | 2;  // VERSYM_HIDDEN: Go masks it off, so does rawrt
    BuiltImage image = build_image(s);
    Parsed p(image.bytes);
    ASSERT_TRUE(p.valid);
    const std::string clock = callable(s)[0];

    EXPECT_EQ(p.version_index("LINUX_2.5"), -1);
    EXPECT_EQ(p.find(clock, "LINUX_2.5"), nullptr);
    EXPECT_EQ(p.find(clock, "LINUX_2.6.3"), nullptr);  // a prefix of LINUX_2.6.39
    EXPECT_EQ(p.find(clock, "LINUX_OTHER"), nullptr);  // defined, but not clock's
    EXPECT_EQ(p.find("__vdso_other", native_version()), nullptr);
    EXPECT_EQ(p.find("__vdso_other", "LINUX_OTHER"), p.base + image.code_at.at("__vdso_other"));
    EXPECT_EQ(p.find("__vdso_other", nullptr), p.base + image.code_at.at("__vdso_other"));
    EXPECT_EQ(p.find("__vdso_hidden_version", native_version()), p.base + image.code_at.at("__vdso_hidden_version"));

    // The base entry names the file, not a version (VER_FLG_BASE).
    EXPECT_EQ(p.version_index("linux-vdso.so.1"), -1);
    EXPECT_EQ(p.find(clock, "linux-vdso.so.1"), nullptr);
}

TEST_P(VdsoParser, VersionNeedsBothHashAndName) {
    ImageSpec s = spec();
    BuiltImage image = build_image(s);
    const uint64_t entry = sizeof(vdso::Verdef) + sizeof(vdso::Verdaux);
    auto bad_hash = image;
    vdso::Verdef def = bad_hash.get<vdso::Verdef>(bad_hash.verdef + entry);
    def.vd_hash ^= 1;
    bad_hash.put(bad_hash.verdef + entry, def);
    Parsed p(bad_hash.bytes);
    ASSERT_TRUE(p.valid);
    EXPECT_EQ(p.version_index(native_version()), -1);
    EXPECT_EQ(p.find(callable(s)[0], native_version()), nullptr);

    // vd_ndx 0 is VER_NDX_LOCAL: it must not turn the check off.
    auto local = image;
    def = local.get<vdso::Verdef>(local.verdef + entry);
    def.vd_ndx = 0;
    local.put(local.verdef + entry, def);
    Parsed q(local.bytes);
    EXPECT_EQ(q.version_index(native_version()), -1);
    EXPECT_EQ(q.find(callable(s)[0], native_version()), nullptr);
}

// Go's vdso_linux.go: without versym (or without the verdefs it indexes,
// when Go drops versym) no version is checked and any symbol will do.
TEST_P(VdsoParser, WithoutVersionInformationAnyVersionMatches) {
    struct Case {
        bool versym, verdef;
    };
    for (Case c : {Case{false, false}, Case{true, false}, Case{false, true}}) {
        ImageSpec s = spec();
        s.with_versym = c.versym;
        s.with_verdef = c.verdef;
        BuiltImage image = build_image(s);
        Parsed p(image.bytes);
        ASSERT_TRUE(p.valid);
        EXPECT_FALSE(p.info.has_versym);
        EXPECT_EQ(p.version_index(native_version()), 0) << c.versym << c.verdef;
        for (const std::string& name : callable(s))
            for (const char* version : {native_version(), "LINUX_2.5", "NOPE", static_cast<const char*>(nullptr)})
                EXPECT_EQ(p.find(name, version), p.base + image.code_at.at(name))
                    << name << " " << (version ? version : "(none)") << " versym " << c.versym << " verdef "
                    << c.verdef;
    }
}

// Go's apply(): FUNC or NOTYPE (ppc64's vDSO), GLOBAL or WEAK, defined.
TEST_P(VdsoParser, IgnoresWhatGoIgnores) {
    ImageSpec s = spec();
    s.symbols = {
        {"f_local", STT_FUNC, STB_LOCAL},  // what a hidden definition becomes
        {"f_undef", STT_FUNC, STB_GLOBAL, SHN_UNDEF},
        {"f_object", STT_OBJECT, STB_GLOBAL},
        {"f_tls", STT_TLS, STB_GLOBAL},
        {"f_gnu_unique", STT_FUNC, 10},  // STB_GNU_UNIQUE
        {"f_notype", STT_NOTYPE, STB_GLOBAL},
        {"f_weak", STT_FUNC, STB_WEAK},
        // The same name twice: the walk must pass the local one and reach the other.
        {"f_twice", STT_FUNC, STB_LOCAL},
        {"f_twice", STT_FUNC, STB_GLOBAL},
    };
    BuiltImage image = build_image(s);
    Parsed p(image.bytes);
    ASSERT_TRUE(p.valid);
    for (const char* ignored : {"f_local", "f_undef", "f_object", "f_tls", "f_gnu_unique"}) {
        EXPECT_EQ(p.find(ignored, native_version()), nullptr) << ignored;
        EXPECT_EQ(p.find(ignored, nullptr), nullptr) << ignored;
    }
    for (const char* taken : {"f_notype", "f_weak", "f_twice"})
        EXPECT_EQ(p.find(taken, native_version()), p.base + image.code_at.at(taken)) << taken;
    // And in the vDSO-like image, the version's own absolute data symbol.
    BuiltImage like = build_image(spec());
    Parsed q(like.bytes);
    EXPECT_EQ(q.find(native_version(), nullptr), nullptr);
}

TEST_P(VdsoParser, UnalignedHeadersAndImage) {
    ImageSpec s = spec();
    s.phoff = 65;  // program headers at an odd offset
    BuiltImage image = build_image(s);
    for (size_t misalign : {size_t{0}, size_t{1}, size_t{3}, size_t{7}, size_t{13}}) {
        GuardedCopy copy(image.size() + 32);
        const unsigned char* base = copy.misaligned(image.bytes.data(), image.size(), misalign);
        ASSERT_EQ(reinterpret_cast<uintptr_t>(base) % 16, misalign);
        ElfImage info;
        ASSERT_TRUE(vdso::vdsoInitFromSysinfoEx(&info, base, image.size())) << misalign;
        for (const std::string& name : callable(s))
            EXPECT_EQ(vdso::lookup(&info, name.c_str(), native_version()), base + image.code_at.at(name))
                << name << " misaligned by " << misalign;
    }
}

// Every prefix of a valid image: no fault, nothing found past the end, and
// the whole image finds everything.
TEST_P(VdsoParser, EveryTruncation) {
    ImageSpec s = spec();
    BuiltImage image = build_image(s);
    const unsigned all = static_cast<unsigned>(callable(s).size());
    GuardedCopy copy(image.size());
    for (size_t n = 0; n <= image.size(); ++n) {
        const unsigned char* base = copy.at_end(image.bytes.data(), n);
        ElfImage info;
        bool valid = vdso::vdsoInitFromSysinfoEx(&info, base, n);
        unsigned found = 0;
        for (const std::string& name : callable(s)) {
            const auto* at = static_cast<const unsigned char*>(vdso::lookup(&info, name.c_str(), native_version()));
            if (at == nullptr) continue;
            ++found;
            ASSERT_GE(at, base) << n;
            ASSERT_LT(at, base + n) << name << " found past the end of a " << n << "-byte prefix";
            ASSERT_EQ(at, base + image.code_at.at(name)) << n;
        }
        // No table fits before the dynamic section ends.
        if (n < image.dynamic) {
            ASSERT_FALSE(valid) << n;
        }
        if (n == image.size()) {
            EXPECT_EQ(found, all);
        }
        // Code comes last: a symbol whose code is cut off is not found.
        if (n <= image.text) {
            ASSERT_EQ(found, 0u) << n;
        }
    }
}

// Each single byte of the image set to 0x00, 0x7f, 0x80 and 0xff: whatever the
// parser makes of it, it stays inside.
TEST_P(VdsoParser, EverySingleByteDamage) {
    ImageSpec s = spec();
    BuiltImage image = build_image(s);
    GuardedCopy copy(image.size());
    for (size_t at = 0; at < image.text; ++at) {
        for (unsigned char value : {0x00, 0x7f, 0x80, 0xff}) {
            std::vector<unsigned char> bytes = image.bytes;
            bytes[at] = value;
            const unsigned char* base = copy.at_end(bytes.data(), bytes.size());
            vdso::fuzz::Outcome outcome = vdso::fuzz::exercise(base, bytes.size());
            ASSERT_EQ(outcome.escaped, 0u) << "byte " << at << " = " << int(value);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Hashes, VdsoParser, testing::Values(HashStyle::gnu, HashStyle::sysv, HashStyle::both),
                         hash_name);

// --- both tables: GNU's is the one read, as in Go

TEST(VdsoParserBothHashes, GnuTableIsTheOneUsed) {
    ImageSpec s = vdso_like_spec();
    BuiltImage image = build_image(s);
    const std::string clock = callable(s)[0];

    auto no_sysv = image;  // empty SysV buckets: GNU still finds everything
    for (uint32_t b = 0; b < s.sysv_nbucket; ++b) no_sysv.put<uint32_t>(no_sysv.hash + 8 + 4 * b, 0);
    Parsed p(no_sysv.bytes);
    ASSERT_TRUE(p.valid);
    EXPECT_TRUE(p.info.is_gnu_hash);
    EXPECT_EQ(p.find(clock, native_version()), p.base + image.code_at.at(clock));

    auto no_gnu = image;  // empty GNU buckets: nothing, whatever SysV says
    for (uint32_t b = 0; b < s.gnu_nbucket; ++b)
        no_gnu.put<uint32_t>(no_gnu.gnu_hash + 16 + 8 * s.gnu_bloom_words + 4 * b, 0);
    Parsed q(no_gnu.bytes);
    ASSERT_TRUE(q.valid);
    EXPECT_EQ(q.find(clock, native_version()), nullptr);
}

// --- malformed images: not found, never a fault

// Every DT_* pointer the parser follows, pointed outside the image.
TEST(VdsoParserMalformed, TablePointersOutOfRange) {
    ImageSpec s = vdso_like_spec();
    BuiltImage image = build_image(s);
    const uint64_t vaddr = s.load_vaddr;
    const std::string clock = callable(s)[0];
    for (int64_t tag : {int64_t{DT_STRTAB}, int64_t{DT_SYMTAB}, int64_t{DT_HASH}, vdso::kDtGnuHash, int64_t{DT_VERSYM},
                        int64_t{DT_VERDEF}}) {
        for (uint64_t bad : {vaddr + image.size(), vaddr + image.size() + 1, vaddr - 1, uint64_t{0}, ~uint64_t{0},
                             vaddr + (uint64_t{1} << 63)}) {
            BuiltImage broken = image;
            broken.set_dyn(tag, bad);
            Parsed p(broken.bytes);
            EXPECT_EQ(p.find(clock, native_version()), nullptr) << std::hex << tag << " = " << bad;
            EXPECT_EQ(p.find(clock, nullptr), nullptr) << std::hex << tag << " = " << bad;
        }
    }
}

TEST(VdsoParserMalformed, HeaderFieldsOutOfRange) {
    ImageSpec s = vdso_like_spec();
    BuiltImage image = build_image(s);
    const std::string clock = callable(s)[0];
    auto expect_refused = [&](BuiltImage broken, const char* what) {
        Parsed p(broken.bytes);
        EXPECT_FALSE(p.valid) << what;
        EXPECT_EQ(p.find(clock, nullptr), nullptr) << what;
    };
    auto with_header = [&](auto change) {
        BuiltImage b = image;
        Elf64_Ehdr h = b.get<Elf64_Ehdr>(0);
        change(h);
        b.put(0, h);
        return b;
    };
    auto with_phdr = [&](unsigned i, auto change) {
        BuiltImage b = image;
        Elf64_Phdr ph = b.get<Elf64_Phdr>(b.phdrs + i * sizeof(Elf64_Phdr));
        change(ph);
        b.put(b.phdrs + i * sizeof(Elf64_Phdr), ph);
        return b;
    };
    expect_refused(with_header([&](Elf64_Ehdr& h) { h.e_phoff = image.size(); }), "e_phoff at the end");
    expect_refused(with_header([&](Elf64_Ehdr& h) { h.e_phoff = image.size() - 60; }), "e_phoff straddles");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_phoff = ~uint64_t{0} - 8; }), "e_phoff wraps");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_phentsize = 0xffff; }), "e_phentsize huge");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_phentsize = 8; }), "e_phentsize short");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_phnum = 0xffff; }), "e_phnum huge");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_phnum = 0; }), "no program headers");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_ident[EI_MAG1] = 'e'; }), "bad magic");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_ident[EI_CLASS] = ELFCLASS32; }), "ELF32");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_ident[EI_DATA] = ELFDATA2MSB; }), "big-endian");
    expect_refused(with_header([](Elf64_Ehdr& h) { h.e_type = ET_EXEC; }), "not ET_DYN");
    expect_refused(with_phdr(0, [](Elf64_Phdr& ph) { ph.p_type = PT_NOTE; }), "no PT_LOAD");
    expect_refused(with_phdr(1, [](Elf64_Phdr& ph) { ph.p_type = PT_NOTE; }), "no PT_DYNAMIC");
    expect_refused(with_phdr(1, [&](Elf64_Phdr& ph) { ph.p_offset = image.size(); }), "PT_DYNAMIC at the end");
    expect_refused(with_phdr(1, [](Elf64_Phdr& ph) { ph.p_offset = ~uint64_t{0}; }), "PT_DYNAMIC far");
    expect_refused(with_phdr(1, [](Elf64_Phdr& ph) { ph.p_filesz = 8; }), "PT_DYNAMIC holds no entry");
    // A load bias that sends every pointer outside the image.
    expect_refused(with_phdr(0, [](Elf64_Phdr& ph) { ph.p_offset = ~uint64_t{0} - 4096; }), "p_offset far");
    expect_refused(with_phdr(0, [](Elf64_Phdr& ph) { ph.p_vaddr = 0; }), "p_vaddr 0");

    // A dynamic segment that claims more than the image holds is read up to
    // its DT_NULL, or the image's end, whichever comes first.
    BuiltImage long_dynamic = with_phdr(1, [](Elf64_Phdr& ph) { ph.p_filesz = ~uint64_t{0}; });
    Parsed p(long_dynamic.bytes);
    EXPECT_TRUE(p.valid);
    EXPECT_EQ(p.find(clock, native_version()), p.base + image.code_at.at(clock));
    BuiltImage no_null = long_dynamic;  // and without DT_NULL, the end of the image stops it
    no_null.bytes.resize(no_null.dyn_entry(DT_NULL));
    Parsed q(no_null.bytes);
    EXPECT_EQ(found_inside(q, s, nullptr), 0u);  // the code was cut off with the rest
}

TEST(VdsoParserMalformed, WrongMachine) {
    const Elf64_Half other = vdso::kNativeMachine == EM_X86_64 ? EM_AARCH64 : EM_X86_64;
    BuiltImage image = build_image(vdso_like_spec(other));
    Parsed p(image.bytes);
    EXPECT_FALSE(p.valid);
    Parsed q(image.bytes, other);  // the parser itself reads either
    EXPECT_TRUE(q.valid);
}

TEST(VdsoParserMalformed, SymbolFieldsOutOfRange) {
    ImageSpec s = vdso_like_spec();
    BuiltImage image = build_image(s);
    const std::string clock = callable(s)[0];
    const uint64_t sym_at = image.symbol_entry(clock);
    auto with_symbol = [&](auto change) {
        BuiltImage b = image;
        Elf64_Sym sym = b.get<Elf64_Sym>(sym_at);
        change(sym);
        b.put(sym_at, sym);
        return b;
    };
    struct Case {
        const char* what;
        BuiltImage image;
    };
    Case cases[] = {
        {"st_name past the table", with_symbol([&](Elf64_Sym& y) { y.st_name = image.size(); })},
        {"st_name huge", with_symbol([](Elf64_Sym& y) { y.st_name = 0xffffffff; })},
        {"st_value past the end", with_symbol([&](Elf64_Sym& y) { y.st_value = s.load_vaddr + image.size(); })},
        {"st_value below the load address", with_symbol([&](Elf64_Sym& y) { y.st_value = s.load_vaddr - 16; })},
        {"st_value huge", with_symbol([](Elf64_Sym& y) { y.st_value = ~uint64_t{0}; })},
    };
    for (Case& c : cases) {
        Parsed p(c.image.bytes);
        EXPECT_EQ(p.find(clock, native_version()), nullptr) << c.what;
        EXPECT_EQ(p.find(clock, nullptr), nullptr) << c.what;
        EXPECT_EQ(found_inside(p, s, native_version()), callable(s).size() - 1) << c.what;
    }
}

// A name running to the end of its table, or of the image, with no NUL.
TEST(VdsoParserMalformed, StringsWithoutTerminator) {
    ImageSpec s = vdso_like_spec();
    BuiltImage image = build_image(s);
    const std::string clock = callable(s)[0];
    const uint64_t sym_at = image.symbol_entry(clock);
    const uint32_t name_at = image.get<Elf64_Sym>(sym_at).st_name;

    // DT_STRSZ ends the table inside the name, or just before its NUL.
    // (Unversioned lookups: the version names come later in the table.)
    for (uint64_t cut : {uint64_t{name_at + 3}, uint64_t{name_at + clock.size()}}) {
        BuiltImage b = image;
        b.set_dyn(DT_STRSZ, cut);
        Parsed p(b.bytes);
        ASSERT_TRUE(p.valid);
        EXPECT_EQ(p.find(clock, nullptr), nullptr) << cut;
    }
    // One byte more and the NUL is inside: found.
    BuiltImage b = image;
    b.set_dyn(DT_STRSZ, name_at + clock.size() + 1);
    EXPECT_NE(Parsed(b.bytes).find(clock, nullptr), nullptr);
    EXPECT_EQ(Parsed(b.bytes).find(clock, native_version()), nullptr);  // its version's name is cut off

    // Without DT_STRSZ the image's end bounds the table: a name made of the
    // image's last bytes, with no NUL after them, must not match its prefix.
    BuiltImage tail = image;
    tail.set_dyn(DT_STRSZ, 0);
    Elf64_Dyn d = tail.get<Elf64_Dyn>(tail.dyn_entry(DT_STRSZ));
    d.d_tag = DT_SYMENT;  // no longer a DT_STRSZ
    tail.put(tail.dyn_entry(DT_STRSZ), d);
    const std::string prefix = clock.substr(0, 6);
    std::memcpy(tail.bytes.data() + tail.size() - prefix.size(), prefix.data(), prefix.size());
    Elf64_Sym sym = tail.get<Elf64_Sym>(sym_at);
    sym.st_name = static_cast<uint32_t>(tail.size() - prefix.size() - tail.dynstr);
    tail.put(sym_at, sym);
    Parsed p(tail.bytes);
    ASSERT_TRUE(p.valid);
    EXPECT_EQ(p.find(prefix, nullptr), nullptr);
    EXPECT_EQ(p.find(clock, nullptr), nullptr);

    // The version's name likewise.
    BuiltImage version_cut = image;
    const uint64_t entry = sizeof(vdso::Verdef) + sizeof(vdso::Verdaux);
    vdso::Verdaux aux = version_cut.get<vdso::Verdaux>(version_cut.verdef + entry + sizeof(vdso::Verdef));
    version_cut.set_dyn(DT_STRSZ, aux.vda_name + 2);
    Parsed v(version_cut.bytes);
    EXPECT_EQ(v.version_index(native_version()), -1);
    EXPECT_EQ(v.find(clock, native_version()), nullptr);
}

TEST(VdsoParserMalformed, VersionTablesOutOfRange) {
    ImageSpec s = vdso_like_spec();
    BuiltImage image = build_image(s);
    const std::string clock = callable(s)[0];
    const uint64_t entry = sizeof(vdso::Verdef) + sizeof(vdso::Verdaux);
    auto with_verdef = [&](unsigned i, auto change) {
        BuiltImage b = image;
        vdso::Verdef def = b.get<vdso::Verdef>(b.verdef + i * entry);
        change(def);
        b.put(b.verdef + i * entry, def);
        return b;
    };
    struct Case {
        const char* what;
        BuiltImage image;
    };
    Case cases[] = {
        {"vd_aux past the end", with_verdef(1, [](vdso::Verdef& d) { d.vd_aux = 0xfffffff0; })},
        {"vd_next past the end", with_verdef(0, [](vdso::Verdef& d) { d.vd_next = 0xfffffff0; })},
        {"vd_next short", with_verdef(0, [](vdso::Verdef& d) { d.vd_next = 4; })},
        {"vd_next into the last bytes",
         with_verdef(0, [&](vdso::Verdef& d) { d.vd_next = static_cast<uint32_t>(image.size() - image.verdef - 10); })},
    };
    for (Case& c : cases) {
        Parsed p(c.image.bytes);
        EXPECT_EQ(p.version_index(native_version()), -1) << c.what;
        EXPECT_EQ(p.find(clock, native_version()), nullptr) << c.what;
        found_inside(p, s, native_version());
    }
    // vda_name past the string table.
    BuiltImage b = image;
    b.put(b.verdef + entry + sizeof(vdso::Verdef), vdso::Verdaux{0xfffffff0, 0});
    Parsed p(b.bytes);
    EXPECT_EQ(p.version_index(native_version()), -1);

    // A versym table whose entries run off the image: the symbols past its
    // end cannot prove their version.
    BuiltImage versym_tail = image;
    versym_tail.set_dyn(DT_VERSYM, s.load_vaddr + image.size() - 3);
    Parsed q(versym_tail.bytes);
    ASSERT_TRUE(q.valid);
    EXPECT_EQ(found_inside(q, s, native_version()), 0u);
    EXPECT_EQ(found_inside(q, s, nullptr), callable(s).size());  // unversioned needs no versym
}

TEST(VdsoParserMalformed, HugeCounts) {
    for (HashStyle style : {HashStyle::gnu, HashStyle::sysv}) {
        ImageSpec s = vdso_like_spec();
        s.hash = style;
        BuiltImage image = build_image(s);
        std::vector<std::pair<uint64_t, uint32_t>> patches;  // (offset, value)
        if (style == HashStyle::sysv) {
            for (uint32_t v : {0u, 0x40000000u, 0x7fffffffu, 0xffffffffu}) {
                patches.push_back({image.hash, v});      // nbucket
                patches.push_back({image.hash + 4, v});  // nchain
            }
        } else {
            for (uint32_t v : {0u, 0x20000000u, 0x7fffffffu, 0xffffffffu}) {
                patches.push_back({image.gnu_hash, v});      // nbucket
                patches.push_back({image.gnu_hash + 4, v});  // symoffset
                patches.push_back({image.gnu_hash + 8, v});  // bloom words
            }
        }
        for (auto [at, value] : patches) {
            BuiltImage b = image;
            b.put<uint32_t>(at, value);
            Parsed p(b.bytes);
            found_inside(p, s, native_version());
            found_inside(p, s, nullptr);
            // Counts that cannot fit in the image refuse it outright.
            if (value >= 0x20000000u && at != image.gnu_hash + 4) {
                EXPECT_FALSE(p.valid) << std::hex << at << " = " << value;
            }
            // A symoffset past every symbol leaves nothing to find.
            if (at == image.gnu_hash + 4 && value > 0x1000) {
                EXPECT_EQ(found_inside(p, s, nullptr), 0u) << value;
            }
        }
        // Bucket entries and SysV chain links pointing far away.
        const uint64_t buckets = style == HashStyle::sysv ? image.hash + 8
                                                          : image.gnu_hash + 16 + 8 * s.gnu_bloom_words;
        const uint32_t nbucket = style == HashStyle::sysv ? s.sysv_nbucket : s.gnu_nbucket;
        for (uint32_t value : {0x7fffffffu, 0xffffffffu, static_cast<uint32_t>(s.symbols.size() + 1)}) {
            BuiltImage b = image;
            for (uint32_t i = 0; i < nbucket; ++i) b.put<uint32_t>(buckets + 4 * i, value);
            if (style == HashStyle::sysv)
                for (uint32_t i = 0; i <= s.symbols.size(); ++i) b.put<uint32_t>(buckets + 4 * (nbucket + i), value);
            Parsed p(b.bytes);
            EXPECT_TRUE(p.valid);
            EXPECT_EQ(found_inside(p, s, nullptr), 0u) << value;
        }
    }
}

// Chains that never end: a GNU chain whose last word lacks the end bit, SysV
// links that loop. Lookups of names that are not there must still return.
TEST(VdsoParserMalformed, EndlessChains) {
    ImageSpec s = vdso_like_spec();
    s.hash = HashStyle::gnu;
    s.gnu_nbucket = 1;
    BuiltImage gnu = build_image(s);
    const uint64_t chain = gnu.gnu_hash + 16 + 8 * s.gnu_bloom_words + 4 * s.gnu_nbucket;
    for (uint32_t i = 0; i < s.symbols.size(); ++i)
        gnu.put<uint32_t>(chain + 4 * i, gnu.get<uint32_t>(chain + 4 * i) & ~1u);
    {
        Parsed p(gnu.bytes);
        ASSERT_TRUE(p.valid);
        EXPECT_EQ(p.find("__vdso_nothing", nullptr), nullptr);
        // Those it meets before running off are still found.
        for (const std::string& name : callable(s))
            EXPECT_EQ(p.find(name, native_version()), p.base + gnu.code_at.at(name)) << name;
    }
    // Every chain word the hash of the name asked for, without end bit: each
    // symbol is a candidate, none is it, and the walk runs on past the chain.
    BuiltImage same = gnu;
    for (uint32_t i = 0; i < s.symbols.size(); ++i)
        same.put<uint32_t>(chain + 4 * i, vdso::gnu_hash("__vdso_nothing") & ~1u);
    EXPECT_EQ(Parsed(same.bytes).find("__vdso_nothing", nullptr), nullptr);

    s.hash = HashStyle::sysv;
    s.sysv_nbucket = 1;
    BuiltImage sysv = build_image(s);
    const uint64_t links = sysv.hash + 8 + 4 * s.sysv_nbucket;
    const uint32_t nsyms = static_cast<uint32_t>(s.symbols.size() + 1);
    for (auto link : {+[](uint32_t i, uint32_t) { return i; },                        // each to itself
                      +[](uint32_t i, uint32_t n) { return i + 1 < n ? i + 1 : 1; },  // a ring
                      +[](uint32_t, uint32_t) { return 1u; }}) {                      // all to the first
        BuiltImage b = sysv;
        for (uint32_t i = 1; i < nsyms; ++i) b.put<uint32_t>(links + 4 * i, link(i, nsyms));
        Parsed p(b.bytes);
        ASSERT_TRUE(p.valid);
        EXPECT_EQ(p.find("__vdso_nothing", nullptr), nullptr);
    }
}

TEST(VdsoParserHeaders, ImageSizeFromHeaders) {
    BuiltImage image = build_image(vdso_like_spec());
    GuardedCopy copy(image.size());
    const unsigned char* base = copy.at_end(image.bytes.data(), image.size());
    EXPECT_EQ(vdso::image_size_from_headers(base, image.size()), image.size());
    // Program headers must lie within what is known to be readable.
    EXPECT_EQ(vdso::image_size_from_headers(base, image.phdrs + sizeof(Elf64_Phdr)), 0u);
    EXPECT_EQ(vdso::image_size_from_headers(base, 10), 0u);

    auto with_header = [&](auto change) {
        BuiltImage b = image;
        Elf64_Ehdr h = b.get<Elf64_Ehdr>(0);
        change(h);
        b.put(0, h);
        return vdso::image_size_from_headers(copy.at_end(b.bytes.data(), b.size()), b.size());
    };
    // Section headers past the segments extend the image.
    EXPECT_EQ(with_header([&](Elf64_Ehdr& h) {
                  h.e_shoff = image.size() + 100;
                  h.e_shnum = 3;
                  h.e_shentsize = sizeof(Elf64_Shdr);
              }),
              image.size() + 100 + 3 * sizeof(Elf64_Shdr));
    EXPECT_EQ(with_header([](Elf64_Ehdr& h) {
                  h.e_shoff = ~uint64_t{0} - 64;
                  h.e_shnum = 2;
                  h.e_shentsize = 64;
              }),
              0u);
    EXPECT_EQ(with_header([](Elf64_Ehdr& h) { h.e_machine = 0; }), 0u);
}

// --- the kernel's own image

struct RealImage {
    const unsigned char* address;
    size_t size;
};

// The live vDSO, or an assertion that there is none where none is expected.
bool real_image(RealImage* out) {
    vdso::ImageInfo info = vdso::image();
    if (!vdso_expected()) {
        EXPECT_FALSE(info.present) << "qemu-user 7.2 maps no vDSO; has the runner changed?";
        return false;
    }
    EXPECT_TRUE(info.present);
    EXPECT_TRUE(info.valid);
    if (!info.present || !info.valid) return false;
    out->address = static_cast<const unsigned char*>(info.address);
    out->size = info.size;
    return true;
}

const char* real_clock_name() {
    return vdso::kNativeMachine == EM_AARCH64 ? "__kernel_clock_gettime" : "__vdso_clock_gettime";
}

TEST(VdsoParserRealImage, ResolvesClockGettime) {
    RealImage real;
    if (!real_image(&real)) return;
    const void* live = vdso::address(vdso::Function::clock_gettime);
    ASSERT_NE(live, nullptr);
    const size_t offset = static_cast<const unsigned char*>(live) - real.address;
    ASSERT_LT(offset, real.size);

    // In place, as the resolver parses it, and from a guarded copy.
    ElfImage in_place;
    ASSERT_TRUE(vdso::vdsoInitFromSysinfoEx(&in_place, real.address, real.size));
    EXPECT_EQ(vdso::lookup(&in_place, real_clock_name(), native_version()), live);
    EXPECT_EQ(vdso::image_size_from_headers(real.address, 4096), real.size);

    Parsed p(real.address, real.size);
    ASSERT_TRUE(p.valid);
    EXPECT_GT(p.version_index(native_version()), 0);
    EXPECT_EQ(p.find(real_clock_name(), native_version()), p.base + offset);
    EXPECT_EQ(p.find(real_clock_name(), nullptr), p.base + offset);
    EXPECT_EQ(p.find(real_clock_name(), "LINUX_2.5"), nullptr);
    EXPECT_EQ(p.version_index("LINUX_2.5"), -1);
    EXPECT_EQ(p.find("__vdso_nothing", nullptr), nullptr);
    const char* other_arch = vdso::kNativeMachine == EM_AARCH64 ? "__vdso_clock_gettime" : "__kernel_clock_gettime";
    EXPECT_EQ(p.find(other_arch, nullptr), nullptr);
    for (const vdso::Symbol& sym : vdso::symbols())
        EXPECT_EQ(p.find(sym.name, sym.version),
                  sym.address ? p.base + (static_cast<const unsigned char*>(sym.address) - real.address) : nullptr)
            << sym.name;

    // Misaligned by one byte, all the same.
    GuardedCopy copy(real.size + 32);
    const unsigned char* odd = copy.misaligned(real.address, real.size, 1);
    ElfImage info;
    ASSERT_TRUE(vdso::vdsoInitFromSysinfoEx(&info, odd, real.size));
    EXPECT_EQ(vdso::lookup(&info, real_clock_name(), native_version()), odd + offset);
}

TEST(VdsoParserRealImage, EveryTruncation) {
    RealImage real;
    if (!real_image(&real)) return;
    GuardedCopy copy(real.size);
    unsigned whole = 0;
    for (size_t n = 0; n <= real.size; ++n) {
        vdso::fuzz::Outcome outcome = vdso::fuzz::exercise(copy.at_end(real.address, n), n);
        ASSERT_EQ(outcome.escaped, 0u) << n;
        if (n == real.size) whole = outcome.found;
    }
    EXPECT_GT(whole, 0u);
}

TEST(VdsoParserRealImage, DamagedCopies) {
    RealImage real;
    if (!real_image(&real)) return;
    std::vector<unsigned char> bytes(real.address, real.address + real.size);
    Elf64_Ehdr h;
    std::memcpy(&h, bytes.data(), sizeof h);
    Elf64_Phdr dynamic{};
    for (unsigned i = 0; i < h.e_phnum; ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, bytes.data() + h.e_phoff + i * h.e_phentsize, sizeof ph);
        if (ph.p_type == PT_DYNAMIC) dynamic = ph;
    }
    ASSERT_EQ(dynamic.p_type, static_cast<Elf64_Word>(PT_DYNAMIC));

    // Each table pointer the parser follows, sent outside the image.
    unsigned damaged = 0;
    for (uint64_t at = dynamic.p_offset; at + sizeof(Elf64_Dyn) <= dynamic.p_offset + dynamic.p_filesz;
         at += sizeof(Elf64_Dyn)) {
        Elf64_Dyn d;
        std::memcpy(&d, bytes.data() + at, sizeof d);
        if (d.d_tag == DT_NULL) break;
        if (d.d_tag != DT_STRTAB && d.d_tag != DT_SYMTAB && d.d_tag != DT_HASH && d.d_tag != vdso::kDtGnuHash &&
            d.d_tag != DT_VERSYM && d.d_tag != DT_VERDEF)
            continue;
        for (uint64_t bad : {uint64_t{real.size}, ~uint64_t{0}, uint64_t{1} << 63}) {
            std::vector<unsigned char> broken = bytes;
            Elf64_Dyn e = d;
            e.d_un.d_ptr = bad;
            std::memcpy(broken.data() + at, &e, sizeof e);
            Parsed p(broken);
            EXPECT_EQ(p.find(real_clock_name(), native_version()), nullptr) << std::hex << d.d_tag;
            ++damaged;
        }
    }
    EXPECT_GE(damaged, 3u * 3);  // strtab, symtab and a hash table at least

    // Every byte before the code, one at a time.
    GuardedCopy copy(real.size);
    const size_t tables_end = std::min<size_t>(real.size, 0x800);
    for (size_t at = 0; at < tables_end; ++at) {
        for (unsigned char value : {0x00, 0xff}) {
            std::vector<unsigned char> broken = bytes;
            broken[at] = value;
            vdso::fuzz::Outcome outcome = vdso::fuzz::exercise(copy.at_end(broken.data(), broken.size()),
                                                               broken.size());
            ASSERT_EQ(outcome.escaped, 0u) << at;
        }
    }
}

// --- what the fuzzer found, and what it starts from

std::vector<std::filesystem::path> files_in(const std::string& dir) {
    std::vector<std::filesystem::path> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error))
        if (entry.is_regular_file()) files.push_back(entry.path());
    EXPECT_FALSE(error) << dir << ": " << error.message();
    return files;
}

std::vector<unsigned char> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(VdsoFuzzRegressions, ReplayEveryFile) {
    auto files = files_in(RAWRT_TEST_SOURCE_DIR "/fuzz/regressions");
    EXPECT_GE(files.size(), 1u);
    for (const auto& path : files) {
        std::vector<unsigned char> bytes = read_file(path);
        GuardedCopy copy(bytes.size());
        vdso::fuzz::Outcome outcome = vdso::fuzz::exercise(copy.at_end(bytes.data(), bytes.size()), bytes.size());
        EXPECT_EQ(outcome.escaped, 0u) << path;
    }
}

// The seeds are worth starting from only if they are images the parser takes.
TEST(VdsoFuzzRegressions, EverySeedResolves) {
    auto files = files_in(RAWRT_TEST_SOURCE_DIR "/fuzz/corpus");
    EXPECT_GE(files.size(), 3u);
    for (const auto& path : files) {
        std::vector<unsigned char> bytes = read_file(path);
        GuardedCopy copy(bytes.size());
        vdso::fuzz::Outcome outcome = vdso::fuzz::exercise(copy.at_end(bytes.data(), bytes.size()), bytes.size());
        EXPECT_TRUE(outcome.parsed) << path;
        EXPECT_GT(outcome.found, 0u) << path;
        EXPECT_EQ(outcome.escaped, 0u) << path;
    }
}

}  // namespace
}  // namespace rawrt::test
