//! Shared by the fuzz targets: which panics count as crashes.

/// Keeps libFuzzer's abort-on-panic hook for panics in our crates only: a dependency's panic
/// unwinds into the pipeline's `catch_unwind` and becomes `Undecodable` (a 415 in our words),
/// exactly as in production, so only panics located in this workspace's crates are crashes. A
/// panic that cannot unwind (inside an `extern "C"` codec entry point) still aborts.
pub fn our_panics_only() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let ours = info.location().is_none_or(|l| {
            let file = l.file();
            file.contains("crates/") && !file.contains(".cargo/registry")
        });
        if ours {
            abort(info);
        }
    }));
}
