//! Process set-up shared by the Lambda functions: required environment variables with a
//! specific error, and JSON logging, one object per line on stdout, where CloudWatch Logs
//! picks it up. `RUST_LOG` names a level (`error` … `trace`, default `info`); a level is all the
//! functions need, which spares the zip a regex engine.

use tracing::level_filters::LevelFilter;

/// A required environment variable, or an error naming it.
pub fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}

/// The level `RUST_LOG` names, or `info`.
pub fn level_from(value: Option<&str>) -> LevelFilter {
    value
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Installs the JSON subscriber; call once at start-up.
pub fn init_json_logs() {
    let level = level_from(std::env::var("RUST_LOG").ok().as_deref());
    tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_current_span(false)
        .without_time()
        .with_ansi(false)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_default_to_info() {
        assert_eq!(level_from(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(level_from(Some("WARN")), LevelFilter::WARN);
        assert_eq!(level_from(Some("nonsense")), LevelFilter::INFO);
        assert_eq!(level_from(None), LevelFilter::INFO);
    }
}
