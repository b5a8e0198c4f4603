/*
 * Creation sites for the leak report (GLVF_DEBUG=leaks or
 * GLVF_CONTEXT_TRACK_SITES): a backtrace captured when a frame or staging
 * region is made, and its lines in the report.
 *
 * With elfutils' libdw (built with it when found: meson option `libdw`)
 * each return address is named from the process's own ELF symbols and
 * DWARF line tables: "upload_one() at /src/app/decode.c:212 (app+0x1c3d)".
 * Only local files are read (the binary, and separate debug files under
 * the build-id paths); never debuginfod. Without libdw, or for an address
 * libdw cannot place, the line is what backtrace_symbols() gives: the
 * module and offset, with the function only when it is exported.
 */
#include "internal.h"

#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GLVF_HAVE_LIBDW
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#endif

int glvf_capture_site(void **site, int max)
{
    void *buf[GLVF_MAX_SITE + 4];
    int n = backtrace(buf, GLVF_MAX_SITE + 4);
    /* Skip everything up to the public glvf function that called this, and
     * that function: the first entry kept is its caller. Found by address,
     * as a sanitizer's backtrace() interceptor adds a frame of its own. */
    void *ret = __builtin_return_address(0); /* in the public function */
    int skip = n > 2 ? 2 : 0;
    for (int i = 0; i < n && i < 4; i++) {
        if (buf[i] == ret) {
            skip = i + 1;
            break;
        }
    }
    int k = 0;
    for (int i = skip; i < n && k < max; i++)
        site[k++] = buf[i];
    return k;
}

#ifdef GLVF_HAVE_LIBDW

struct glvf_symbolizer {
    Dwfl *dwfl;
};

/* Separate debug files by build id, on this machine only: the standard
 * callback would also ask debuginfod servers (DEBUGINFOD_URLS), which a
 * leak report must not wait for. */
static int find_debuginfo_local(Dwfl_Module *mod, void **userdata, const char *modname,
                                Dwarf_Addr base, const char *file_name,
                                const char *debuglink_file, GElf_Word debuglink_crc,
                                char **debuginfo_file_name)
{
    return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
                                        debuglink_file, debuglink_crc, debuginfo_file_name);
}

static char *debuginfo_path; /* NULL: libdw's default search path */

static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = find_debuginfo_local,
    .debuginfo_path = &debuginfo_path,
};

glvf_symbolizer *glvf_symbolizer_new(void)
{
    glvf_symbolizer *s = glvf_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->dwfl = dwfl_begin(&dwfl_callbacks);
    if (!s->dwfl)
        goto fail;
    dwfl_report_begin(s->dwfl);
    if (dwfl_linux_proc_report(s->dwfl, getpid()) != 0 ||
        dwfl_report_end(s->dwfl, NULL, NULL) != 0)
        goto fail;
    return s;
fail:
    if (s->dwfl)
        dwfl_end(s->dwfl);
    glvf_free(s);
    return NULL;
}

void glvf_symbolizer_free(glvf_symbolizer *s)
{
    if (!s)
        return;
    dwfl_end(s->dwfl);
    glvf_free(s);
}

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path ? path : "?";
}

static const char *die_name(Dwarf_Die *die)
{
    /* follows DW_AT_abstract_origin / DW_AT_specification */
    Dwarf_Attribute a;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
    return n ? n : "??";
}

/* The compile unit holding `pc` (a module address; *bias: module to DWARF
 * addresses). libdw's lookup uses .debug_aranges, which clang does not
 * emit by default (nor does libdw 0.188 make up for it): then each unit's
 * ranges are searched. */
static bool find_cu(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Die *out, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, bias);
    if (cu) {
        *out = *cu;
        return true;
    }
    Dwarf *dw = dwfl_module_getdwarf(mod, bias);
    if (!dw)
        return false;
    Dwarf_Addr at = pc - *bias;
    Dwarf_CU *unit = NULL;
    while (dwarf_get_units(dw, unit, &unit, NULL, NULL, out, NULL) == 0) {
        Dwarf_Addr base, start, end;
        ptrdiff_t off = 0;
        while ((off = dwarf_ranges(out, off, &base, &start, &end)) > 0)
            if (at >= start && at < end)
                return true;
    }
    return false;
}

/* Where `pc` sits in code inlined by the compiler: returns the innermost
 * inlined function's name (NULL when pc is not in inlined code) and writes
 * ", inlined in outer() at file:line" for each level into `tail`. */
static const char *inline_chain(Dwarf_Die *cu, Dwarf_Addr at, char *tail, size_t len)
{
    tail[0] = '\0';
    /* the innermost inlined instance around pc... */
    Dwarf_Die *pcscopes = NULL, *scopes = NULL;
    int npc = dwarf_getscopes(cu, at, &pcscopes);
    int first = -1;
    for (int i = 0; i < npc && first < 0; i++)
        if (dwarf_tag(&pcscopes[i]) == DW_TAG_inlined_subroutine)
            first = i;
    /* ...and the scopes it physically sits in, out to the real function
     * (dwarf_getscopes continues with the abstract origin's scopes) */
    int n = first >= 0 ? dwarf_getscopes_die(&pcscopes[first], &scopes) : 0;
    free(pcscopes);
    if (n <= 0) {
        free(scopes);
        return NULL;
    }
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
        files = NULL;
    const char *inner = NULL;
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_subprogram)
            break; /* the function the code was inlined into, at last */
        if (tag != DW_TAG_inlined_subroutine)
            continue; /* a lexical block */
        if (!inner)
            inner = die_name(&scopes[i]);
        const char *outer = "??";
        for (int j = i + 1; j < n; j++) {
            int t = dwarf_tag(&scopes[j]);
            if (t == DW_TAG_inlined_subroutine || t == DW_TAG_subprogram) {
                outer = die_name(&scopes[j]);
                break;
            }
        }
        Dwarf_Attribute a;
        Dwarf_Word file = 0, line = 0;
        const char *fname = NULL;
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &file) == 0 && files &&
            file < nfiles)
            fname = dwarf_filesrc(files, file, NULL, NULL);
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &line);
        int w = fname && line ? snprintf(tail + used, len - used, ", inlined in %s() at %s:%llu",
                                         outer, fname, (unsigned long long)line)
                              : snprintf(tail + used, len - used, ", inlined in %s()", outer);
        if (w < 0 || (size_t)w >= len - used)
            break; /* truncated: enough said */
        used += (size_t)w;
    }
    free(scopes);
    return inner;
}

/* One site line, "name() at file:line (module+0xoff)", with the functions
 * the code was inlined into; false when libdw knows neither the function
 * nor the line. */
static bool describe(glvf_symbolizer *s, void *addr, char *out, size_t len)
{
    /* a return address: look up the call instruction just before it */
    Dwarf_Addr pc = (Dwarf_Addr)(uintptr_t)addr - 1;
    Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, pc);
    if (!mod)
        return false;
    Dwarf_Addr low = 0;
    const char *modname = dwfl_module_info(mod, NULL, &low, NULL, NULL, NULL, NULL, NULL);
    const char *fn = dwfl_module_addrname(mod, pc);
    int lineno = 0;
    const char *file = NULL;
    char inlined[512] = "";
    Dwarf_Die cu;
    Dwarf_Addr bias = 0;
    if (find_cu(mod, pc, &cu, &bias)) {
        Dwarf_Line *line = dwarf_getsrc_die(&cu, pc - bias);
        if (line) {
            file = dwarf_linesrc(line, NULL, NULL);
            dwarf_lineno(line, &lineno);
        }
        const char *inner = inline_chain(&cu, pc - bias, inlined, sizeof inlined);
        if (inner)
            fn = inner;
    }
    if (!fn && !file)
        return false;
    char where[512] = "";
    if (file && lineno > 0)
        snprintf(where, sizeof where, " at %s:%d", file, lineno);
    else if (file)
        snprintf(where, sizeof where, " in %s", file);
    snprintf(out, len, "%s()%s%s (%s+0x%llx)", fn ? fn : "??", where, inlined,
             base_name(modname), (unsigned long long)((Dwarf_Addr)(uintptr_t)addr - low));
    return true;
}

#else /* no libdw: backtrace_symbols() only */

glvf_symbolizer *glvf_symbolizer_new(void)
{
    return NULL;
}

void glvf_symbolizer_free(glvf_symbolizer *s)
{
    (void)s;
}

#endif

void glvf_log_site(const glvf_context *ctx, glvf_symbolizer *sym, glvf_log_level level,
                   void *const *site, int n)
{
    if (n <= 0)
        return;
    char **syms = backtrace_symbols(site, n);
    for (int i = 0; i < n; i++) {
#ifdef GLVF_HAVE_LIBDW
        char buf[1400];
        if (sym && describe(sym, site[i], buf, sizeof buf)) {
            glvf_logf(ctx, level, "    #%d %s", i, buf);
            continue;
        }
#else
        (void)sym;
#endif
        glvf_logf(ctx, level, "    #%d %s", i, syms ? syms[i] : "?");
    }
    free(syms);
}
