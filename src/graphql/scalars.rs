//! The `DateTime` scalar: one instant in UTC, always RFC 3339 with six fraction digits
//! and `Z` (`2026-12-03T09:00:00.123456Z`), whatever precision the value was stored with.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

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
        Value::String(rfc3339_micros(&self.0))
    }
}

/// `to_rfc3339_opts(SecondsFormat::Micros, true)` written digit by digit: a console page
/// shows hundreds of instants, and chrono's formatting machinery spent several times this
/// on each. Years outside 0..=9999 and leap seconds take chrono's own path.
fn rfc3339_micros(at: &DateTime<Utc>) -> String {
    let naive = at.naive_utc();
    let (year, nanos) = (naive.year(), naive.nanosecond());
    let (Ok(year @ 0..=9999), 0..=999_999_999) = (u32::try_from(year), nanos) else {
        return at.to_rfc3339_opts(SecondsFormat::Micros, true);
    };
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    for (end, mut value) in [
        (4, year),
        (7, naive.month()),
        (10, naive.day()),
        (13, naive.hour()),
        (16, naive.minute()),
        (19, naive.second()),
        (26, nanos / 1000),
    ] {
        // Digits from the right; the template's zeros pad the rest.
        for slot in text[..end].iter_mut().rev() {
            if value == 0 {
                break;
            }
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    String::from_utf8_lossy(&text).into_owned()
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

    #[test]
    fn the_fast_writer_answers_as_chrono_does() {
        let chrono_way = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let mut at = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
        // Steps of prime length cover every field's digits across 10,000 years.
        let step =
            chrono::Duration::seconds(7_919 * 3_607) + chrono::Duration::nanoseconds(123_457);
        while at.year() < 10_000 {
            assert_eq!(rfc3339_micros(&at), chrono_way(at));
            at += step;
        }
        let edges = [
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::nanoseconds(999_999_999),
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2024, 2, 29, 0, 0, 0).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ];
        for at in edges {
            assert_eq!(rfc3339_micros(&at), chrono_way(at));
        }
    }
}
