/*
 * link.c - the compiled tier's own linker and loader (x86-64): the ELF
 * relocatable object LLVM emits for a unit (unit.c) becomes, once, when it
 * is compiled, a position-independent image (wf_jit_image_link); that
 * image is what the code cache keeps (cache.c), and loading it
 * (wf_jit_image_place) maps it and writes a handful of absolute words:
 * no LLVM, no link graph, no lookup of the unit's own symbols by name.
 *
 * Why: with ORC/JITLink a cache hit of the 75 units of a 12 MB
 * componentize-js component cost about 1.4 s of CPU (link graphs, 135,000
 * relocations applied again in every process, 12,000 frame descriptions
 * registered); here it is a few mappings and checksums.
 *
 * The image, offsets from its base, each region page-aligned:
 *   text    RX  the object's executable sections, then one stub per
 *               external function called (jmp *slot(%rip));
 *   rodata  R   read-only sections whose relocations are all relative;
 *   relro   RW, then R once written: sections with absolute relocations
 *               (the unit's table of function addresses) and the slots of
 *               the symbols reached through the GOT or a stub;
 *   data    RW  writable sections (none in practice).
 * Relative relocations are applied at link time: the layout is fixed, so
 * text and rodata are never written at load and can be mapped straight
 * from the cache file (shared with every process through the page cache).
 * What depends on where the image lands is a list of absolute words (an
 * offset in relro or data, a symbol: the image's base or an external
 * symbol, an addend), written at load. External symbols are resolved from
 * a fixed table: the helpers of rt.c and the few C library functions LLVM
 * may call (and _setjmp, the catch point of a try_table: translate.c);
 * anything else fails the link (the unit stays interpreted).
 * .eh_frame is dropped: traps leave compiled code by siglongjmp, nothing
 * unwinds through it.
 *
 * The descriptor (little-endian): u32 text_end, ro_end, relro_end, size,
 * table (offset of the unit's table); u32 nsyms, each u16 length + name;
 * u32 nwords, each u32 offset, u32 symbol (WF_JIT_BASE: the image's base),
 * i64 addend. wf_jit_image_place checks it all against the image before
 * writing anything. The table is in relro when a function of the unit
 * compiled; when none did (each stays interpreted) it holds only NULLs,
 * has no absolute word, and LLVM puts it in rodata or bss: any region.
 */
#include <elf.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/buf.h"
#include "base/vec.h"
#include "wasm/jit/jit_int.h"

#define PAGE 4096u
#define BASE_SYM 0xFFFFFFFFu
#define STUB_LEN 8u

/* ---- external symbols --------------------------------------------------- */

typedef struct ext_sym {
    const char *name;
    void *addr;
} ext_sym;

static const ext_sym k_externals[] = {
#define WF_X_(n, sig) { #n, (void *)n },
    WF_JIT_RT_HELPERS(WF_X_)
#undef WF_X_
    /* what LLVM may lower an intrinsic to */
    { "memcpy", (void *)memcpy }, { "memmove", (void *)memmove }, { "memset", (void *)memset },
    { "ceil", (void *)ceil }, { "ceilf", (void *)ceilf }, { "floor", (void *)floor },
    { "floorf", (void *)floorf }, { "trunc", (void *)trunc }, { "truncf", (void *)truncf },
    { "nearbyint", (void *)nearbyint }, { "nearbyintf", (void *)nearbyintf },
    { "rint", (void *)rint }, { "rintf", (void *)rintf }, { "fmin", (void *)fmin },
    { "fminf", (void *)fminf }, { "fmax", (void *)fmax }, { "fmaxf", (void *)fmaxf },
    { "roundeven", (void *)roundeven }, { "roundevenf", (void *)roundevenf },
};

static void *external(const char *name, size_t len)
{
    for (size_t i = 0; i < WF_COUNT(k_externals); i++)
        if (strlen(k_externals[i].name) == len && !memcmp(k_externals[i].name, name, len))
            return k_externals[i].addr;
    return NULL;
}

bool wf_jit_image_supported(void)
{
#if defined(__x86_64__)
    return true;
#else
    return false;
#endif
}

/* ---- linking ------------------------------------------------------------ */

enum { R_TEXT, R_RO, R_RELRO, R_DATA, R_COUNT_ };

typedef struct obj {
    const uint8_t *p;
    size_t len;
    const Elf64_Shdr *sh;
    uint32_t nsh;
    const Elf64_Sym *syms;
    uint32_t nsyms;
    const char *strtab;
    size_t strtab_len;
} obj;

typedef struct word {
    uint32_t at, sym;
    int64_t addend;
} word;

typedef struct linker {
    obj o;
    int64_t *sec_off;           /* per section: its offset in the image, -1: not kept */
    uint8_t *sec_region;
    bool *sec_abs;              /* has absolute relocations */
    uint32_t *stub_of;          /* per symbol: its stub + 1, 0: none */
    uint32_t *slot_of;          /* per symbol: its slot + 1 */
    uint32_t *ext_of;           /* per symbol: its external index + 1 */
    WF_VEC(uint32_t) exts;      /* symbol indices of the external symbols */
    WF_VEC(word) words;
    uint32_t nstubs, nslots;
    uint32_t region_start[R_COUNT_ + 1];
    uint32_t stubs_at, slots_at;
} linker;

static wf_error *bad(const char *what)
{
    return wf_error_new(WF_ERR_INTERNAL, "compiled tier linker: %s", what);
}

static const char *sym_name(const obj *o, const Elf64_Sym *s, size_t *len)
{
    if (s->st_name >= o->strtab_len) return NULL;
    const char *n = o->strtab + s->st_name;
    const char *z = memchr(n, 0, o->strtab_len - s->st_name);
    if (!z) return NULL;
    *len = (size_t)(z - n);
    return n;
}

static wf_error *read_obj(obj *o, const uint8_t *p, size_t len)
{
    memset(o, 0, sizeof *o);
    o->p = p;
    o->len = len;
    if (len < sizeof(Elf64_Ehdr)) return bad("short object");
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)p;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL || eh->e_machine != EM_X86_64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr))
        return bad("not an x86-64 ELF relocatable object");
    if (eh->e_shoff > len || (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len - eh->e_shoff)
        return bad("section headers out of the object");
    o->sh = (const Elf64_Shdr *)(const void *)(p + eh->e_shoff);
    o->nsh = eh->e_shnum;
    for (uint32_t i = 0; i < o->nsh; i++) {
        const Elf64_Shdr *s = &o->sh[i];
        if (s->sh_type != SHT_NOBITS && (s->sh_offset > len || s->sh_size > len - s->sh_offset))
            return bad("section out of the object");
        if (s->sh_type == SHT_SYMTAB) {
            if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_link >= o->nsh) return bad("bad symbol table");
            o->syms = (const Elf64_Sym *)(const void *)(p + s->sh_offset);
            o->nsyms = (uint32_t)(s->sh_size / sizeof(Elf64_Sym));
            const Elf64_Shdr *st = &o->sh[s->sh_link];
            if (st->sh_offset > len || st->sh_size > len - st->sh_offset) return bad("bad string table");
            o->strtab = (const char *)(p + st->sh_offset);
            o->strtab_len = st->sh_size;
        }
    }
    if (!o->syms) return bad("no symbol table");
    return NULL;
}

static bool kept_alloc(const obj *o, uint32_t i)
{
    const Elf64_Shdr *s = &o->sh[i];
    return (s->sh_flags & SHF_ALLOC) && s->sh_type != SHT_X86_64_UNWIND;
}

/* The relocations of section rs (RELA), when its target is kept. */
static bool rela_of_kept(const obj *o, const Elf64_Shdr *rs)
{
    return rs->sh_type == SHT_RELA && rs->sh_info < o->nsh && kept_alloc(o, rs->sh_info) &&
           rs->sh_entsize == sizeof(Elf64_Rela);
}

static uint32_t align_up(uint32_t x, uint64_t a)
{
    if (a <= 1) return x;
    return (uint32_t)((x + a - 1) & ~(a - 1));
}

/* Pass 1: which sections have absolute relocations, which symbols need a
 * stub or a slot. */
static wf_error *scan_relocs(linker *L)
{
    const obj *o = &L->o;
    for (uint32_t r = 0; r < o->nsh; r++) {
        const Elf64_Shdr *rs = &o->sh[r];
        if (!rela_of_kept(o, rs)) continue;
        const Elf64_Rela *ra = (const Elf64_Rela *)(const void *)(o->p + rs->sh_offset);
        size_t n = rs->sh_size / sizeof *ra;
        for (size_t k = 0; k < n; k++) {
            uint32_t type = ELF64_R_TYPE(ra[k].r_info), si = ELF64_R_SYM(ra[k].r_info);
            if (type == R_X86_64_NONE) continue;
            if (si >= o->nsyms) return bad("relocation symbol out of range");
            bool undef = o->syms[si].st_shndx == SHN_UNDEF;
            switch (type) {
            case R_X86_64_64:
                L->sec_abs[rs->sh_info] = true;
                break;
            case R_X86_64_PC32: case R_X86_64_PLT32: case R_X86_64_PC64:
                if (undef && !L->stub_of[si]) L->stub_of[si] = ++L->nstubs;
                if (undef && !L->slot_of[si]) L->slot_of[si] = ++L->nslots;
                break;
            case R_X86_64_GOTPCREL: case R_X86_64_GOTPCRELX: case R_X86_64_REX_GOTPCRELX:
                if (!L->slot_of[si]) L->slot_of[si] = ++L->nslots;
                break;
            default: {
                char m[64];
                snprintf(m, sizeof m, "relocation type %u", type);
                return bad(m);
            }
            }
            if (undef && !L->ext_of[si]) {
                size_t nl = 0;
                const char *name = sym_name(o, &o->syms[si], &nl);
                if (!name || !nl) return bad("unnamed external symbol");
                if (!external(name, nl)) {
                    char m[160];
                    snprintf(m, sizeof m, "unknown external symbol %.*s", (int)WF_MIN(nl, 100), name);
                    return bad(m);
                }
                wf_vec_push(&L->exts, si);
                L->ext_of[si] = (uint32_t)L->exts.len;
            }
        }
    }
    return NULL;
}

/* Pass 2: every kept section's place; stubs end text, slots end relro. */
static wf_error *lay_out(linker *L)
{
    const obj *o = &L->o;
    uint32_t at = 0;
    for (int region = 0; region < R_COUNT_; region++) {
        at = align_up(at, PAGE);
        L->region_start[region] = at;
        for (uint32_t i = 0; i < o->nsh; i++) {
            if (!kept_alloc(o, i)) continue;
            const Elf64_Shdr *s = &o->sh[i];
            if ((s->sh_flags & SHF_EXECINSTR) && L->sec_abs[i]) return bad("absolute relocation in code");
            int want = (s->sh_flags & SHF_EXECINSTR) ? R_TEXT
                     : L->sec_abs[i] ? R_RELRO
                     : !(s->sh_flags & SHF_WRITE) ? R_RO : R_DATA;
            if (want != region) continue;
            if (s->sh_size > UINT32_MAX / 2 || s->sh_addralign > PAGE) return bad("section too big or over-aligned");
            at = align_up(at, s->sh_addralign);
            L->sec_off[i] = at;
            at += (uint32_t)s->sh_size;
            if (at > (1u << 30)) return bad("image too big");
        }
        if (region == R_TEXT) {
            at = align_up(at, 16);
            L->stubs_at = at;
            at += L->nstubs * STUB_LEN;
        } else if (region == R_RELRO) {
            at = align_up(at, 8);
            L->slots_at = at;
            at += L->nslots * 8u;
        }
    }
    L->region_start[R_COUNT_] = align_up(at, PAGE);
    return NULL;
}

/* A symbol's offset in the image (defined ones). */
static wf_error *sym_off(const linker *L, uint32_t si, int64_t *off)
{
    const Elf64_Sym *s = &L->o.syms[si];
    if (s->st_shndx == SHN_UNDEF || s->st_shndx >= L->o.nsh || L->sec_off[s->st_shndx] < 0)
        { char m[96]; snprintf(m, sizeof m, "symbol %u (section %u) in no kept section", si, s->st_shndx); return bad(m); }
    *off = L->sec_off[s->st_shndx] + (int64_t)s->st_value;
    return NULL;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void add_word(linker *L, uint32_t at, uint32_t sym, int64_t addend)
{
    word w = { at, sym, addend };
    wf_vec_push(&L->words, w);
}

/* Pass 3: contents and relocations. */
static wf_error *apply(linker *L, uint8_t *img)
{
    const obj *o = &L->o;
    for (uint32_t i = 0; i < o->nsh; i++)
        if (L->sec_off[i] >= 0 && o->sh[i].sh_type != SHT_NOBITS)
            memcpy(img + L->sec_off[i], o->p + o->sh[i].sh_offset, o->sh[i].sh_size);
    /* stubs: jmp *slot(%rip), int3 padding; slots of externals */
    for (uint32_t si = 0; si < o->nsyms; si++) {
        if (L->slot_of[si]) {
            uint32_t slot = L->slots_at + (L->slot_of[si] - 1) * 8u;
            if (L->ext_of[si]) {
                add_word(L, slot, L->ext_of[si] - 1, 0);
            } else {
                int64_t s;
                wf_error *e = sym_off(L, si, &s);
                if (e) return e;
                add_word(L, slot, BASE_SYM, s);
            }
            if (L->stub_of[si]) {
                uint8_t *st = img + L->stubs_at + (L->stub_of[si] - 1) * STUB_LEN;
                uint32_t here = (uint32_t)(st - img) + 6;
                st[0] = 0xFF;
                st[1] = 0x25;
                put32(st + 2, (uint32_t)(int32_t)((int64_t)slot - here));
                st[6] = st[7] = 0xCC;
            }
        }
    }
    for (uint32_t r = 0; r < o->nsh; r++) {
        const Elf64_Shdr *rs = &o->sh[r];
        if (!rela_of_kept(o, rs)) continue;
        const Elf64_Shdr *ts = &o->sh[rs->sh_info];
        const Elf64_Rela *ra = (const Elf64_Rela *)(const void *)(o->p + rs->sh_offset);
        size_t n = rs->sh_size / sizeof *ra;
        for (size_t k = 0; k < n; k++) {
            uint32_t type = ELF64_R_TYPE(ra[k].r_info), si = ELF64_R_SYM(ra[k].r_info);
            if (type == R_X86_64_NONE) continue;
            unsigned width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
            if (ra[k].r_offset > ts->sh_size || width > ts->sh_size - ra[k].r_offset)
                return bad("relocation out of its section");
            int64_t P = L->sec_off[rs->sh_info] + (int64_t)ra[k].r_offset, A = ra[k].r_addend, S = 0;
            bool undef = o->syms[si].st_shndx == SHN_UNDEF;
            int64_t v;
            switch (type) {
            case R_X86_64_64:
                if (undef) add_word(L, (uint32_t)P, L->ext_of[si] - 1, A);
                else {
                    wf_error *e = sym_off(L, si, &S);
                    if (e) return e;
                    add_word(L, (uint32_t)P, BASE_SYM, S + A);
                }
                continue;
            case R_X86_64_GOTPCREL: case R_X86_64_GOTPCRELX: case R_X86_64_REX_GOTPCRELX:
                v = (int64_t)(L->slots_at + (L->slot_of[si] - 1) * 8u) + A - P;
                break;
            default:    /* PC32, PLT32, PC64 */
                if (undef) S = L->stubs_at + (L->stub_of[si] - 1) * STUB_LEN;
                else {
                    wf_error *e = sym_off(L, si, &S);
                    if (e) return e;
                }
                v = S + A - P;
                if (type == R_X86_64_PC64) {
                    put64(img + P, (uint64_t)v);
                    continue;
                }
                break;
            }
            if (v < INT32_MIN || v > INT32_MAX) return bad("relative relocation out of range");
            put32(img + P, (uint32_t)(int32_t)v);
        }
    }
    return NULL;
}

wf_error *wf_jit_image_link(const uint8_t *objp, size_t objlen, const char *table_name, wf_buf *desc,
                            wf_buf *image)
{
    linker L;
    memset(&L, 0, sizeof L);
    wf_error *e = read_obj(&L.o, objp, objlen);
    if (e) return e;
    const obj *o = &L.o;
    L.sec_off = wf_xmalloc((o->nsh + 1) * sizeof *L.sec_off);
    for (uint32_t i = 0; i < o->nsh; i++) L.sec_off[i] = -1;
    L.sec_abs = wf_xcalloc(o->nsh + 1, sizeof *L.sec_abs);
    L.stub_of = wf_xcalloc(o->nsyms + 1, sizeof *L.stub_of);
    L.slot_of = wf_xcalloc(o->nsyms + 1, sizeof *L.slot_of);
    L.ext_of = wf_xcalloc(o->nsyms + 1, sizeof *L.ext_of);
    e = scan_relocs(&L);
    if (!e) e = lay_out(&L);
    uint32_t size = L.region_start[R_COUNT_];
    uint8_t *img = NULL;
    if (!e) {
        img = wf_xcalloc(size + 1, 1);
        e = apply(&L, img);
    }
    int64_t table = -1;
    if (!e) {
        size_t want = strlen(table_name);
        for (uint32_t si = 0; si < o->nsyms && table < 0; si++) {
            size_t nl = 0;
            const char *n = sym_name(o, &o->syms[si], &nl);
            /* (the object's FILE symbol bears the same name) */
            if (n && nl == want && !memcmp(n, table_name, nl) && ELF64_ST_TYPE(o->syms[si].st_info) == STT_OBJECT)
                e = sym_off(&L, si, &table);
            if (e) break;
        }
        if (!e && table < 0) e = bad("no unit table");
    }
    if (!e) {
        memset(desc, 0, sizeof *desc);
        wf_buf_u32le(desc, L.region_start[R_RO]);
        wf_buf_u32le(desc, L.region_start[R_RELRO]);
        wf_buf_u32le(desc, L.region_start[R_DATA]);
        wf_buf_u32le(desc, size);
        wf_buf_u32le(desc, (uint32_t)table);
        wf_buf_u32le(desc, (uint32_t)L.exts.len);
        for (size_t i = 0; i < L.exts.len; i++) {
            size_t nl = 0;
            const char *n = sym_name(o, &o->syms[L.exts.data[i]], &nl);
            wf_buf_byte(desc, (uint8_t)nl);
            wf_buf_byte(desc, (uint8_t)(nl >> 8));
            wf_buf_bytes(desc, n, nl);
        }
        wf_buf_u32le(desc, (uint32_t)L.words.len);
        for (size_t i = 0; i < L.words.len; i++) {
            wf_buf_u32le(desc, L.words.data[i].at);
            wf_buf_u32le(desc, L.words.data[i].sym);
            wf_buf_u64le(desc, (uint64_t)L.words.data[i].addend);
        }
        memset(image, 0, sizeof *image);
        image->data = img;
        image->len = size;
        image->cap = size + 1;
        img = NULL;
    }
    free(img);
    free(L.sec_off);
    free(L.sec_abs);
    free(L.stub_of);
    free(L.slot_of);
    free(L.ext_of);
    wf_vec_free(&L.exts);
    wf_vec_free(&L.words);
    return e;
}

/* ---- loading ------------------------------------------------------------ */

static wf_error *sys_error(const char *call)
{
    return wf_error_new(WF_ERR_IO, "compiled tier loader: %s: %s", call, strerror(errno));
}

typedef struct reader {
    const uint8_t *p, *end;
    bool ok;
} reader;

static uint32_t rd32(reader *r)
{
    if (r->end - r->p < 4) {
        r->ok = false;
        return 0;
    }
    uint32_t v;
    memcpy(&v, r->p, 4);
    r->p += 4;
    return v;
}

static uint64_t rd64(reader *r)
{
    uint64_t lo = rd32(r), hi = rd32(r);
    return lo | hi << 32;
}

wf_error *wf_jit_image_place(uint8_t *img, size_t len, const uint8_t *desc, size_t desclen,
                             void *const **table)
{
    reader r = { desc, desc + desclen, true };
    uint32_t ro = rd32(&r), relro = rd32(&r), data = rd32(&r), size = rd32(&r), tab = rd32(&r);
    uint32_t nsyms = rd32(&r);
    if (!r.ok || ro % PAGE || relro % PAGE || data % PAGE || size % PAGE || !(ro <= relro && relro <= data &&
        data <= size) || size > len || tab % 8 || (uint64_t)tab + 8 > size || nsyms > 4096)
        return bad("damaged image descriptor");
    void **addrs = wf_xcalloc(nsyms + 1, sizeof *addrs);
    for (uint32_t i = 0; i < nsyms && r.ok; i++) {
        if (r.end - r.p < 2) {
            r.ok = false;
            break;
        }
        size_t nl = (size_t)r.p[0] | (size_t)r.p[1] << 8;
        r.p += 2;
        if ((size_t)(r.end - r.p) < nl || !(addrs[i] = external((const char *)r.p, nl))) r.ok = false;
        r.p += nl;
    }
    uint32_t nwords = rd32(&r);
    if (!r.ok || (size_t)(r.end - r.p) != (size_t)nwords * 16u) {
        free(addrs);
        return bad("damaged image descriptor");
    }
    /* every word lands in relro or data: code and rodata stay as mapped */
    const uint8_t *words = r.p;
    for (uint32_t i = 0; i < nwords; i++) {
        uint32_t at = rd32(&r), sym = rd32(&r);
        rd64(&r);
        if (at < relro || at % 8 || at > size - 8 || (sym != BASE_SYM && sym >= nsyms)) {
            free(addrs);
            return bad("damaged image descriptor");
        }
    }
    wf_error *e = NULL;
    if (relro < size && mprotect(img + relro, size - relro, PROT_READ | PROT_WRITE))
        e = sys_error("mprotect");
    if (!e) {
        r.p = words;
        for (uint32_t i = 0; i < nwords; i++) {
            uint32_t at = rd32(&r), sym = rd32(&r);
            int64_t addend = (int64_t)rd64(&r);
            uintptr_t s = sym == BASE_SYM ? (uintptr_t)img : (uintptr_t)addrs[sym];
            put64(img + at, (uint64_t)(s + (uintptr_t)addend));
        }
        if ((relro < data && mprotect(img + relro, data - relro, PROT_READ)) ||
            (ro && mprotect(img, ro, PROT_READ | PROT_EXEC)))
            e = sys_error("mprotect");
    }
    free(addrs);
    if (!e) *table = (void *const *)(void *)(img + tab);
    return e;
}

wf_error *wf_jit_image_map(const uint8_t *image, size_t len, const uint8_t *desc, size_t desclen,
                           uint8_t **map, size_t *maplen, void *const **table)
{
    size_t n = (len + PAGE - 1) & ~(size_t)(PAGE - 1);
    uint8_t *m = mmap(NULL, n ? n : PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return sys_error("mmap");
    memcpy(m, image, len);
    if (mprotect(m, n, PROT_READ)) {
        munmap(m, n);
        return sys_error("mprotect");
    }
    wf_error *e = wf_jit_image_place(m, n, desc, desclen, table);
    if (e) {
        munmap(m, n);
        return e;
    }
    *map = m;
    *maplen = n;
    return NULL;
}
