//! The original's key: `{tenant}/{path…}`, decoded once and proven free of traversal.

use std::fmt;

use crate::config::Config;
use crate::error::{ErrorKind, SpecError};

/// A validated S3 key of an original. It always starts with a configured tenant id, has no empty,
/// `.` or `..` segments, no control characters or backslashes, and fits the length limit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    decoded: String,
    tenant_len: usize,
}

impl Key {
    /// Parses a percent-encoded URL path such as `/demo/shoes/red%20one.jpg`.
    pub fn from_url_path(config: &Config, path: &str) -> Result<Key, SpecError> {
        let rest = path
            .strip_prefix('/')
            .ok_or_else(|| SpecError::new(ErrorKind::BadPath, "path must start with '/'"))?;
        let mut segments = Vec::new();
        for raw in rest.split('/') {
            segments.push(decode_segment(raw)?);
        }
        Key::from_segments(config, segments)
    }

    /// Validates an already-decoded key as S3 stores it (`demo/shoes/red one.jpg`).
    pub fn from_decoded(config: &Config, key: &str) -> Result<Key, SpecError> {
        let segments = key.split('/').map(str::to_owned).collect();
        Key::from_segments(config, segments)
    }

    fn from_segments(config: &Config, segments: Vec<String>) -> Result<Key, SpecError> {
        if segments.len() < 2 || (segments.len() == 2 && segments[1].is_empty()) {
            return Err(SpecError::new(
                ErrorKind::BadPath,
                "path must be /{tenant}/{key} with a non-empty key",
            ));
        }
        for s in &segments {
            check_segment(s)?;
        }
        let decoded = segments.join("/");
        if decoded.len() > config.limits.max_key_bytes {
            return Err(SpecError::new(
                ErrorKind::TooLong,
                format!(
                    "key is {} bytes; the maximum is {}",
                    decoded.len(),
                    config.limits.max_key_bytes
                ),
            ));
        }
        let tenant = &segments[0];
        if !config.tenant_known(tenant) {
            return Err(SpecError::new(
                ErrorKind::UnknownTenant,
                format!("unknown tenant '{}'", printable(tenant)),
            ));
        }
        Ok(Key {
            tenant_len: tenant.len(),
            decoded,
        })
    }

    pub fn tenant(&self) -> &str {
        &self.decoded[..self.tenant_len]
    }

    /// The key as S3 stores it, without percent-encoding.
    pub fn as_str(&self) -> &str {
        &self.decoded
    }

    /// The key percent-encoded in the one canonical way: RFC 3986 unreserved bytes stay, every
    /// other byte becomes `%XX` with uppercase hex, and `/` separates segments.
    pub fn to_url_path(&self) -> String {
        encode_path(&self.decoded)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.decoded)
    }
}

fn check_segment(s: &str) -> Result<(), SpecError> {
    if s.is_empty() {
        return Err(SpecError::new(
            ErrorKind::BadPath,
            "empty path segment (double or trailing slash)",
        ));
    }
    if s == "." || s == ".." {
        return Err(SpecError::new(
            ErrorKind::Traversal,
            format!("path segment '{s}' is not allowed"),
        ));
    }
    if s.contains('\\') {
        return Err(SpecError::new(
            ErrorKind::Traversal,
            "backslash in path is not allowed",
        ));
    }
    if s.contains('/') {
        return Err(SpecError::new(
            ErrorKind::Traversal,
            "encoded slash (%2F) in path is not allowed",
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(SpecError::new(
            ErrorKind::BadPath,
            format!(
                "control character U+{:04X} in path is not allowed",
                u32::from(c)
            ),
        ));
    }
    // A `%XX` left after decoding means the URL was encoded twice: a rule that decodes once
    // (WAF's URL_DECODE) would see a different path than the key, so no spelling may rely on it.
    if let Some(i) = s.find('%')
        && s.as_bytes()
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    {
        return Err(SpecError::new(
            ErrorKind::BadEncoding,
            "double percent-encoding in path is not allowed",
        ));
    }
    Ok(())
}

/// Decodes one path segment. `+` stays a literal plus, as in any URL path.
fn decode_segment(raw: &str) -> Result<String, SpecError> {
    let bytes = percent_decode(raw.as_bytes(), false).ok_or_else(|| {
        SpecError::new(ErrorKind::BadEncoding, "invalid percent-encoding in path")
    })?;
    String::from_utf8(bytes)
        .map_err(|_| SpecError::new(ErrorKind::BadEncoding, "path is not valid UTF-8"))
}

/// Decodes `%XX` escapes (and `+` as space when `plus_is_space`); `None` on a malformed escape.
pub(crate) fn percent_decode(input: &[u8], plus_is_space: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => {
                let hi = hex_value(*input.get(i + 1)?)?;
                let lo = hex_value(*input.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn encode_path(decoded: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(decoded.len() + 8);
    for &b in decoded.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// Shortens and escapes attacker-controlled text before it is quoted in an error message.
pub fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(40).flat_map(char::escape_default).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}
