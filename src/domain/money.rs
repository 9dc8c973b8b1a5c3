//! Money in yuan with at most two decimals, held as integer cents (never floats).

use std::fmt;

use super::DomainError;

/// A non-negative amount of yuan, in cents ("fen").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Larger than any real balance, small enough that cents never overflow.
const MAX_YUAN_DIGITS: usize = 13;

impl Money {
    pub fn from_cents(cents: i64) -> Self {
        Self(cents.max(0))
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses "12", "12.3" or "12.34"; refuses signs, exponents, spaces inside and a
    /// third decimal.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::new(field, msg!("err-amount-yuan-such-as-12"));
        let raw = raw.trim();
        let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > MAX_YUAN_DIGITS
            || !digits(whole)
            || frac.len() > 2
            || !digits(frac)
            || (raw.ends_with('.'))
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac_cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        Ok(Self(whole * 100 + frac_cents))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_to_cents_and_back() {
        assert_eq!(Money::parse("x", "0.37").unwrap().cents(), 37);
        assert_eq!(Money::parse("x", "12").unwrap().cents(), 1200);
        assert_eq!(Money::parse("x", "12.3").unwrap().cents(), 1230);
        assert_eq!(Money::parse("x", " 0.01 ").unwrap().to_string(), "0.01");
        assert_eq!(Money::from_cents(1205).to_string(), "12.05");
    }

    #[test]
    fn refuses_anything_but_plain_yuan() {
        for bad in [
            "",
            ".5",
            "1.",
            "-1",
            "+1",
            "1.234",
            "1e3",
            "1,00",
            "NaN",
            "0x10",
            "1 0",
            "99999999999999",
        ] {
            assert!(Money::parse("amount", bad).is_err(), "{bad}");
        }
    }
}
