//! Decompression bombs are refused from the header: a counting allocator proves that no
//! pixel-sized buffer is ever allocated while refusing them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use imgfront_engine::{EngineError, Settings, transform};
use imgfront_spec::{Config, Key, Spec};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        LARGEST.fetch_max(layout.size(), Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn bombs_are_refused_without_a_pixel_sized_allocation() {
    let c = Config::embedded();
    let key = Key::from_decoded(&c, "demo/bomb").expect("key");
    let ops = Spec::from_key_and_query(&c, key, "w=640&fmt=webp")
        .expect("ops")
        .ops;
    let settings = Settings::request(&c);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");
    for (name, w, h) in [
        ("giant-image.jpg", 20000u64, 14000u64),
        ("65536-uint32-limit.png", 65536, 65536),
    ] {
        let bytes = std::fs::read(format!("{dir}/{name}")).expect("bomb file");
        let base = CURRENT.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        LARGEST.store(0, Ordering::SeqCst);
        let result = transform(&bytes, &ops, &settings);
        let peak = PEAK.load(Ordering::SeqCst) - base;
        let largest = LARGEST.load(Ordering::SeqCst) as u64;
        assert!(
            matches!(result, Err(EngineError::SourceTooLarge(_))),
            "{name}: {result:?}"
        );
        // One row of RGB pixels would already be w*3 bytes; a frame would be w*h*3.
        assert!(
            largest < w * 3,
            "{name}: an allocation of {largest} bytes happened"
        );
        assert!(
            peak < 64 * 1024,
            "{name}: {peak} bytes were live at the peak"
        );
        println!(
            "{name}: refused; peak {peak} bytes, largest single allocation {largest} bytes (a frame is {} bytes)",
            w * h * 3
        );
    }
}
