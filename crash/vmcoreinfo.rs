// SPDX-License-Identifier: GPL-2.0

//! VMCOREINFO: the `key=value` text that tells dump tools how this kernel lays out its memory
//! (`vmcoreinfo_data`, shown by `/sys/kernel/vmcoreinfo`), and the ELF note that carries it
//! into the dump (`vmcoreinfo_note`), rewritten with the crash time when the machine crashes.
//!
//! C side: [`kernel/vmcore_info.c`](srctree/kernel/vmcore_info.c). Its varargs entry
//! `vmcoreinfo_append_str()` stays C (glue.c) and hands each formatted line to [`append`].

use core::fmt::Write;
use core::mem::{offset_of, size_of};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::ffi::{c_ulong, c_void};
use kernel::kexec::{KexecGuard, Kimage, KimageKind};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use crate::note::{append_note, final_note, Line, Text, NOTE_HEAD};
use crate::sys;
use bindings::{vmcoreinfo_data, vmcoreinfo_note, vmcoreinfo_size};

/// `VMCOREINFO_BYTES`.
const BYTES: usize = PAGE_SIZE;
/// `VMCOREINFO_NOTE_NAME`.
pub(crate) const NAME: &[u8] = b"VMCOREINFO";
/// `VMCOREINFO_NOTE_SIZE`: the note with a full text, and the empty note after it.
pub(crate) const NOTE_SIZE: usize = NOTE_HEAD * 2 + ((NAME.len() + 1 + 3) & !3) + BYTES;

/// `vmcoreinfo_data_safecopy`: the copy of the text in crashkernel memory that a loaded crash
/// image carries (protected from stray writes with the rest of that memory), or null.
///
/// # Invariants
///
/// The pointer is null or points to a mapped page, [`BYTES`] long, that stays mapped until the
/// pointer is replaced by [`SafeCopy::set`].
struct SafeCopy(AtomicPtr<u8>);

// INVARIANT: null.
static SAFECOPY: SafeCopy = SafeCopy(AtomicPtr::new(ptr::null_mut()));

impl SafeCopy {
    /// The copy, or null.
    fn get(&self) -> Option<NonNull<u8>> {
        NonNull::new(self.0.load(Ordering::Acquire))
    }

    /// Makes `copy` the safe copy.
    ///
    /// # Safety
    ///
    /// `copy` is null or a mapped page that stays mapped until this is called again.
    unsafe fn set(&self, copy: *mut u8) {
        // INVARIANT: `copy` is null or a page that stays mapped until it is replaced (this
        // function's `# Safety`).
        self.0.store(copy, Ordering::Release);
    }
}

/// The VMCOREINFO text and its note (C's `vmcoreinfo_data`, `vmcoreinfo_size` and
/// `vmcoreinfo_note`), held by one user at a time.
///
/// # Invariants
///
/// - `data` is what `vmcoreinfo_data` holds: [`BYTES`] mapped bytes, the page [`init`]
///   allocated (never freed) or, from the crash on, the safe copy (mapped for good: the
///   crashed kernel frees no image).
/// - `note` is what `vmcoreinfo_note` holds: null or the [`NOTE_SIZE`] bytes [`init`]
///   allocated, never freed; it does not overlap `data`.
/// - While `self` lives nothing else writes the text, `vmcoreinfo_size` or the note; readers
///   (`/proc/kcore`, sysfs) only read them, as they do in C.
pub(crate) struct VmcoreinfoBuf {
    data: NonNull<u8>,
    note: *mut u8,
}

impl VmcoreinfoBuf {
    /// The text and its note, or `None` before [`init`] allocated the text.
    ///
    /// # Safety
    ///
    /// Nothing else writes the text, its length or the note while the returned value lives.
    /// C and this file write them only at boot (one initcall at a time), while loading or
    /// unloading a crash image and on the panic path, the last two under the kexec lock.
    pub(crate) unsafe fn get() -> Option<Self> {
        // SAFETY: plain reads of two pointers that nothing else writes meanwhile (this
        // function's `# Safety`).
        let (data, note) = unsafe {
            (
                ptr::addr_of!(vmcoreinfo_data).read(),
                ptr::addr_of!(vmcoreinfo_note).read(),
            )
        };
        // INVARIANT: `init` and `use_safecopy` are the only writers of the two pointers and
        // store only what the invariants list; the caller gives us the sole use (this
        // function's `# Safety`).
        Some(Self {
            data: NonNull::new(data)?,
            note: note.cast(),
        })
    }

    /// The text, `vmcoreinfo_size` bytes of the buffer (capped at its size by [`Text`]).
    pub(crate) fn text(&mut self) -> Text<'_> {
        // SAFETY: `data` is `BYTES` mapped bytes and `vmcoreinfo_size` a plain variable, both
        // ours alone while `self` lives (the type's invariants); the `Text` borrows `self`.
        unsafe {
            let len = ptr::addr_of!(vmcoreinfo_size).read();
            Text::new(
                core::slice::from_raw_parts_mut(self.data.as_ptr(), BYTES),
                len,
            )
        }
    }

    /// Appends `line` to the text (what fits); returns whether the text now fills its buffer.
    pub(crate) fn append(&mut self, line: &[u8]) -> bool {
        let mut t = self.text();
        let full = t.append(line);
        let len = t.len();
        // SAFETY: `vmcoreinfo_size` is ours alone while `self` lives (the type's invariants).
        unsafe { ptr::addr_of_mut!(vmcoreinfo_size).write(len) };
        full
    }

    /// The note's bytes, or `None` before [`init`] allocated it.
    pub(crate) fn note(&mut self) -> Option<&mut [u8]> {
        if self.note.is_null() {
            return None;
        }
        // SAFETY: `note` is not null, so it is `NOTE_SIZE` bytes, ours alone while `self`
        // lives (the type's invariants); the slice borrows `self`.
        Some(unsafe { core::slice::from_raw_parts_mut(self.note, NOTE_SIZE) })
    }

    /// `update_vmcoreinfo_note()`: writes the text into the note.
    pub(crate) fn update_note(&mut self) {
        let note = self.note;
        if note.is_null() {
            return;
        }
        let t = self.text();
        if t.is_empty() {
            return;
        }
        // SAFETY: `note` is not null, so it is `NOTE_SIZE` bytes, ours alone while `self` lives
        // and apart from the text `t` borrows (the type's invariants).
        let out = unsafe { core::slice::from_raw_parts_mut(note, NOTE_SIZE) };
        if let Some(rest) = append_note(out, NAME, 0, t.as_bytes()) {
            let _ = final_note(rest);
        }
    }

    /// Copies the text to the start of `to` (what fits).
    fn copy_to(&mut self, to: &mut [u8]) {
        let t = self.text();
        for (o, i) in to.iter_mut().zip(t.as_bytes()) {
            *o = *i;
        }
    }

    /// From now on the text is the safe copy, if there is one: on the panic path, the page
    /// that the running kernel may have scribbled over is left alone.
    fn use_safecopy(&mut self) {
        let Some(copy) = SAFECOPY.get() else { return };
        // SAFETY: `vmcoreinfo_data` is ours alone while `self` lives (the type's invariants).
        unsafe { ptr::addr_of_mut!(vmcoreinfo_data).write(copy.as_ptr()) };
        // INVARIANT: `vmcoreinfo_data` now holds the safe copy, a mapped page of `BYTES`
        // (`SafeCopy`'s invariant) that stays mapped: this is the panic path, and the crashed
        // kernel frees no image.
        self.data = copy;
    }
}

/// Whether the kernel is still booting (`system_state < SYSTEM_RUNNING`): initcalls run, one at
/// a time, and user space, which alone loads crash images, has not started.
fn booting() -> bool {
    // SAFETY: `system_state` is an aligned word that init writes a few times on the way up and
    // everyone reads without a lock, as C's `system_state` tests do.
    let state = unsafe { ptr::addr_of!(bindings::system_state).read_volatile() };
    state < bindings::system_states_SYSTEM_RUNNING
}

/// Appends `line` to the text (what fits); returns whether the text now fills its buffer.
/// Only at boot, where C's callers append (this file's `init`, printk's and the architecture's
/// keys through `vmcoreinfo_append_str()`): later the line is dropped with a warning.
pub(crate) fn append(line: &[u8]) -> bool {
    if !booting() {
        pr_warn!("VMCOREINFO line after boot, dropped\n");
        return false;
    }
    // SAFETY: `VmcoreinfoBuf::get`'s `# Safety` holds: at boot (checked above) the text is
    // written only by initcalls, one at a time.
    let Some(mut buf) = (unsafe { VmcoreinfoBuf::get() }) else {
        return false;
    };
    buf.append(line)
}

/// `update_vmcoreinfo_note()`, at boot (as [`append`]).
fn update_note() {
    if !booting() {
        return;
    }
    // SAFETY: as for `append`: at boot, checked above.
    if let Some(mut buf) = unsafe { VmcoreinfoBuf::get() } {
        buf.update_note();
    }
}

/// `crash_update_vmcoreinfo_safecopy()`: copies the text to `copy` (a page of crashkernel
/// memory, or null to stop using one) and makes it the text the crash path completes.
///
/// # Safety
///
/// `copy` is null or a mapped page that stays mapped until this is called again with null,
/// and does not overlap the text. The caller holds the kexec lock (C's callers, the loaders,
/// do), so nothing else writes the text meanwhile.
pub(crate) unsafe fn set_safecopy(copy: *mut u8) {
    if !copy.is_null() {
        // SAFETY: the caller holds the kexec lock (this function's `# Safety`), under which
        // `VmcoreinfoBuf::get`'s `# Safety` lists the other writers after boot.
        if let Some(mut buf) = unsafe { VmcoreinfoBuf::get() } {
            // SAFETY: `copy` is a mapped page, `BYTES` long, apart from the text (this
            // function's `# Safety`).
            let to = unsafe { core::slice::from_raw_parts_mut(copy, BYTES) };
            buf.copy_to(to);
        }
    }
    // SAFETY: `copy` is null or a mapped page that stays mapped until this is called again
    // (this function's `# Safety`), which is what `SafeCopy::set` asks.
    unsafe { SAFECOPY.set(copy) };
}

/// `crash_save_vmcoreinfo()`: on the panic path, the text (from the safe copy when there is
/// one) gets the crash time and is written into the note. Nothing allocates or can panic.
pub(crate) fn save_on_crash(_lock: &KexecGuard) {
    // SAFETY: `_lock` is the kexec lock, under which `VmcoreinfoBuf::get`'s `# Safety` lists
    // the other writers after boot.
    unsafe { save_exclusive() }
}

/// [`save_on_crash`], for a caller that is the text's only user without the lock.
///
/// # Safety
///
/// As for [`VmcoreinfoBuf::get`].
pub(crate) unsafe fn save_exclusive() {
    // SAFETY: nothing else writes the text, its length or the note meanwhile (this
    // function's `# Safety`, the same as `get`'s).
    let Some(mut buf) = (unsafe { VmcoreinfoBuf::get() }) else {
        return;
    };
    if buf.note().is_none() {
        return;
    }
    buf.use_safecopy();
    let mut line = Line::new();
    line.push(b"CRASHTIME=")
        .push_i64(sys::real_seconds())
        .push(b"\n");
    buf.append(line.as_bytes());
    buf.update_note();
}

/// `kimage_crash_copy_vmcoreinfo()`: a crash image keeps a copy of the text in a control page
/// of crashkernel memory, mapped, so the crash path does not depend on the page the running
/// kernel may have scribbled over.
///
/// # Safety
///
/// For a crash image (the only kind this changes anything for) the caller holds the kexec lock.
pub(crate) unsafe fn copy_into_image(image: &mut Kimage) -> Result {
    if image.kind() != KimageKind::Crash {
        return Ok(());
    }
    // SAFETY: `kimage_alloc_control_pages()` asks for an image being loaded that only its
    // caller uses: `image` is borrowed uniquely. The page comes from its crashkernel region and
    // is freed with it.
    let page = unsafe { bindings::kimage_alloc_control_pages(image.as_raw(), 0) };
    if page.is_null() {
        pr_warn!("Could not allocate vmcoreinfo buffer\n");
        return Err(ENOMEM);
    }
    let mut pages = page;
    // SAFETY: `pages` is an array of one page, a page of ours; `vmap()` only reads it.
    let copy = unsafe {
        bindings::vmap(
            &mut pages,
            1,
            bindings::VM_MAP as c_ulong,
            bindings::PAGE_KERNEL(),
        )
    };
    if copy.is_null() {
        pr_warn!("Could not vmap vmcoreinfo buffer\n");
        return Err(ENOMEM);
    }
    // SAFETY: `copy` maps a control page of `image`, and stays mapped until `kimage_free()`
    // unmaps it.
    unsafe { image.set_vmcoreinfo_data_copy(copy) };
    // SAFETY: `copy` maps a page of crashkernel memory (apart from the text) until the image
    // is freed, which calls this with null first; `image` is a crash image, so the caller
    // holds the kexec lock (this function's `# Safety`).
    unsafe { set_safecopy(copy.cast()) };
    Ok(())
}

/// One `key=value` line, formatted as `vmcoreinfo_append_str()` formats it.
fn line(args: core::fmt::Arguments<'_>) -> bool {
    let mut l = Line::new();
    let _ = l.write_fmt(args);
    append(l.as_bytes())
}

macro_rules! info {
    ($($arg:tt)*) => {
        line(format_args!($($arg)*))
    };
}

/// `VMCOREINFO_SYMBOL(name)`.
fn symbol<T>(name: &str, addr: *const T) {
    info!("SYMBOL({})={:x}\n", name, addr as usize);
}

/// `VMCOREINFO_OFFSET(st.field)`.
fn offset(name: &str, off: usize) {
    info!("OFFSET({})={}\n", name, off);
}

/// `VMCOREINFO_STRUCT_SIZE(st)` and `VMCOREINFO_SIZE(name)`.
fn size(name: &str, size: usize) {
    info!("SIZE({})={}\n", name, size);
}

/// `VMCOREINFO_LENGTH(name, value)`.
fn length(name: &str, value: u64) {
    info!("LENGTH({})={}\n", name, value);
}

/// `PGTY_x << 24` as C computes it: in `int`, where the top types come out negative.
fn mapcount_value(pgty: bindings::pagetype) -> i64 {
    (pgty as i32).wrapping_shl(24).into()
}

/// `VMCOREINFO_NUMBER(name)`.
fn number(name: &str, value: i64) {
    info!("NUMBER({})={}\n", name, value);
}

/// A warning without the crate's prefix, as vmcore_info.c prints them (it has no `pr_fmt`).
fn warn_bare(line: &kernel::str::CStr) {
    // SAFETY: a NUL-terminated format without conversion specifiers, and no arguments.
    unsafe { bindings::_printk(line.as_char_ptr()) };
}

/// `crash_save_vmcoreinfo_init()`: allocates the text and the note, and writes the text, the
/// same keys in the same order as C.
pub(crate) fn init() -> Result {
    // SAFETY: `get_zeroed_page()` takes `GFP_KERNEL` in process context, where initcalls
    // run; it returns a zeroed page we own, or null.
    let data = unsafe { bindings::get_zeroed_page_noprof(bindings::GFP_KERNEL) } as *mut u8;
    if data.is_null() {
        warn_bare(kernel::c_str!(
            "\x014Memory allocation for vmcoreinfo_data failed\n"
        ));
        return Err(ENOMEM);
    }
    // SAFETY: as for the page: `alloc_pages_exact()` with `GFP_KERNEL` in process context
    // returns `NOTE_SIZE` zeroed bytes we own, or null.
    let note = unsafe {
        bindings::alloc_pages_exact_noprof(NOTE_SIZE, bindings::GFP_KERNEL | bindings::__GFP_ZERO)
    };
    if note.is_null() {
        // SAFETY: the page allocated above, not yet published.
        unsafe { bindings::free_pages(data as usize as _, 0) };
        warn_bare(kernel::c_str!(
            "\x014Memory allocation for vmcoreinfo_note failed\n"
        ));
        return Err(ENOMEM);
    }
    // SAFETY: initcall time: nothing reads or writes these yet. `data` is a page and `note`
    // `NOTE_SIZE` bytes, apart from it and never freed, as `VmcoreinfoBuf`'s invariants ask.
    unsafe {
        ptr::addr_of_mut!(vmcoreinfo_data).write(data);
        ptr::addr_of_mut!(vmcoreinfo_note).write(note.cast());
    }
    write_keys();
    // SAFETY: C's own hook, called where C calls it.
    unsafe { bindings::arch_crash_save_vmcoreinfo() };
    update_note();
    Ok(())
}

/// The keys of `crash_save_vmcoreinfo_init()`, in its order.
fn write_keys() {
    use bindings::{free_area, list_head, mem_section, page, pglist_data, uts_namespace, zone};

    // SAFETY: `init_uts_ns` is static; its release string is NUL-terminated and fixed.
    let release =
        unsafe { CStr::from_char_ptr(ptr::addr_of!(bindings::init_uts_ns.name.release).cast()) };
    // The bytes as they are, as C's %s writes them (Display would escape some).
    let mut os = Line::new();
    os.push(b"OSRELEASE=").push(release.as_bytes()).push(b"\n");
    append(os.as_bytes());
    let mut id = Line::new();
    id.push(b"BUILD-ID=");
    // SAFETY: a static array, written before initcalls run.
    for b in unsafe { ptr::addr_of!(bindings::vmlinux_build_id).read() } {
        let _ = write!(id, "{:02x}", b);
    }
    id.push(b"\n");
    append(id.as_bytes());
    info!("PAGESIZE={}\n", PAGE_SIZE);

    symbol("init_uts_ns", ptr::addr_of!(bindings::init_uts_ns));
    offset("uts_namespace.name", offset_of!(uts_namespace, name));
    symbol(
        "node_online_map",
        ptr::addr_of!(bindings::node_states)
            .cast::<bindings::nodemask_t>()
            .wrapping_add(bindings::node_states_N_ONLINE as usize),
    );
    // x86_64 names its top page table `init_top_pgt` (`swapper_pg_dir` is a macro for it).
    #[cfg(CONFIG_X86_64)]
    symbol("swapper_pg_dir", ptr::addr_of!(bindings::init_top_pgt));
    #[cfg(not(CONFIG_X86_64))]
    symbol("swapper_pg_dir", ptr::addr_of!(bindings::swapper_pg_dir));
    symbol("_stext", ptr::addr_of!(bindings::_stext));
    info!("NUMBER(VMALLOC_START)=0x{:x}\n", sys::vmalloc_start());
    #[cfg(not(CONFIG_NUMA))]
    {
        symbol("mem_map", ptr::addr_of!(bindings::mem_map));
        symbol(
            "contig_page_data",
            ptr::addr_of!(bindings::contig_page_data),
        );
    }
    #[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
    symbol("vmemmap", sys::vmemmap() as *const c_void);
    // SAFETY: a pointer set before initcalls run.
    symbol("mem_section", unsafe {
        ptr::addr_of!(bindings::mem_section).read()
    });
    length("mem_section", sys::nr_section_roots() as u64);
    size("mem_section", size_of::<mem_section>());
    offset(
        "mem_section.section_mem_map",
        offset_of!(mem_section, section_mem_map),
    );
    number("SECTION_SIZE_BITS", bindings::SECTION_SIZE_BITS as i64);
    number("MAX_PHYSMEM_BITS", sys::max_physmem_bits() as i64);
    size("page", size_of::<page>());
    size("pglist_data", size_of::<pglist_data>());
    size("zone", size_of::<zone>());
    size("free_area", size_of::<free_area>());
    size("list_head", size_of::<list_head>());
    size("nodemask_t", size_of::<bindings::nodemask_t>());
    offset("page.flags", offset_of!(page, flags));
    offset("page._refcount", offset_of!(page, _refcount));
    offset(
        "page.mapping",
        offset_of!(page, __bindgen_anon_1.__bindgen_anon_1.mapping),
    );
    offset(
        "page.lru",
        offset_of!(page, __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.lru),
    );
    offset(
        "page._mapcount",
        offset_of!(page, __bindgen_anon_2._mapcount),
    );
    offset(
        "page.private",
        offset_of!(page, __bindgen_anon_1.__bindgen_anon_1.private),
    );
    offset(
        "page.compound_head",
        offset_of!(page, __bindgen_anon_1.__bindgen_anon_3.compound_head),
    );
    offset(
        "pglist_data.node_zones",
        offset_of!(pglist_data, node_zones),
    );
    offset("pglist_data.nr_zones", offset_of!(pglist_data, nr_zones));
    offset(
        "pglist_data.node_start_pfn",
        offset_of!(pglist_data, node_start_pfn),
    );
    offset(
        "pglist_data.node_spanned_pages",
        offset_of!(pglist_data, node_spanned_pages),
    );
    offset("pglist_data.node_id", offset_of!(pglist_data, node_id));
    offset("zone.free_area", offset_of!(zone, free_area));
    offset("zone.vm_stat", offset_of!(zone, vm_stat));
    offset("zone.spanned_pages", offset_of!(zone, spanned_pages));
    offset("free_area.free_list", offset_of!(free_area, free_list));
    offset("list_head.next", offset_of!(list_head, next));
    offset("list_head.prev", offset_of!(list_head, prev));
    length("zone.free_area", bindings::NR_PAGE_ORDERS as u64);
    // SAFETY: printk's own keys, appended through `vmcoreinfo_append_str()` as in C, from this
    // initcall: one writer at a time, as `VmcoreinfoBuf::get`'s `# Safety` asks of `append`.
    unsafe { bindings::log_buf_vmcoreinfo_setup() };
    length(
        "free_area.free_list",
        bindings::migratetype_MIGRATE_TYPES as u64,
    );
    number(
        "NR_FREE_PAGES",
        bindings::zone_stat_item_NR_FREE_PAGES as i64,
    );
    number("PG_lru", bindings::pageflags_PG_lru as i64);
    number("PG_private", bindings::pageflags_PG_private as i64);
    number("PG_swapcache", bindings::pageflags_PG_swapcache as i64);
    number("PG_swapbacked", bindings::pageflags_PG_swapbacked as i64);
    number(
        "PAGE_SLAB_MAPCOUNT_VALUE",
        mapcount_value(bindings::pagetype_PGTY_slab),
    );
    #[cfg(CONFIG_MEMORY_FAILURE)]
    number("PG_hwpoison", bindings::pageflags_PG_hwpoison as i64);
    number("PG_head_mask", 1i64 << bindings::pageflags_PG_head);
    number(
        "PAGE_BUDDY_MAPCOUNT_VALUE",
        mapcount_value(bindings::pagetype_PGTY_buddy),
    );
    number(
        "PAGE_HUGETLB_MAPCOUNT_VALUE",
        mapcount_value(bindings::pagetype_PGTY_hugetlb),
    );
    number(
        "PAGE_OFFLINE_MAPCOUNT_VALUE",
        mapcount_value(bindings::pagetype_PGTY_offline),
    );
    #[cfg(CONFIG_KALLSYMS)]
    {
        // The kallsyms tables the link makes (kernel/kallsyms_internal.h).
        use bindings::{
            kallsyms_names, kallsyms_num_syms, kallsyms_offsets, kallsyms_relative_base,
            kallsyms_token_index, kallsyms_token_table,
        };
        symbol("kallsyms_names", ptr::addr_of!(kallsyms_names));
        symbol("kallsyms_num_syms", ptr::addr_of!(kallsyms_num_syms));
        symbol("kallsyms_token_table", ptr::addr_of!(kallsyms_token_table));
        symbol("kallsyms_token_index", ptr::addr_of!(kallsyms_token_index));
        symbol("kallsyms_offsets", ptr::addr_of!(kallsyms_offsets));
        symbol(
            "kallsyms_relative_base",
            ptr::addr_of!(kallsyms_relative_base),
        );
    }
}
