//! The `DateTime` scalar: one instant in UTC, always RFC 3339 with six fraction digits
//! and `Z` (`2026-12-03T09:00:00.123456Z`), whatever precision the value was stored with.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};

/// An instant as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub chrono::DateTime<Utc>);

/// An instant in UTC, RFC 3339 with exactly six fraction digits and `Z`, e.g.
/// `2026-12-03T09:00:00.123456Z`.
#[Scalar(name = "DateTime")]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|at| Self(at.with_timezone(&Utc)))
            .map_err(|_| {
                InputValueError::custom("an RFC 3339 date-time, e.g. 2026-12-03T09:00:00Z")
            })
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl From<chrono::DateTime<Utc>> for Timestamp {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        Self(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_instant_has_six_fraction_digits() {
        let whole = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
        let nanos = whole + chrono::Duration::nanoseconds(123_456_789);
        let millis = whole + chrono::Duration::milliseconds(120);
        for (at, shown) in [
            (whole, "2026-12-03T09:00:00.000000Z"),
            (nanos, "2026-12-03T09:00:00.123456Z"),
            (millis, "2026-12-03T09:00:00.120000Z"),
        ] {
            assert_eq!(Timestamp(at).to_value(), Value::String(shown.to_owned()));
        }
        let parsed = Timestamp::parse(Value::String("2026-12-03T17:00:00+08:00".into())).unwrap();
        assert_eq!(parsed.0, whole);
    }
}
