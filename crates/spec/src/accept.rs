//! `fmt=auto`: picks the best format a browser's `Accept` header allows (avif > webp > jpeg).

use crate::types::Format;

/// Resolves `fmt=auto`. Only explicit `image/avif` and `image/webp` count: `*/*` is sent by
/// clients that cannot decode either. A media range whose `q` is zero is refused, as RFC 9110 says.
pub fn negotiate(accept: Option<&str>) -> Format {
    let accepts = |wanted: &str| {
        accept.is_some_and(|header| {
            header.split(',').any(|range| {
                let mut parts = range.split(';');
                let media = parts.next().unwrap_or("").trim();
                media.eq_ignore_ascii_case(wanted) && !parts.any(|p| is_zero_q(p.trim()))
            })
        })
    };
    if accepts("image/avif") {
        Format::Avif
    } else if accepts("image/webp") {
        Format::Webp
    } else {
        Format::Jpeg
    }
}

/// `q=0`, `q=0.`, `q=0.0`, `q=0.00` or `q=0.000` (the only zero weights RFC 9110 allows).
fn is_zero_q(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    if !name.trim().eq_ignore_ascii_case("q") {
        return false;
    }
    let value = value.trim();
    let Some(rest) = value.strip_prefix('0') else {
        return false;
    };
    match rest.strip_prefix('.') {
        None => rest.is_empty(),
        Some(zeros) => zeros.len() <= 3 && zeros.bytes().all(|b| b == b'0'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers() {
        let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        let safari16 = "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
        let firefox_old = "image/webp,*/*";
        assert_eq!(negotiate(Some(chrome)), Format::Avif);
        assert_eq!(negotiate(Some(safari16)), Format::Avif);
        assert_eq!(negotiate(Some(firefox_old)), Format::Webp);
        assert_eq!(negotiate(Some("*/*")), Format::Jpeg);
        assert_eq!(negotiate(None), Format::Jpeg);
        assert_eq!(negotiate(Some("image/avif;q=0, image/webp")), Format::Webp);
        assert_eq!(
            negotiate(Some("IMAGE/AVIF ; Q=0.000,image/webp;q=0")),
            Format::Jpeg
        );
        assert_eq!(negotiate(Some("image/avif;q=0.001")), Format::Avif);
    }
}
