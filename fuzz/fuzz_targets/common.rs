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

/// Renders a generated source as the request path would: `w=64&fmt=png` under the repository's
/// configuration and request settings, the result ignored (a refusal is a fine outcome).
#[allow(dead_code)] // the engine target picks its own renders
pub fn render_small_png(source: &[u8]) {
    use imgfront_engine::{Settings, transform};
    use imgfront_spec::{Config, Key, Ops, Spec};
    use std::sync::LazyLock;

    static CONFIG: LazyLock<Config> = LazyLock::new(Config::embedded);
    static OPS: LazyLock<Ops> = LazyLock::new(|| {
        let key = Key::from_decoded(&CONFIG, "demo/fuzz").expect("key");
        Spec::from_key_and_query(&CONFIG, key, "w=64&fmt=png")
            .expect("ops")
            .ops
    });
    static SETTINGS: LazyLock<Settings> = LazyLock::new(|| Settings::request(&CONFIG));
    let _ = transform(source, &OPS, &SETTINGS);
}
