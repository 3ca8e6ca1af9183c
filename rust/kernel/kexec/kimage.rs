// SPDX-License-Identifier: GPL-2.0

//! `struct kimage`: a kexec image, as the kexec core builds it and `relocate_kernel` boots it.
//!
//! C header: [`include/linux/kexec.h`](srctree/include/linux/kexec.h)
//!
//! [`Kimage`] is the C structure itself (C's `kexec_file.c`, the crash path and the
//! architecture's hooks read it as before), with what the core relies on stated as its
//! invariants and read or changed only through its methods. [`OwnedKimage`] owns a complete
//! image and frees it on drop; the slots ([`super::ImageSlot`]) hold such images and lend them
//! out as `&Kimage` for as long as the kexec lock is held.

use crate::bindings;
use crate::error::{code::*, Result};
use crate::ffi::{c_ulong, c_void};
use crate::types::Opaque;
use core::ops::Deref;
use core::ptr::{self, NonNull};

/// `kimage_entry_t` flags (`include/linux/kexec.h`): where the next pages go.
pub const IND_DESTINATION: c_ulong = 1 << 0;
/// The list goes on in the page this entry names.
pub const IND_INDIRECTION: c_ulong = 1 << 1;
/// The end of the list.
pub const IND_DONE: c_ulong = 1 << 2;
/// A page holding the bytes of the next destination page.
pub const IND_SOURCE: c_ulong = 1 << 3;

/// Entries in one indirection page.
const ENTRIES_PER_PAGE: usize =
    crate::page::PAGE_SIZE / core::mem::size_of::<bindings::kimage_entry_t>();

/// `image->type`: what the image is booted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KimageKind {
    /// `KEXEC_TYPE_DEFAULT`: `kexec -l`, booted by `kexec -e`.
    Normal,
    /// `KEXEC_TYPE_CRASH`: `kexec -p`, booted by a panic, and placed in crashkernel memory.
    Crash,
}

/// A `struct kimage`.
///
/// # Invariants
///
/// The structure is a live image of the kexec core (allocated by `do_kimage_alloc_init()` and
/// freed only by `kimage_free()`), and:
/// - **Its entry list is well formed.** `head` and the indirection pages it links hold entries
///   up to an `IND_DONE` or a zero entry. Every `IND_INDIRECTION` entry names (by its boot
///   physical address) a live page of `PAGE_SIZE` bytes owned by the image, whose last slot is
///   kept for the link to the next page. `entry` points at `head` or into the last indirection
///   page, at or before `last_entry`, which is `&head` or that page's last slot; the slot at
///   `entry` and every slot before it on the list are initialised.
/// - **Its segments are bounded.** `nr_segments` is at most the length of `segment`; once the
///   image has a control code page, they are segments `sanity_check_segment_list()` accepted.
/// - **It owns its control pages.** `control_pages`, `dest_pages` and `unusable_pages` are
///   initialised lists of pages the image owns; `control_code_page` and `swap_page` are null or
///   control pages of the image (on `control_pages`, or, for a crash image, in the crashkernel
///   region), which nothing but the image uses.
///
/// Nothing changes the structure but its owner (the load building it, or the holder of the
/// kexec lock for a published image), through the methods of this type or the kexec hooks it is
/// handed to.
#[repr(transparent)]
pub struct Kimage(Opaque<bindings::kimage>);

impl Kimage {
    /// The image at `ptr`, for `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` points to an image that satisfies the type invariants for `'a`, and that nothing
    /// changes during `'a` other than through the returned reference (the caller owns it, or
    /// holds the kexec lock for a published one).
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::kimage) -> &'a Self {
        // SAFETY: `Kimage` is `repr(transparent)` over `Opaque<bindings::kimage>`, which has
        // the layout of `bindings::kimage`; `ptr` is live for `'a` and changed only through
        // the reference (this function's `# Safety`).
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The image at `ptr`, borrowed uniquely for `'a`.
    ///
    /// # Safety
    ///
    /// As for [`Kimage::from_raw`], and nothing else uses the image during `'a`.
    #[inline]
    pub unsafe fn from_raw_mut<'a>(ptr: *mut bindings::kimage) -> &'a mut Self {
        // SAFETY: as in `from_raw`; nothing else uses the image during `'a` (this function's
        // `# Safety`), so the borrow is unique.
        unsafe { &mut *ptr.cast::<Self>() }
    }

    /// `do_kimage_alloc_init()`'s set-up: makes the zeroed structure at `ptr` an empty image.
    ///
    /// # Safety
    ///
    /// `ptr` points to a zeroed `struct kimage` (all-zero is a valid value of it) that the
    /// caller allocated, owns and frees only through `kimage_free()`, and that never moves.
    pub unsafe fn init<'a>(ptr: NonNull<bindings::kimage>) -> &'a mut Self {
        let p = ptr.as_ptr();
        // SAFETY: `p` is a live zeroed structure only the caller knows (this function's
        // `# Safety`), so it may be borrowed uniquely; the entry pointers point into it, and
        // it never moves.
        // INVARIANT: what the type states of an empty image: the list is `head`, 0, with
        // `entry` and `last_entry` at it; no segments; the page lists initialised and empty, no
        // control pages. It is freed only by `kimage_free()`.
        unsafe {
            let i = &mut *p;
            i.entry = &mut i.head;
            i.last_entry = &mut i.head;
            i.control_page = !0;
            i.set_type(bindings::KEXEC_TYPE_DEFAULT);
            bindings::INIT_LIST_HEAD(&mut i.control_pages);
            bindings::INIT_LIST_HEAD(&mut i.dest_pages);
            bindings::INIT_LIST_HEAD(&mut i.unusable_pages);
            #[cfg(CONFIG_CRASH_HOTPLUG)]
            {
                i.hp_action = bindings::KEXEC_CRASH_HP_NONE as crate::ffi::c_int;
                i.elfcorehdr_index = -1;
                i.elfcorehdr_updated = false;
            }
        }
        // SAFETY: the structure now satisfies the type invariants, and only the caller knows
        // it (this function's `# Safety`).
        unsafe { Self::from_raw_mut(p) }
    }

    /// The C structure, for C functions that take a `struct kimage *`.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::kimage {
        self.ptr()
    }

    /// The structure's address, as `Opaque::get` gives it, but with no call: the generic
    /// `Opaque::get` is instantiated in this crate and not inlined into the kexec core, which
    /// reads the image for every page it loads. Writing through it is allowed: every byte of
    /// the structure is inside `Opaque`'s `UnsafeCell`.
    #[inline(always)]
    fn ptr(&self) -> *mut bindings::kimage {
        ptr::from_ref(self).cast_mut().cast()
    }

    /// The fields, for reading.
    #[inline]
    fn raw(&self) -> &bindings::kimage {
        // SAFETY: by the type invariant the structure is live, and changed only by its owner
        // through `&mut self` or the setters, none of which holds this borrow across.
        unsafe { &*self.ptr() }
    }

    /// The fields, for changing those no invariant covers.
    #[inline]
    fn raw_mut(&mut self) -> &mut bindings::kimage {
        // SAFETY: by the type invariant the structure is live; `&mut self` is unique.
        unsafe { &mut *self.ptr() }
    }

    /// `image->type`.
    #[inline]
    pub fn kind(&self) -> KimageKind {
        if self.raw().type_() == bindings::KEXEC_TYPE_CRASH {
            KimageKind::Crash
        } else {
            KimageKind::Normal
        }
    }

    /// Sets `image->type`, while the image is being set up.
    ///
    /// # Safety
    ///
    /// The image has no segments loaded and no control pages yet: where they go depends on
    /// the kind (a crash image's pages are in the crashkernel region, its segments checked to
    /// lie there).
    #[inline]
    pub unsafe fn set_kind(&mut self, kind: KimageKind) {
        let t = match kind {
            KimageKind::Normal => bindings::KEXEC_TYPE_DEFAULT,
            KimageKind::Crash => bindings::KEXEC_TYPE_CRASH,
        };
        self.raw_mut().set_type(t);
    }

    /// The image's segments.
    #[inline]
    pub fn segments(&self) -> &[bindings::kexec_segment] {
        let r = self.raw();
        // By the type invariant `nr_segments` is within the array; `min` keeps it so anyway.
        let n = r.nr_segments.min(r.segment.len());
        r.segment.get(..n).unwrap_or(&[])
    }

    /// Sets the entry point and the segments (`kimage_alloc_init()`), before they are checked;
    /// `EINVAL` if there are more than the structure holds (`kexec_load` refuses them before),
    /// or if the image has a control code page already (its segments were checked, and pages
    /// placed around them).
    pub fn set_segments(&mut self, start: c_ulong, segments: &[bindings::kexec_segment]) -> Result {
        let r = self.raw_mut();
        if !r.control_code_page.is_null() {
            return Err(EINVAL);
        }
        let to = r.segment.get_mut(..segments.len()).ok_or(EINVAL)?;
        for (d, s) in to.iter_mut().zip(segments) {
            *d = *s;
        }
        // INVARIANT: `segments.len()` is within the array, and the image has no control code
        // page yet (both checked above): its segments are to be checked before it gets one.
        r.nr_segments = segments.len();
        r.start = start;
        Ok(())
    }

    /// `kimage_is_destination_range()`: whether `[start, end]` meets a segment's destination.
    #[inline]
    pub fn is_destination(&self, start: c_ulong, end: c_ulong) -> bool {
        self.segments().iter().any(|s| {
            let last = s.mem.wrapping_add(s.memsz as c_ulong).wrapping_sub(1);
            end >= s.mem && start <= last
        })
    }

    /// `image->start`: the entry point.
    #[inline]
    pub fn start(&self) -> c_ulong {
        self.raw().start
    }

    /// Sets `image->start` (`machine_kexec()` stores what a `preserve_context` image returns).
    #[inline]
    pub fn set_start(&mut self, start: c_ulong) {
        self.raw_mut().start = start;
    }

    /// `image->head`: the first entry, what `relocate_kernel` starts the walk from.
    #[inline]
    pub fn head(&self) -> c_ulong {
        self.raw().head
    }

    /// The first slot of the entry list, `&image->head`, where a walk over it starts. By the
    /// type invariant the list from there is well formed.
    #[inline]
    pub fn head_slot(&self) -> *mut bindings::kimage_entry_t {
        // SAFETY: by the type invariant the structure is live; only the field's address is
        // taken.
        unsafe { ptr::addr_of_mut!((*self.ptr()).head) }
    }

    /// `kimage_add_entry()`: appends `entry` to the list. When the current page of the list is
    /// full, `new_page` is asked for a page to continue it in: the page's address in the direct
    /// map and its boot physical address, or `None` (then `ENOMEM`).
    ///
    /// # Safety
    ///
    /// A page `new_page` returns is `PAGE_SIZE` bytes that nothing else uses, which the image
    /// owns from then on (it is freed with the image, as the list names it).
    pub unsafe fn add_entry(
        &mut self,
        entry: c_ulong,
        new_page: impl FnOnce(&mut Self) -> Option<(*mut bindings::kimage_entry_t, c_ulong)>,
    ) -> Result {
        let p = self.ptr();
        // SAFETY: by the type invariant `entry` points at an initialised slot of the list at
        // or before `last_entry`, so the slot after a written one (at most `last_entry`)
        // exists; a new page is `PAGE_SIZE` bytes the image owns (this function's
        // `# Safety`), linked from the last slot of the current page, so its first
        // `ENTRIES_PER_PAGE - 1` slots take entries.
        unsafe {
            if *(*p).entry != 0 {
                (*p).entry = (*p).entry.add(1);
            }
            if (*p).entry == (*p).last_entry {
                let (ind, phys) = new_page(self).ok_or(ENOMEM)?;
                *(*p).entry = phys | IND_INDIRECTION;
                (*p).entry = ind;
                (*p).last_entry = ind.add(ENTRIES_PER_PAGE - 1);
            }
            // INVARIANT: the entry is written, and the slot after it, which now ends the list,
            // is initialised.
            *(*p).entry = entry;
            (*p).entry = (*p).entry.add(1);
            *(*p).entry = 0;
        }
        Ok(())
    }

    /// `kimage_terminate()`: ends the entry list with `IND_DONE`.
    #[inline]
    pub fn terminate(&mut self) {
        let p = self.ptr();
        // SAFETY: by the type invariant `entry` points at an initialised slot at or before
        // `last_entry`; a non-zero one is followed by a slot of the same page (as in
        // `add_entry`).
        unsafe {
            if *(*p).entry != 0 {
                (*p).entry = (*p).entry.add(1);
            }
            // INVARIANT: the list ends at the slot `entry` points at.
            *(*p).entry = IND_DONE;
        }
    }

    /// `image->control_code_page`: the page `relocate_kernel` is copied into, or null.
    #[inline]
    pub fn control_code_page(&self) -> *mut bindings::page {
        self.raw().control_code_page
    }

    /// Sets `image->control_code_page`.
    ///
    /// # Safety
    ///
    /// `page` is a control page of this image (from `kimage_alloc_control_pages()`).
    #[inline]
    pub unsafe fn set_control_code_page(&mut self, page: *mut bindings::page) {
        // INVARIANT: `page` is a control page of this image (this function's `# Safety`).
        self.raw_mut().control_code_page = page;
    }

    /// `image->swap_page`: the page a normal image's pages are swapped through, or null.
    #[inline]
    pub fn swap_page(&self) -> *mut bindings::page {
        self.raw().swap_page
    }

    /// Sets `image->swap_page`.
    ///
    /// # Safety
    ///
    /// `page` is a control page of this image (from `kimage_alloc_control_pages()`).
    #[inline]
    pub unsafe fn set_swap_page(&mut self, page: *mut bindings::page) {
        // INVARIANT: `page` is a control page of this image (this function's `# Safety`).
        self.raw_mut().swap_page = page;
    }

    /// `image->control_page`: where a crash image's next control pages are looked for.
    #[inline]
    pub fn control_page(&self) -> c_ulong {
        self.raw().control_page
    }

    /// Sets `image->control_page`.
    ///
    /// # Safety
    ///
    /// For a crash image, `addr` is in the crashkernel region or just past its end, and no
    /// control page of the image lies at or above it: the next control pages are taken from
    /// `addr` up, within the region.
    #[inline]
    pub unsafe fn set_control_page(&mut self, addr: c_ulong) {
        self.raw_mut().control_page = addr;
    }

    /// `&image->control_pages`: the list of the image's control pages.
    #[inline]
    pub fn control_pages(&mut self) -> *mut bindings::list_head {
        ptr::addr_of_mut!(self.raw_mut().control_pages)
    }

    /// `&image->dest_pages`: pages allocated for a destination before their source was loaded.
    #[inline]
    pub fn dest_pages(&mut self) -> *mut bindings::list_head {
        ptr::addr_of_mut!(self.raw_mut().dest_pages)
    }

    /// `&image->unusable_pages`: pages above the source memory limit, kept until the image goes.
    #[inline]
    pub fn unusable_pages(&mut self) -> *mut bindings::list_head {
        ptr::addr_of_mut!(self.raw_mut().unusable_pages)
    }

    /// `image->vmcoreinfo_data_copy`: the crash image's mapped copy of the vmcoreinfo, or null.
    #[inline]
    pub fn vmcoreinfo_data_copy(&self) -> *mut c_void {
        self.raw().vmcoreinfo_data_copy
    }

    /// Sets `image->vmcoreinfo_data_copy`, which `kimage_free()` unmaps.
    ///
    /// # Safety
    ///
    /// `copy` is null, or the `vmap()` of a control page of this image that stays mapped until
    /// the image is freed and is unmapped only there.
    #[inline]
    pub unsafe fn set_vmcoreinfo_data_copy(&mut self, copy: *mut c_void) {
        self.raw_mut().vmcoreinfo_data_copy = copy;
    }

    /// Whether the image was loaded by `kexec_file_load` (`image->file_mode`).
    #[inline]
    pub fn file_mode(&self) -> bool {
        self.raw().file_mode() != 0
    }

    /// Marks the image as one `kexec_file_load` builds (`image->file_mode`): buffers are then
    /// added with `kexec_add_buffer()`, and `kimage_free()` frees the loader's buffers with the
    /// image (`kimage_file_post_load_cleanup()`, which takes null ones).
    #[inline]
    pub fn set_file_mode(&mut self, on: bool) {
        self.raw_mut().set_file_mode(on.into());
    }

    /// `image->preserve_context`.
    #[inline]
    pub fn preserve_context(&self) -> bool {
        self.raw().preserve_context() != 0
    }

    /// Sets `image->preserve_context`.
    #[inline]
    pub fn set_preserve_context(&mut self, on: bool) {
        self.raw_mut().set_preserve_context(on.into());
    }

    /// The architecture's part of the image (`image->arch`), which no invariant of this type
    /// covers: the architecture's hooks keep their own.
    #[inline]
    pub fn arch(&self) -> &bindings::kimage_arch {
        &self.raw().arch
    }

    /// The architecture's part of the image, to change.
    #[inline]
    pub fn arch_mut(&mut self) -> &mut bindings::kimage_arch {
        &mut self.raw_mut().arch
    }
}

/// What `kexec_file_load` adds to an image.
#[cfg(CONFIG_KEXEC_FILE)]
impl Kimage {
    /// `kexec_add_buffer()`'s last step: appends a segment of `bufsz` bytes at `kbuf`, placed at
    /// `mem` for `memsz` bytes. `EINVAL` (as C) unless the image is in file mode, has room for
    /// another segment and has no control pages yet (they are placed around the segments).
    pub fn add_segment(
        &mut self,
        kbuf: *const c_void,
        bufsz: usize,
        mem: c_ulong,
        memsz: usize,
    ) -> Result {
        if !self.file_mode() {
            return Err(EINVAL);
        }
        let r = self.raw_mut();
        let head = ptr::addr_of!(r.control_pages);
        if !r.control_code_page.is_null() || !ptr::eq(r.control_pages.next, head) {
            return Err(EINVAL);
        }
        let n = r.nr_segments;
        let slot = r.segment.get_mut(n).ok_or(EINVAL)?;
        slot.__bindgen_anon_1.kbuf = kbuf.cast_mut();
        slot.bufsz = bufsz;
        slot.mem = mem;
        slot.memsz = memsz;
        // INVARIANT: `n` was within the array (`get_mut` above), and the image has no control
        // pages yet: its segments are to be checked before it gets one.
        r.nr_segments = n + 1;
        Ok(())
    }

    /// `image->elf_load_addr`: where a crash image's ELF core headers are loaded.
    #[inline]
    pub fn elf_load_addr(&self) -> c_ulong {
        self.raw().elf_load_addr
    }

    /// `image->elf_headers_sz`: the size in memory of a crash image's ELF core headers.
    #[inline]
    pub fn elf_headers_sz(&self) -> c_ulong {
        self.raw().elf_headers_sz
    }

    /// Takes `image->elf_headers` (the buffer `crash_load_segments()` built), leaving null and
    /// a size of 0 behind; the caller frees it with `vfree()`.
    #[inline]
    pub fn take_elf_headers(&mut self) -> *mut c_void {
        let r = self.raw_mut();
        r.elf_headers_sz = 0;
        core::mem::take(&mut r.elf_headers)
    }
}

#[cfg(CONFIG_CRASH_HOTPLUG)]
impl Kimage {
    /// `image->hotplug_support`: whether the kernel may update the image's elfcorehdr itself.
    #[inline]
    pub fn hotplug_support(&self) -> bool {
        self.raw().hotplug_support() != 0
    }

    /// Sets `image->hotplug_support`.
    #[inline]
    pub fn set_hotplug_support(&mut self, on: bool) {
        self.raw_mut().set_hotplug_support(on.into());
    }

    /// `image->elfcorehdr_index`: the segment holding the elfcorehdr, or negative if not known.
    #[inline]
    pub fn elfcorehdr_index(&self) -> crate::ffi::c_int {
        self.raw().elfcorehdr_index
    }

    /// Sets `image->elfcorehdr_index`.
    #[inline]
    pub fn set_elfcorehdr_index(&self, index: crate::ffi::c_int) {
        let p = self.ptr();
        // SAFETY: no invariant covers the hotplug fields. By the type invariant the structure
        // is live and only its owner changes it, here the holder of the kexec lock (the crash
        // hotplug handler); `Kimage` is not `Sync`, so no other thread uses it meanwhile.
        unsafe { (*p).elfcorehdr_index = index };
    }

    /// Sets `image->hp_action`, which the architecture's handler reads.
    #[inline]
    pub fn set_hp_action(&self, action: crate::ffi::c_int) {
        let p = self.ptr();
        // SAFETY: as in `set_elfcorehdr_index`.
        unsafe { (*p).hp_action = action };
    }

    /// Sets `image->elfcorehdr_updated`.
    #[inline]
    pub fn set_elfcorehdr_updated(&self, updated: bool) {
        let p = self.ptr();
        // SAFETY: as in `set_elfcorehdr_index`.
        unsafe { (*p).elfcorehdr_updated = updated };
    }
}

/// A complete image, owned; freed (`kimage_free()`) on drop.
///
/// # Invariants
///
/// `self.0` points to an image that satisfies [`Kimage`]'s invariants and is complete: its
/// segments were checked, its control pages allocated, the architecture prepared it
/// (`machine_kexec_prepare()`), its segments are loaded and its entry list ends with
/// `IND_DONE`. Nothing else refers to it: this value frees it.
pub struct OwnedKimage(NonNull<Kimage>);

impl OwnedKimage {
    /// Takes ownership of the image at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is a complete image of the kexec core (as the type invariant says) that nothing
    /// else refers to or frees.
    #[inline]
    pub unsafe fn from_raw(ptr: NonNull<bindings::kimage>) -> Self {
        // INVARIANT: a complete image nothing else refers to (this function's `# Safety`).
        Self(ptr.cast())
    }

    /// Gives the image up: the caller frees it (`kimage_free()`).
    #[inline]
    pub fn into_raw(self) -> NonNull<bindings::kimage> {
        let p = self.0.cast();
        core::mem::forget(self);
        p
    }
}

impl Deref for OwnedKimage {
    type Target = Kimage;

    #[inline]
    fn deref(&self) -> &Kimage {
        // SAFETY: by the type invariant the image is live and satisfies `Kimage`'s invariants;
        // only this value refers to it, and it changes nothing through `&self`.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for OwnedKimage {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: by the type invariant the image is the core's and nothing else refers to
        // it: what `kimage_free()` asks.
        unsafe { bindings::kimage_free(self.0.as_ptr().cast()) };
    }
}
