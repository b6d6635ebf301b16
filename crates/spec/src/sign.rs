//! URL signatures for private tenants: HMAC-SHA256 over the signing string, base64url without
//! padding, checked in constant time against each of a tenant's active keys (two during rotation).
//!
//! Signing string: `/{tenant}/{key}?{params}` where the key is percent-decoded and `params` is
//! every recognised parameter except `sig` (junk is excluded), as `name=value` with the decoded
//! value, sorted by name and joined with `&`. `exp` (Unix seconds) is a parameter, so it is signed.
//! The tenant is the first path segment and each tenant has its own keys, so one tenant's key can
//! never sign another tenant's path.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ViewerRequest;

/// Why a signed request was refused (the edge answers 403).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("this tenant requires a signature (sig)")]
    Missing,
    #[error("signature has expired")]
    Expired,
    #[error(
        "exp is more than a year ahead; signed URLs may live at most {MAX_LIFETIME_SECS} seconds"
    )]
    TooFarAhead,
    #[error("signature does not match")]
    Mismatch,
}

/// The longest a signed URL may stay valid: one year. An `exp` further ahead is refused, so a
/// leaked URL cannot outlive a key rotation cycle by decades.
pub const MAX_LIFETIME_SECS: u64 = 365 * 24 * 3600;

/// The signature of `signing_string` with `secret`.
pub fn sign(secret: &[u8], signing_string: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(secret, signing_string))
}

fn mac(secret: &[u8], signing_string: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signing_string.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Checks a viewer request's `sig` (and `exp` against `now`, Unix seconds) against `secrets`.
pub fn verify(request: &ViewerRequest, secrets: &[&[u8]], now: u64) -> Result<(), SignatureError> {
    let sig = request
        .signature
        .as_deref()
        .ok_or(SignatureError::Missing)?;
    if request.expires.is_some_and(|exp| exp <= now) {
        return Err(SignatureError::Expired);
    }
    if request
        .expires
        .is_some_and(|exp| exp > now.saturating_add(MAX_LIFETIME_SECS))
    {
        return Err(SignatureError::TooFarAhead);
    }
    let Ok(given) = URL_SAFE_NO_PAD.decode(sig) else {
        return Err(SignatureError::Mismatch);
    };
    // Every key is tried, so timing does not reveal which one matched.
    let mut ok = subtle::Choice::from(0);
    for secret in secrets {
        let expected = mac(secret, &request.signing_string);
        ok |= expected.as_slice().ct_eq(given.as_slice());
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}
