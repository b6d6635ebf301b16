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
    /// The source is valid but would cost more than a render may spend (an SVG's reference
    /// cycle, filter or path data over a documented limit); the message names the limit.
    #[error("{0}")]
    TooComplex(String),
    /// The bytes are not an image format imgfront reads.
    #[error("unsupported source format: {0}")]
    UnsupportedFormat(String),
    /// A fault of ours, not of the input.
    #[error("internal error: {0}")]
    Internal(String),
    /// Whoever asked for the render stopped waiting for it ([`crate::interrupt::Cancel`]).
    #[error("the render was cancelled: nobody waits for it any more")]
    Cancelled,
}

impl EngineError {
    pub fn status(&self) -> u16 {
        match self {
            EngineError::SourceTooLarge(_) => 413,
            EngineError::TooComplex(_) => 422,
            EngineError::Undecodable(_) | EngineError::UnsupportedFormat(_) => 415,
            EngineError::Internal(_) => 500,
            // nginx's "client closed request": nobody reads it, and nothing caches it.
            EngineError::Cancelled => 499,
        }
    }

    /// A stable machine-readable name, for JSON error bodies and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineError::SourceTooLarge(_) => "source_too_large",
            EngineError::TooComplex(_) => "too_complex",
            EngineError::Undecodable(_) => "undecodable",
            EngineError::UnsupportedFormat(_) => "unsupported_format",
            EngineError::Internal(_) => "internal",
            EngineError::Cancelled => "cancelled",
        }
    }
}

pub(crate) fn undecodable(what: impl std::fmt::Display) -> EngineError {
    EngineError::Undecodable(what.to_string())
}

pub(crate) fn too_complex(what: impl std::fmt::Display) -> EngineError {
    EngineError::TooComplex(what.to_string())
}

pub(crate) fn internal(what: impl std::fmt::Display) -> EngineError {
    EngineError::Internal(what.to_string())
}

/// A message of ours carried through an unwind out of C code (libjpeg's error handler), so the
/// pipeline can tell it from a dependency's panic, whose text never reaches a response.
pub(crate) struct UnwindMessage(pub String);
