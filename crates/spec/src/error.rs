//! The one error type of the spec: a stable machine-readable kind plus a specific human message.

use std::fmt;

/// Why a request or canonical path was refused. The kinds are shared with the JS edge function
/// through `tests/vectors/canonical.json`, so they are part of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Malformed path: empty segments, control characters, missing key.
    BadPath,
    /// `..`, `.`, encoded slashes or backslashes: an attempt to leave the tenant's prefix.
    Traversal,
    /// Invalid percent-encoding or invalid (including overlong) UTF-8.
    BadEncoding,
    /// The first path segment is not a configured tenant.
    UnknownTenant,
    /// A recognised parameter with an unusable value.
    BadValue,
    /// A number outside its allowed range.
    OutOfRange,
    /// A recognised parameter given twice.
    RepeatedParam,
    /// Key, query string or value longer than its limit.
    TooLong,
    /// A path given to the canonical parser that is not exactly canonical.
    NotCanonical,
    /// A viewer path spelled other than in its one canonical percent-encoding (an encoded
    /// unreserved character, lowercase hex, a literal reserved character): the viewer is sent to
    /// the canonical spelling, so path patterns and WAF rules only ever see that one.
    Moved,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadPath => "bad_path",
            ErrorKind::Traversal => "traversal",
            ErrorKind::BadEncoding => "bad_encoding",
            ErrorKind::UnknownTenant => "unknown_tenant",
            ErrorKind::BadValue => "bad_value",
            ErrorKind::OutOfRange => "out_of_range",
            ErrorKind::RepeatedParam => "repeated_param",
            ErrorKind::TooLong => "too_long",
            ErrorKind::NotCanonical => "not_canonical",
            ErrorKind::Moved => "moved",
        }
    }

    /// The HTTP status the edge and the transform function answer with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::UnknownTenant => 404,
            ErrorKind::Moved => 301,
            _ => 400,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub kind: ErrorKind,
    pub message: String,
    /// Where a [`ErrorKind::Moved`] request goes instead: the canonical path plus the query.
    pub location: Option<String>,
}

impl SpecError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> SpecError {
        SpecError {
            kind,
            message: message.into(),
            location: None,
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}
