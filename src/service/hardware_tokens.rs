//! The inventory of hardware MFA tokens the provider sold (MFA-01): serial and TOTP secret,
//! the secret sealed like every other stored secret.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use totp_rs::Secret;

use super::{ErrorCode, ServiceError, ServiceResult};
use crate::{crypto::SecretKey, db, domain::DomainError};

/// RFC 4226 asks for at least 128 bits and accepts no fewer than 80 in practice.
const MIN_SECRET_BYTES: usize = 10;
const MAX_SECRET_BYTES: usize = 64;
const MAX_SERIAL_CHARS: usize = 64;

/// A serial number as printed on the token: letters, digits and dashes, upper-cased.
pub fn parse_serial(raw: &str) -> Result<String, DomainError> {
    let serial = raw.trim().to_ascii_uppercase();
    let len = serial.chars().count();
    if len == 0
        || len > MAX_SERIAL_CHARS
        || !serial
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(DomainError::new(
            "serialNumber",
            msg!("err-serial-number-1-64-letters"),
        ));
    }
    Ok(serial)
}

/// A base32 TOTP secret of 80 to 512 bits.
pub fn parse_secret(raw: &str) -> Result<Vec<u8>, DomainError> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bytes = Secret::Encoded(compact)
        .to_bytes()
        .map_err(|_| DomainError::new("secret", msg!("err-base32-totp-secret-z-2")))?;
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
        return Err(DomainError::new(
            "secret",
            msg!("err-totp-secret-80-512-bits"),
        ));
    }
    Ok(bytes)
}

/// Records a sold token; a serial is registered once.
pub async fn register(
    db_conn: &sea_orm::DatabaseConnection,
    secret_key: &SecretKey,
    raw_serial: &str,
    raw_secret: &str,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let serial = parse_serial(raw_serial)?;
    let secret = parse_secret(raw_secret)?;
    let sealed = secret_key.seal(&secret).map_err(ServiceError::internal)?;
    let inserted = entity::hardware_tokens::ActiveModel {
        serial_number: Set(serial.clone()),
        secret_enc: Set(sealed),
        registered_at: Set(now),
        ..Default::default()
    }
    .insert(db_conn)
    .await;
    match inserted {
        Ok(_) => Ok(format!("hardware token {serial} registered")),
        Err(err) if db::is_unique_violation(&err) => Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "serialNumber",
            msg!("err-token-serial-number-already-registered"),
        )),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn serials_and_secrets_are_checked() {
        assert_eq!(parse_serial(" hw-0001 ").unwrap(), "HW-0001");
        assert!(parse_serial("").is_err());
        assert!(parse_serial("bad serial").is_err());
        assert_eq!(parse_secret("JBSWY3DPEHPK3PXP").unwrap().len(), 10);
        assert!(parse_secret("JBSWY3DP").is_err(), "40 bits is too short");
        assert!(parse_secret("not base32!").is_err());
    }
}
