//! Typed engine errors, each mapped to the HTTP status the functions answer with.

/// Why a source could not be turned into a derivative.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EngineError {
    /// The source is over the byte or pixel limit; refused before any pixel was allocated.
    #[error("source is too large: {0}")]
    SourceTooLarge(String),
    /// The bytes claim a supported format but cannot be decoded (corrupt, truncated, hostile).
    #[error("source cannot be decoded: {0}")]
    Undecodable(String),
    /// The bytes are not an image format imgfront reads.
    #[error("unsupported source format: {0}")]
    UnsupportedFormat(String),
    /// A fault of ours, not of the input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngineError {
    pub fn status(&self) -> u16 {
        match self {
            EngineError::SourceTooLarge(_) => 413,
            EngineError::Undecodable(_) | EngineError::UnsupportedFormat(_) => 415,
            EngineError::Internal(_) => 500,
        }
    }

    /// A stable machine-readable name, for JSON error bodies and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineError::SourceTooLarge(_) => "source_too_large",
            EngineError::Undecodable(_) => "undecodable",
            EngineError::UnsupportedFormat(_) => "unsupported_format",
            EngineError::Internal(_) => "internal",
        }
    }
}

pub(crate) fn undecodable(what: impl std::fmt::Display) -> EngineError {
    EngineError::Undecodable(what.to_string())
}

pub(crate) fn internal(what: impl std::fmt::Display) -> EngineError {
    EngineError::Internal(what.to_string())
}
