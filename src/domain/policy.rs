//! `SitePolicy`: every number of RULES.md per site, with documented defaults and overrides.

mod config_value;

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer, Serialize};

use super::Site;
use super::password::{DEFAULT_MAX_CHARS, DEFAULT_MIN_CHARS};

/// Generates `SitePolicy` and its all-optional twin `SitePolicyOverlay` from one field list, so a
/// new number cannot be added to one and forgotten in the other.
macro_rules! site_policy {
    ($($(#[$meta:meta])* $field:ident: $ty:ty,)+) => {
        /// The numbers of RULES.md for one site. Serialised in full (durations as seconds);
        /// a partial config goes through [`SitePolicyOverlay`] or [`Policies`].
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SitePolicy {
            $(
                $(#[$meta])*
                #[serde(with = "config_value::plain")]
                pub $field: $ty,
            )+
        }

        /// A partial `SitePolicy`: each field that is present replaces the site's own value.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct SitePolicyOverlay {
            $(
                #[serde(with = "config_value::optional")]
                pub $field: Option<$ty>,
            )+
        }

        impl SitePolicyOverlay {
            pub fn apply(self, mut base: SitePolicy) -> SitePolicy {
                $(
                    if let Some(value) = self.$field {
                        base.$field = value;
                    }
                )+
                base
            }
        }
    };
}

site_policy! {
    /// ACC-07: accounts one mobile number may be the secure phone of (per site).
    phone_binding_limit: i32,
    /// ACC-10: find-account requests per phone/e-mail/account ID in `find_account_window`.
    find_account_limit_per_target: i32,
    /// ACC-10: find-account requests per client address in `find_account_window`.
    find_account_limit_per_client: i32,
    find_account_window: TimeDelta,
    /// REC-05: find-login-methods requests per account ID and per client address in
    /// `find_login_methods_window`.
    find_login_methods_per_account: i32,
    find_login_methods_per_client: i32,
    find_login_methods_window: TimeDelta,
    /// REC-01, REC-03, REC-04, REC-06: recovery requests (password resets, applications,
    /// identity look-ups, phone releases) per target (phone, e-mail, account ID or identity)
    /// and per client address in `recovery_window`.
    recovery_per_target: i32,
    recovery_per_client: i32,
    recovery_window: TimeDelta,
    /// REC-03: applications one account may receive in `recovery_applications_window`.
    recovery_applications_per_account: i32,
    recovery_applications_window: TimeDelta,
    /// REC-06: how long a holder of a number may keep it after a release was asked for.
    phone_release_wait: TimeDelta,
    /// Sign-in attempts of any kind from one client address in `sign_in_client_window`:
    /// stops one client spraying guesses over many accounts (LOG-07 counts per account).
    sign_ins_per_client: i32,
    sign_in_client_window: TimeDelta,
    /// Verification codes one client address may ask for in `codes_client_window`.
    codes_per_client: i32,
    codes_client_window: TimeDelta,
    /// Registration attempts from one client address in `registration_client_window`.
    registrations_per_client: i32,
    registration_client_window: TimeDelta,
    /// LOG-06: password length.
    password_min_chars: usize,
    password_max_chars: usize,
    /// LOG-07: failures in a day after which every attempt needs a captcha.
    captcha_after_failures: i32,
    /// LOG-07: failures in a day that lock password sign-in.
    lock_after_failures: i32,
    /// LOG-07: how long the lock lasts, counted from the day's first failure.
    lock_duration: TimeDelta,
    /// LOG-07: the "day" is the site's calendar day at this UTC offset.
    lockout_day_utc_offset_hours: i32,
    /// Verification codes: lifetime, minimum gap between sends, wrong tries that burn a code.
    code_ttl: TimeDelta,
    code_resend_interval: TimeDelta,
    code_max_attempts: i32,
    /// LOG-09.
    session_ttl: TimeDelta,
    /// NTF-05: a network that signed in to the principal within this period is familiar.
    familiar_network_period: TimeDelta,
    /// NTF-05: a sign-in after this long without one is told to the owner (a reminder).
    dormant_after: TimeDelta,
    /// MFA-06: time to answer the second factor after the password.
    login_challenge_ttl: TimeDelta,
    /// MFA-06.
    trusted_device_ttl: TimeDelta,
    /// VER-08.
    individual_identity_quota: i32,
    /// VER-09: default; an operator may raise it for one enterprise.
    enterprise_identity_quota: i32,
    /// VER-04.
    minimum_age_years: u32,
    /// VER-15: minimum gap between completed verification changes.
    verification_change_interval: TimeDelta,
    /// VER-11: time to enter the amount, counted from the payment.
    remittance_window: TimeDelta,
    remittance_attempts: i32,
    remittance_min_cents: i64,
    remittance_max_cents: i64,
    /// VER-12: an amount below 1 yuan, to be paid within the window.
    recharge_min_cents: i64,
    recharge_max_cents: i64,
    recharge_window: TimeDelta,
    /// VER-07: a licence younger than this is not yet in the registry.
    license_registry_delay_working_days: u32,
    /// VER-03: expected manual review time, shown to the user.
    review_expected_business_days_min: u32,
    review_expected_business_days_max: u32,
    /// VER-16.
    change_review_expected_business_days: u32,
    /// SUB-02: sub-users plus collaborators per root account.
    member_limit: i32,
    /// SUB-05: per principal.
    access_key_limit: i32,
    /// MFA-02.
    mfa_devices_per_principal: i32,
    /// MFA-01.
    mfa_totp_step_seconds: u64,
    mfa_totp_digits: u32,
    /// MFA-04: steps accepted either side of the current one.
    mfa_allowed_skew_steps: u64,
    /// MFA-03: time to confirm a new virtual device with a code.
    mfa_binding_ttl: TimeDelta,
    mfa_recovery_codes: usize,
    /// MFA-04: wrong codes one principal may give in `mfa_wrong_code_window`, over every
    /// path that checks a code; then every check is refused until the window ends.
    mfa_wrong_code_limit: i32,
    mfa_wrong_code_window: TimeDelta,
    /// MFA-04: wrong codes tried against one hardware token's serial in the same window.
    mfa_wrong_codes_per_serial: i32,
    /// CAN-02.
    cancellation_cooling_off: TimeDelta,
    /// PRJ-01.
    project_name_max_chars: usize,
}

impl SitePolicy {
    /// The site's calendar date at `now` (ages and working days count in the site's time zone).
    pub fn local_date(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        (now + TimeDelta::hours(i64::from(self.lockout_day_utc_offset_hours))).date_naive()
    }

    /// The values RULES.md documents for `site`.
    pub fn default_for(site: Site) -> Self {
        let china = site == Site::China;
        Self {
            phone_binding_limit: 5,
            find_account_limit_per_target: 5,
            find_account_limit_per_client: 20,
            find_account_window: TimeDelta::hours(1),
            find_login_methods_per_account: 5,
            find_login_methods_per_client: 20,
            find_login_methods_window: TimeDelta::hours(1),
            recovery_per_target: 5,
            recovery_per_client: 20,
            recovery_window: TimeDelta::hours(1),
            recovery_applications_per_account: 3,
            recovery_applications_window: TimeDelta::hours(24),
            phone_release_wait: TimeDelta::days(7),
            sign_ins_per_client: 120,
            sign_in_client_window: TimeDelta::minutes(10),
            codes_per_client: 30,
            codes_client_window: TimeDelta::hours(1),
            registrations_per_client: 60,
            registration_client_window: TimeDelta::hours(1),
            password_min_chars: DEFAULT_MIN_CHARS,
            password_max_chars: DEFAULT_MAX_CHARS,
            captcha_after_failures: 3,
            lock_after_failures: 10,
            lock_duration: TimeDelta::hours(if china { 24 } else { 1 }),
            lockout_day_utc_offset_hours: if china { 8 } else { 0 },
            code_ttl: TimeDelta::minutes(10),
            code_resend_interval: TimeDelta::seconds(60),
            code_max_attempts: 5,
            session_ttl: TimeDelta::hours(12),
            familiar_network_period: TimeDelta::days(90),
            dormant_after: TimeDelta::days(30),
            login_challenge_ttl: TimeDelta::minutes(5),
            trusted_device_ttl: TimeDelta::days(7),
            individual_identity_quota: 3,
            enterprise_identity_quota: if china { 3 } else { 10 },
            minimum_age_years: 18,
            verification_change_interval: TimeDelta::days(30),
            remittance_window: TimeDelta::days(7),
            remittance_attempts: 2,
            remittance_min_cents: 1,
            remittance_max_cents: 99,
            recharge_min_cents: 1,
            recharge_max_cents: 99,
            recharge_window: TimeDelta::days(7),
            license_registry_delay_working_days: 7,
            review_expected_business_days_min: 2,
            review_expected_business_days_max: 4,
            change_review_expected_business_days: 3,
            member_limit: 1000,
            access_key_limit: 2,
            mfa_devices_per_principal: 1,
            mfa_totp_step_seconds: 30,
            mfa_totp_digits: 6,
            mfa_allowed_skew_steps: 1,
            mfa_binding_ttl: TimeDelta::minutes(10),
            mfa_recovery_codes: 10,
            mfa_wrong_code_limit: 5,
            mfa_wrong_code_window: TimeDelta::minutes(15),
            mfa_wrong_codes_per_serial: 5,
            cancellation_cooling_off: TimeDelta::days(15),
            project_name_max_chars: 64,
        }
    }
}

/// Both sites' policies. Deserialising is an overlay on each site's own defaults, so
/// `{"china": {"lock_duration": 3600}}` changes that one field of the CHINA policy only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policies {
    pub china: SitePolicy,
    pub international: SitePolicy,
}

impl Policies {
    pub fn for_site(&self, site: Site) -> &SitePolicy {
        match site {
            Site::China => &self.china,
            Site::International => &self.international,
        }
    }
}

impl Default for Policies {
    fn default() -> Self {
        Self {
            china: SitePolicy::default_for(Site::China),
            international: SitePolicy::default_for(Site::International),
        }
    }
}

/// The config-file shape of [`Policies`]: any subset of either site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoliciesOverlay {
    pub china: SitePolicyOverlay,
    pub international: SitePolicyOverlay,
}

impl PoliciesOverlay {
    pub fn apply(self) -> Policies {
        Policies {
            china: self.china.apply(SitePolicy::default_for(Site::China)),
            international: self
                .international
                .apply(SitePolicy::default_for(Site::International)),
        }
    }
}

impl<'de> Deserialize<'de> for Policies {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        PoliciesOverlay::deserialize(d).map(PoliciesOverlay::apply)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn china_and_international_defaults_differ_where_rules_say() {
        let china = SitePolicy::default_for(Site::China);
        let intl = SitePolicy::default_for(Site::International);
        // RULE LOG-07
        assert_eq!(china.captcha_after_failures, 3);
        assert_eq!(china.lock_after_failures, 10);
        assert_eq!(china.lock_duration, TimeDelta::hours(24));
        assert_eq!(intl.lock_duration, TimeDelta::hours(1));
        assert_eq!(china.lockout_day_utc_offset_hours, 8);
        assert_eq!(intl.lockout_day_utc_offset_hours, 0);
        // the number of VER-09
        assert_eq!(china.enterprise_identity_quota, 3);
        assert_eq!(intl.enterprise_identity_quota, 10);
        // Everything else is shared.
        let mut aligned = intl.clone();
        aligned.lock_duration = china.lock_duration;
        aligned.lockout_day_utc_offset_hours = china.lockout_day_utc_offset_hours;
        aligned.enterprise_identity_quota = china.enterprise_identity_quota;
        assert_eq!(aligned, china);
    }

    #[test]
    fn documented_numbers() {
        let p = SitePolicy::default_for(Site::International);
        assert_eq!(p.phone_binding_limit, 5); // RULE ACC-07
        assert_eq!((p.password_min_chars, p.password_max_chars), (8, 20)); // RULE LOG-06
        assert_eq!(p.individual_identity_quota, 3); // the number of VER-08
        assert_eq!(p.minimum_age_years, 18); // the number of VER-04
        assert_eq!(p.license_registry_delay_working_days, 7); // the number of VER-07
        assert_eq!(
            (
                p.review_expected_business_days_min,
                p.review_expected_business_days_max
            ),
            (2, 4)
        ); // the number of VER-03
        // the number of VER-11
        assert_eq!(p.remittance_window, TimeDelta::days(7));
        assert_eq!(p.remittance_attempts, 2);
        assert_eq!((p.remittance_min_cents, p.remittance_max_cents), (1, 99));
        // the number of VER-12
        assert_eq!(p.recharge_max_cents, 99);
        assert_eq!(p.recharge_window, TimeDelta::days(7));
        assert_eq!(p.verification_change_interval, TimeDelta::days(30)); // the number of VER-15
        assert_eq!(p.change_review_expected_business_days, 3); // the number of VER-16
        assert_eq!(p.member_limit, 1000); // the number of SUB-02
        assert_eq!(p.access_key_limit, 2); // the number of SUB-05
        assert_eq!(p.project_name_max_chars, 64); // the number of PRJ-01
        // the number of MFA-01
        assert_eq!((p.mfa_totp_digits, p.mfa_totp_step_seconds), (6, 30));
        assert_eq!(p.mfa_devices_per_principal, 1); // the number of MFA-02
        assert_eq!(p.mfa_allowed_skew_steps, 1); // the number of MFA-04
        assert_eq!(p.trusted_device_ttl, TimeDelta::days(7)); // the number of MFA-06
        assert_eq!(p.cancellation_cooling_off, TimeDelta::days(15)); // the number of CAN-02
        assert_eq!(p.code_ttl, TimeDelta::minutes(10));
        assert_eq!(p.code_resend_interval, TimeDelta::seconds(60));
        assert_eq!(p.code_max_attempts, 5);
        assert_eq!(p.session_ttl, TimeDelta::hours(12));
        assert_eq!(p.login_challenge_ttl, TimeDelta::minutes(5));
        assert_eq!(p.mfa_binding_ttl, TimeDelta::minutes(10));
        assert_eq!(p.mfa_recovery_codes, 10);
    }

    #[test]
    fn for_site_picks_the_sites_policy() {
        // RULE ACC-01
        let policies = Policies::default();
        assert_eq!(
            policies.for_site(Site::China).lock_duration,
            TimeDelta::hours(24)
        );
        assert_eq!(
            policies.for_site(Site::International).lock_duration,
            TimeDelta::hours(1)
        );
    }

    #[test]
    fn overlay_changes_only_the_given_field_of_one_site() {
        let overlay = PoliciesOverlay {
            china: SitePolicyOverlay {
                lock_duration: Some(TimeDelta::hours(1)),
                ..SitePolicyOverlay::default()
            },
            ..PoliciesOverlay::default()
        };
        let policies = overlay.apply();
        let mut expected = SitePolicy::default_for(Site::China);
        expected.lock_duration = TimeDelta::hours(1);
        assert_eq!(policies.china, expected);
        assert_eq!(
            policies.international,
            SitePolicy::default_for(Site::International)
        );
    }

    #[test]
    fn config_json_overrides_a_subset_on_each_sites_defaults() {
        let json = r#"{"china": {"lock_duration": 3600, "member_limit": 50},
                       "international": {"enterprise_identity_quota": 20}}"#;
        let policies: Policies = serde_json::from_str(json).unwrap();
        assert_eq!(policies.china.lock_duration, TimeDelta::hours(1));
        assert_eq!(policies.china.member_limit, 50);
        assert_eq!(policies.china.enterprise_identity_quota, 3);
        assert_eq!(policies.international.enterprise_identity_quota, 20);
        assert_eq!(policies.international.lock_duration, TimeDelta::hours(1));
        let empty: Policies = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Policies::default());
    }

    #[test]
    fn config_json_rejects_typos_and_negative_durations() {
        assert!(serde_json::from_str::<Policies>(r#"{"china": {"lock_duraton": 1}}"#).is_err());
        assert!(serde_json::from_str::<Policies>(r#"{"mars": {}}"#).is_err());
        let err = serde_json::from_str::<Policies>(r#"{"china": {"code_ttl": -5}}"#).unwrap_err();
        assert!(err.to_string().contains(">= 0"));
    }

    #[test]
    fn serialises_durations_as_seconds_and_round_trips() {
        let policies = Policies::default();
        let json = serde_json::to_value(&policies).unwrap();
        assert_eq!(json["china"]["lock_duration"], 86_400);
        assert_eq!(json["international"]["session_ttl"], 43_200);
        let back: Policies = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, policies);
        let site: SitePolicy = serde_json::from_value(json["china"].clone()).unwrap();
        assert_eq!(site, policies.china);
    }
}
