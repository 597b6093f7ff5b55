// Writes the fuzzer's seed images (fuzz/corpus/) and the crafted hostile
// inputs that start fuzz/regressions/, with the builder the parser tests use.
//
//   make fuzz-seeds        (runs: make_seeds fuzz/corpus fuzz/regressions)
//
// Seeds are small valid images of both architectures in every table style,
// so the fuzzer starts from inputs that reach the symbol lookups. The crafted
// files are each one known way to hurt a trusting parser; the test binary
// replays them with everything the fuzzer ever found.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/vdso_image_builder.hpp"

namespace {

using namespace rawrt::test;

void write(const std::string& path, const std::vector<unsigned char>& bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
}

ImageSpec spec(Elf64_Half machine, HashStyle hash) {
    ImageSpec s = vdso_like_spec(machine);
    s.hash = hash;
    return s;
}

uint64_t gnu_chain(const BuiltImage& b, const ImageSpec& s) {
    return b.gnu_hash + 16 + 8ull * s.gnu_bloom_words + 4ull * s.gnu_nbucket;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR REGRESSIONS_DIR\n", argv[0]);
        return 2;
    }
    const std::string corpus = argv[1], regressions = argv[2];

    write(corpus + "/x86_64-both-hashes", build_image(spec(EM_X86_64, HashStyle::both)).bytes);
    write(corpus + "/x86_64-gnu-hash", build_image(spec(EM_X86_64, HashStyle::gnu)).bytes);
    write(corpus + "/x86_64-sysv-hash", build_image(spec(EM_X86_64, HashStyle::sysv)).bytes);
    write(corpus + "/aarch64-gnu-hash", build_image(spec(EM_AARCH64, HashStyle::gnu)).bytes);
    write(corpus + "/aarch64-sysv-hash", build_image(spec(EM_AARCH64, HashStyle::sysv)).bytes);
    {
        ImageSpec s = spec(EM_X86_64, HashStyle::both);
        s.with_versym = s.with_verdef = false;
        write(corpus + "/x86_64-unversioned", build_image(s).bytes);
    }
    {
        ImageSpec s = spec(EM_X86_64, HashStyle::both);
        s.sysv_nbucket = s.gnu_nbucket = 1;
        s.phoff = 67;
        write(corpus + "/x86_64-one-bucket-odd-phoff", build_image(s).bytes);
    }

    // A GNU chain with no end bit: the walk must stop at the image's end.
    {
        ImageSpec s = spec(EM_X86_64, HashStyle::gnu);
        s.gnu_nbucket = 1;
        BuiltImage b = build_image(s);
        for (uint64_t at = gnu_chain(b, s); at < gnu_chain(b, s) + 4 * s.symbols.size(); at += 4)
            b.put<uint32_t>(at, b.get<uint32_t>(at) & ~1u);
        write(regressions + "/crafted-gnu-chain-without-end", b.bytes);
    }
    // SysV links in a ring.
    {
        ImageSpec s = spec(EM_X86_64, HashStyle::sysv);
        s.sysv_nbucket = 1;
        BuiltImage b = build_image(s);
        const uint32_t nsyms = static_cast<uint32_t>(s.symbols.size() + 1);
        for (uint32_t i = 1; i < nsyms; ++i) b.put<uint32_t>(b.hash + 12 + 4 * i, i + 1 < nsyms ? i + 1 : 1);
        write(regressions + "/crafted-sysv-chain-ring", b.bytes);
    }
    // Counts whose products wrap 32 bits (and would, times 8, reach past 4 GiB).
    {
        ImageSpec s = spec(EM_AARCH64, HashStyle::gnu);
        BuiltImage b = build_image(s);
        b.put<uint32_t>(b.gnu_hash, 0x40000000);      // nbucket
        b.put<uint32_t>(b.gnu_hash + 8, 0xe0000000);  // bloom words
        write(regressions + "/crafted-gnu-wrapping-counts", b.bytes);
    }
    {
        ImageSpec s = spec(EM_X86_64, HashStyle::sysv);
        BuiltImage b = build_image(s);
        b.put<uint32_t>(b.hash + 4, 0xffffffff);  // nchain
        write(regressions + "/crafted-sysv-huge-nchain", b.bytes);
    }
    // The clock's name made of the image's last bytes, with no NUL and no DT_STRSZ.
    {
        ImageSpec s = spec(EM_X86_64, HashStyle::both);
        BuiltImage b = build_image(s);
        Elf64_Dyn d = b.get<Elf64_Dyn>(b.dyn_entry(DT_STRSZ));
        d.d_tag = DT_SYMENT;
        b.put(b.dyn_entry(DT_STRSZ), d);
        const std::string name = "__vdso_clock_gettime";
        std::memcpy(b.bytes.data() + b.size() - name.size(), name.data(), name.size());
        const uint64_t sym_at = b.symbol_entry(name);
        Elf64_Sym sym = b.get<Elf64_Sym>(sym_at);
        sym.st_name = static_cast<uint32_t>(b.size() - name.size() - b.dynstr);
        b.put(sym_at, sym);
        write(regressions + "/crafted-name-without-nul", b.bytes);
    }
    // A verdef chain that steps into the image's last bytes, and a versym
    // table that starts three bytes before the end.
    {
        ImageSpec s = spec(EM_X86_64, HashStyle::gnu);
        BuiltImage b = build_image(s);
        rawrt::vdso::Verdef def = b.get<rawrt::vdso::Verdef>(b.verdef);
        def.vd_next = static_cast<uint32_t>(b.size() - b.verdef - 10);
        b.put(b.verdef, def);
        b.set_dyn(DT_VERSYM, s.load_vaddr + b.size() - 3);
        write(regressions + "/crafted-version-tables-at-the-end", b.bytes);
    }
    // Program headers straddling the end, at an odd offset.
    {
        BuiltImage b = build_image(spec(EM_X86_64, HashStyle::both));
        Elf64_Ehdr h = b.get<Elf64_Ehdr>(0);
        h.e_phoff = b.size() - 61;
        b.put(0, h);
        write(regressions + "/crafted-phdrs-straddle-the-end", b.bytes);
    }
    return 0;
}
