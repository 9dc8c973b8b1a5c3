//! LOG-07: per-day failed-password counting, captcha and lock decisions.

use chrono::{DateTime, FixedOffset, Offset, TimeDelta, Utc};

use super::SitePolicy;

/// The site's clock for "per day"; an out-of-range configured offset falls back to UTC rather
/// than failing every sign-in.
pub fn site_offset(policy: &SitePolicy) -> FixedOffset {
    policy
        .lockout_day_utc_offset_hours
        .checked_mul(3600)
        .and_then(FixedOffset::east_opt)
        .unwrap_or_else(|| Utc.fix())
}

/// `YYYY-MM-DD` of the site's calendar day containing `now`: the counter's key.
pub fn day_key(now: DateTime<Utc>, policy: &SitePolicy) -> String {
    now.with_timezone(&site_offset(policy))
        .format("%Y-%m-%d")
        .to_string()
}

/// The day keys whose counters may still hold a lock in force at `now`, today first.
/// A lock runs `lock_duration` from the day's first failure, so it can outlive its day (CHINA:
/// 24 h from a morning failure ends the next morning); the caller loads these and uses
/// [`gate_with_history`].
pub fn lock_day_keys(now: DateTime<Utc>, policy: &SitePolicy) -> Vec<String> {
    let offset = site_offset(policy);
    let today = now.with_timezone(&offset).date_naive();
    let earliest = now
        .checked_sub_signed(policy.lock_duration)
        .map_or(today, |t| t.with_timezone(&offset).date_naive());
    let mut keys: Vec<String> = earliest
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    keys.reverse();
    keys
}

/// One account's failures on one site day, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureCounter {
    pub failures: i32,
    pub first_failure_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl FailureCounter {
    /// The lock end, also derived from the count in case it was not stored with the failure.
    fn lock_end(&self, policy: &SitePolicy) -> Option<DateTime<Utc>> {
        self.locked_until
            .or_else(|| lock_until_after_failure(self.failures, self.first_failure_at, policy))
    }
}

/// What a password attempt must pass before the password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordGate {
    Open,
    CaptchaRequired,
    /// Refused even with the right password (LOG-07).
    Locked {
        until: DateTime<Utc>,
    },
}

/// The gate for today's counter (`None`: no failure today).
pub fn gate(
    counter: Option<&FailureCounter>,
    now: DateTime<Utc>,
    policy: &SitePolicy,
) -> PasswordGate {
    gate_with_history(counter, [], now, policy)
}

/// Like [`gate`], but also honours locks still in force from the earlier days of
/// [`lock_day_keys`]; only today's count asks for a captcha.
pub fn gate_with_history<'a>(
    today: Option<&'a FailureCounter>,
    earlier: impl IntoIterator<Item = &'a FailureCounter>,
    now: DateTime<Utc>,
    policy: &SitePolicy,
) -> PasswordGate {
    let lock = today
        .into_iter()
        .chain(earlier)
        .filter_map(|c| c.lock_end(policy))
        .filter(|until| now < *until)
        .max();
    match (lock, today) {
        (Some(until), _) => PasswordGate::Locked { until },
        (None, Some(c)) if c.failures >= policy.captcha_after_failures => {
            PasswordGate::CaptchaRequired
        }
        _ => PasswordGate::Open,
    }
}

/// The lock to store after a failure brought the day's count to `failures_after_increment`:
/// counted from the day's first failure, as LOG-07 says.
pub fn lock_until_after_failure(
    failures_after_increment: i32,
    first_failure_at: DateTime<Utc>,
    policy: &SitePolicy,
) -> Option<DateTime<Utc>> {
    if failures_after_increment < policy.lock_after_failures {
        return None;
    }
    // Saturate rather than fail: an absurd configured duration still means "locked".
    Some(
        first_failure_at
            .checked_add_signed(policy.lock_duration)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// How long until `until`, for "try again in …" messages; zero once passed.
pub fn remaining(until: DateTime<Utc>, now: DateTime<Utc>) -> TimeDelta {
    (until - now).max(TimeDelta::zero())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::domain::Site;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn china() -> SitePolicy {
        SitePolicy::default_for(Site::China)
    }

    fn intl() -> SitePolicy {
        SitePolicy::default_for(Site::International)
    }

    fn counter(failures: i32, first: &str, policy: &SitePolicy) -> FailureCounter {
        let first_failure_at = at(first);
        FailureCounter {
            failures,
            first_failure_at,
            locked_until: lock_until_after_failure(failures, first_failure_at, policy),
        }
    }

    #[test]
    fn day_key_follows_the_china_calendar_day() {
        // RULE LOG-07 (per day = Beijing day on CHINA)
        let p = china();
        assert_eq!(day_key(at("2024-03-01T15:59:59Z"), &p), "2024-03-01");
        assert_eq!(day_key(at("2024-03-01T16:00:00Z"), &p), "2024-03-02");
    }

    #[test]
    fn day_key_follows_utc_on_international() {
        // RULE LOG-07
        let p = intl();
        assert_eq!(day_key(at("2024-03-01T23:59:59Z"), &p), "2024-03-01");
        assert_eq!(day_key(at("2024-03-02T00:00:00Z"), &p), "2024-03-02");
        assert_eq!(day_key(at("2024-03-01T16:00:00Z"), &p), "2024-03-01");
    }

    #[test]
    fn invalid_offset_falls_back_to_utc() {
        let mut p = china();
        p.lockout_day_utc_offset_hours = 99;
        assert_eq!(day_key(at("2024-03-01T23:00:00Z"), &p), "2024-03-01");
    }

    #[test]
    fn gate_opens_then_asks_for_captcha_then_locks() {
        // RULE LOG-07
        let p = intl();
        let now = at("2024-03-01T10:30:00Z");
        assert_eq!(gate(None, now, &p), PasswordGate::Open);
        let two = counter(2, "2024-03-01T10:00:00Z", &p);
        assert_eq!(gate(Some(&two), now, &p), PasswordGate::Open);
        let three = counter(3, "2024-03-01T10:00:00Z", &p);
        assert_eq!(gate(Some(&three), now, &p), PasswordGate::CaptchaRequired);
        let nine = counter(9, "2024-03-01T10:00:00Z", &p);
        assert_eq!(gate(Some(&nine), now, &p), PasswordGate::CaptchaRequired);
        let ten = counter(10, "2024-03-01T10:00:00Z", &p);
        let until = at("2024-03-01T11:00:00Z");
        assert_eq!(gate(Some(&ten), now, &p), PasswordGate::Locked { until });
        assert_eq!(remaining(until, now), TimeDelta::minutes(30));
    }

    #[test]
    fn lock_counts_from_the_first_failure_of_the_day() {
        // RULE LOG-07
        let first = at("2024-03-01T01:00:00Z");
        assert_eq!(lock_until_after_failure(9, first, &intl()), None);
        assert_eq!(
            lock_until_after_failure(10, first, &intl()),
            Some(at("2024-03-01T02:00:00Z"))
        );
        assert_eq!(
            lock_until_after_failure(11, first, &china()),
            Some(at("2024-03-02T01:00:00Z"))
        );
    }

    #[test]
    fn international_lock_ends_after_an_hour_but_captcha_stays_that_day() {
        // RULE LOG-07
        let p = intl();
        let ten = counter(10, "2024-03-01T10:00:00Z", &p);
        assert!(matches!(
            gate(Some(&ten), at("2024-03-01T10:59:59Z"), &p),
            PasswordGate::Locked { .. }
        ));
        assert_eq!(
            gate(Some(&ten), at("2024-03-01T11:00:00Z"), &p),
            PasswordGate::CaptchaRequired
        );
    }

    #[test]
    fn lock_is_derived_from_the_count_when_not_stored() {
        // RULE LOG-07
        let p = china();
        let mut ten = counter(10, "2024-03-01T01:00:00Z", &p);
        ten.locked_until = None;
        assert_eq!(
            gate(Some(&ten), at("2024-03-01T05:00:00Z"), &p),
            PasswordGate::Locked {
                until: at("2024-03-02T01:00:00Z")
            }
        );
    }

    #[test]
    fn china_lock_outlives_its_day() {
        // RULE LOG-07: 24 h from the first failure crosses into the next Beijing day
        let p = china();
        let yesterday = counter(10, "2024-03-01T02:00:00Z", &p); // 10:00 Beijing, 1 March
        let now = at("2024-03-01T20:00:00Z"); // 04:00 Beijing, 2 March
        assert_eq!(
            lock_day_keys(now, &p),
            vec!["2024-03-02".to_owned(), "2024-03-01".to_owned()]
        );
        let until = at("2024-03-02T02:00:00Z");
        assert_eq!(
            gate_with_history(None, [&yesterday], now, &p),
            PasswordGate::Locked { until }
        );
        assert_eq!(
            gate_with_history(None, [&yesterday], until, &p),
            PasswordGate::Open
        );
    }

    #[test]
    fn international_lock_keys_cover_only_the_lock_duration() {
        let p = intl();
        assert_eq!(
            lock_day_keys(at("2024-03-02T05:00:00Z"), &p),
            vec!["2024-03-02".to_owned()]
        );
        assert_eq!(
            lock_day_keys(at("2024-03-02T00:30:00Z"), &p),
            vec!["2024-03-02".to_owned(), "2024-03-01".to_owned()]
        );
    }
}
