//! Secrets: random tokens, keyed hashes, password hashing (argon2id) and constant-time checks.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, AeadCore},
};
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The server's secret key: keys identity hashes and verification-code hashes.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// HMAC-SHA256 of `parts` joined unambiguously, hex-encoded.
    pub fn keyed_hash(&self, parts: &[&str]) -> String {
        let block: hmac::digest::Key<Hmac<Sha256>> = hmac_block_key(&self.0).into();
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&block);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The key as HMAC uses it (RFC 2104): one SHA-256 block, the key itself zero-padded, or
/// its digest when longer than a block. Built here so that keying cannot fail: the hash
/// of every identity depends on it, and no error value may stand in for one.
fn hmac_block_key(key: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    block
}

impl SecretKey {
    /// Encrypts with AES-256-GCM under a key derived from the secret key; the output is
    /// base64 of nonce and ciphertext, authenticated, so tampering is detected on open.
    pub fn seal(&self, plain: &[u8]) -> Result<String, CipherError> {
        let cipher = self.cipher()?;
        let nonce = Aes256Gcm::generate_nonce(&mut aes_gcm::aead::OsRng);
        let mut out = nonce.to_vec();
        out.extend(cipher.encrypt(&nonce, plain).map_err(|_| CipherError)?);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, CipherError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| CipherError)?;
        if bytes.len() < NONCE_BYTES {
            return Err(CipherError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        self.cipher()?
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| CipherError)
    }

    fn cipher(&self) -> Result<Aes256Gcm, CipherError> {
        let key =
            hex::decode(self.keyed_hash(&["aes-256-gcm data key"])).map_err(|_| CipherError)?;
        Aes256Gcm::new_from_slice(&key).map_err(|_| CipherError)
    }
}

const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error)]
#[error("sealed data could not be opened")]
pub struct CipherError;

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A new random secret of `bytes` bytes, URL-safe base64 (sessions, device tokens).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A random decimal string of `digits` digits (verification codes).
pub fn random_digits(digits: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..digits)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// `len` characters drawn uniformly from `alphabet` (generated passwords).
pub fn random_from(alphabet: &str, len: usize) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .filter_map(|_| chars.get(rng.gen_range(0..chars.len().max(1))).copied())
        .collect()
}

/// A random number in `range` (account IDs, APPIDs).
pub fn random_in(range: std::ops::RangeInclusive<u64>) -> u64 {
    rand::rngs::OsRng.gen_range(range)
}

/// SHA-256 of a high-entropy token, hex-encoded: what the database keeps of it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError;

/// Hashes on the blocking pool: argon2 is deliberately slow.
pub async fn hash_password(plain: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(plain.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| HashError)
    })
    .await
    .map_err(|_| HashError)?
}

/// Verifies on the blocking pool. With no stored hash it still spends the same work, so
/// an unknown account cannot be told from a wrong password by timing.
pub async fn verify_password(plain: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let ok = argon2().verify_password(plain.as_bytes(), &parsed).is_ok();
        ok && stored != DUMMY_HASH
    })
    .await
    .unwrap_or(false)
}

/// An argon2id hash at the same parameters, of a password nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$n4o8wSPMzC3p4Cq8r6Y6m4QbC7rF3V1aC3Y8n5H5bPg";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_hash_round_trip_uses_owasp_parameters() {
        let hash = hash_password("Secret#123".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("Secret#123".into(), Some(hash.clone())).await);
        assert!(!verify_password("Secret#124".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), None).await);
    }

    #[test]
    fn keyed_hash_is_rfc_2104_hmac_for_short_and_long_keys() {
        for key in [b"short".to_vec(), vec![7u8; 64], vec![9u8; 200]] {
            let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
            reference.update(&1u64.to_be_bytes());
            reference.update(b"x");
            let expected = hex::encode(reference.finalize().into_bytes());
            assert_eq!(SecretKey::new(key).keyed_hash(&["x"]), expected);
        }
    }

    #[test]
    fn keyed_hash_depends_on_key_and_part_boundaries() {
        let a = SecretKey::new(b"key-a".to_vec());
        let b = SecretKey::new(b"key-b".to_vec());
        assert_ne!(a.keyed_hash(&["x"]), b.keyed_hash(&["x"]));
        assert_ne!(a.keyed_hash(&["ab", "c"]), a.keyed_hash(&["a", "bc"]));
        assert_eq!(a.keyed_hash(&["x"]).len(), 64);
    }

    #[test]
    fn sealed_data_opens_only_with_the_same_key_and_untouched() {
        let a = SecretKey::new(b"key-a".to_vec());
        let sealed = a.seal(b"JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(a.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_ne!(a.seal(b"x").unwrap(), a.seal(b"x").unwrap());
        assert!(SecretKey::new(b"key-b".to_vec()).open(&sealed).is_err());
        let mut tampered = STANDARD.decode(&sealed).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(a.open(&STANDARD.encode(tampered)).is_err());
    }

    #[test]
    fn random_values_have_the_asked_shape() {
        let code = random_digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(random_token(32).len(), 43);
        assert!(constant_time_eq("123456", "123456"));
        assert!(!constant_time_eq("123456", "123457"));
    }
}
