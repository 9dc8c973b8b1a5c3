//! Real-name verification rules (VER-01..20): methods per site, region and subject, how each
//! method is decided, which changes are allowed, and the states a request moves through.

use chrono::{DateTime, TimeDelta, Utc};

use super::{FreezeReasons, Lifecycle, Site, can_buy_or_create, enums::contract_enum};

contract_enum! {
    /// VER-01.
    SubjectKind {
        Individual => "INDIVIDUAL",
        Enterprise => "ENTERPRISE",
    }
}

contract_enum! {
    /// VER-02, VER-03.
    VerificationMethod {
        WechatScan => "WECHAT_SCAN",
        QqScan => "QQ_SCAN",
        FaceRecognition => "FACE_RECOGNITION",
        IdDocument => "ID_DOCUMENT",
        WechatOfficialPlatform => "WECHAT_OFFICIAL_PLATFORM",
        LegalPersonWechatScan => "LEGAL_PERSON_WECHAT_SCAN",
        LegalPersonFaceRecognition => "LEGAL_PERSON_FACE_RECOGNITION",
        Recharge => "RECHARGE",
        CorporateRemittance => "CORPORATE_REMITTANCE",
        BusinessDocument => "BUSINESS_DOCUMENT",
    }
}

contract_enum! {
    /// VER-13: PENDING is the only state that changes; the others are final.
    VerificationState {
        Pending => "PENDING",
        Approved => "APPROVED",
        Rejected => "REJECTED",
        Withdrawn => "WITHDRAWN",
        Expired => "EXPIRED",
    }
}

contract_enum! {
    /// VER-15, VER-16.
    ChangeType {
        Initial => "INITIAL",
        PersonalToEnterprise => "PERSONAL_TO_ENTERPRISE",
        ChangeIndividual => "CHANGE_INDIVIDUAL",
        ChangeSubject => "CHANGE_SUBJECT",
        ChangeName => "CHANGE_NAME",
        UpdateLegalPerson => "UPDATE_LEGAL_PERSON",
    }
}

contract_enum! {
    /// Where the subject comes from (VER-05).
    Region {
        Mainland => "MAINLAND",
        HongKong => "HONG_KONG",
        Macao => "MACAO",
        Taiwan => "TAIWAN",
        Overseas => "OVERSEAS",
    }
}

contract_enum! {
    /// The account's verification status as the console shows it.
    VerificationStatus {
        Unverified => "UNVERIFIED",
        Pending => "PENDING",
        Verified => "VERIFIED",
    }
}

contract_enum! {
    /// VER-20: what an unverified account may not do.
    Capability {
        Purchase => "PURCHASE",
        UseMainlandResources => "USE_MAINLAND_RESOURCES",
        Invoice => "INVOICE",
        OnlineContract => "ONLINE_CONTRACT",
        PublicBeta => "PUBLIC_BETA",
        Partner => "PARTNER",
    }
}

/// How a method reaches its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The provider decides at submission (scans, face recognition, official platform).
    Instant,
    /// An operator reviews (documents, enterprise changes).
    Review,
    /// The provider pays a small amount that the user confirms (VER-11).
    Remittance,
    /// The enterprise pays a named amount (VER-12).
    Recharge,
}

impl VerificationMethod {
    pub fn subject_kind(self) -> SubjectKind {
        match self {
            Self::WechatScan | Self::QqScan | Self::FaceRecognition | Self::IdDocument => {
                SubjectKind::Individual
            }
            _ => SubjectKind::Enterprise,
        }
    }

    pub fn settlement(self) -> Settlement {
        match self {
            Self::IdDocument | Self::BusinessDocument => Settlement::Review,
            Self::CorporateRemittance => Settlement::Remittance,
            Self::Recharge => Settlement::Recharge,
            _ => Settlement::Instant,
        }
    }

    /// VER-06, VER-07: the methods that check the legal person in the registry.
    pub fn checks_legal_person(self) -> bool {
        matches!(
            self,
            Self::LegalPersonWechatScan | Self::LegalPersonFaceRecognition
        )
    }
}

/// Why a method cannot be used; the service turns each into its error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodRefusal {
    /// VER-05: this subject must verify on the INTERNATIONAL site.
    WrongSite(crate::i18n::Message),
    /// The method does not exist for this subject, site or region.
    NotAvailable(crate::i18n::Message),
}

/// The subject being verified, as far as method choice depends on it.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub kind: SubjectKind,
    pub region: Region,
    /// VER-06: an enterprise whose legal person is a foreigner.
    pub foreign_legal_person: bool,
}

/// VER-02, VER-03, VER-05, VER-06: may `subject` use `method` on `site`?
pub fn check_method(
    site: Site,
    subject: Subject,
    method: VerificationMethod,
) -> Result<(), MethodRefusal> {
    if method.subject_kind() != subject.kind {
        return Err(MethodRefusal::NotAvailable(match subject.kind {
            SubjectKind::Individual => msg!("err-method-verifies-enterprises-not-individuals"),
            SubjectKind::Enterprise => msg!("err-method-verifies-individuals-not-enterprises"),
        }));
    }
    match (site, subject.kind) {
        (Site::International, SubjectKind::Individual) => require(
            method == VerificationMethod::IdDocument,
            msg!("err-international-only"),
        ),
        (Site::International, SubjectKind::Enterprise) => require(
            method == VerificationMethod::BusinessDocument,
            msg!("err-international-only"),
        ),
        (Site::China, SubjectKind::Individual) => match subject.region {
            Region::Mainland => require(
                method.settlement() == Settlement::Instant,
                msg!("err-china-site-verifies-individuals-by"),
            ),
            Region::HongKong | Region::Macao | Region::Taiwan => require(
                method == VerificationMethod::WechatScan,
                msg!("err-hong-kong-macao-taiwan-residents"),
            ),
            Region::Overseas => Err(MethodRefusal::WrongSite(msg!(
                "err-overseas-individuals-verify-international-site"
            ))),
        },
        (Site::China, SubjectKind::Enterprise) => {
            if subject.region != Region::Mainland {
                return Err(MethodRefusal::WrongSite(msg!(
                    "err-enterprises-from-hong-kong-macao"
                )));
            }
            if method == VerificationMethod::BusinessDocument {
                return Err(MethodRefusal::NotAvailable(msg!(
                    "err-business-documents-are-reviewed-international"
                )));
            }
            require(
                !(subject.foreign_legal_person && method.checks_legal_person()),
                msg!("err-enterprise-foreign-legal-person-verifies"),
            )
        }
    }
}

fn require(ok: bool, why: crate::i18n::Message) -> Result<(), MethodRefusal> {
    if ok {
        Ok(())
    } else {
        Err(MethodRefusal::NotAvailable(why))
    }
}

/// The verification in force on an account, as far as a change depends on it.
#[derive(Debug, Clone, Copy)]
pub struct InForce {
    pub kind: SubjectKind,
    pub region: Region,
    pub decided_at: DateTime<Utc>,
}

/// VER-14: a decision in force is approved and not yet replaced or revoked.
pub fn is_in_force(state: VerificationState, superseded: bool) -> bool {
    state == VerificationState::Approved && !superseded
}

/// VER-15: the next change may start one interval after the decision in force.
pub fn next_change_allowed_at(decided_at: DateTime<Utc>, interval: TimeDelta) -> DateTime<Utc> {
    decided_at + interval
}

/// Why a change may not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// VER-15: ENTERPRISE → INDIVIDUAL, or mainland → outside the mainland.
    NotSupported(crate::i18n::Message),
    /// VER-15: the 30-day gap; when the next change may start.
    TooSoon(DateTime<Utc>),
    /// VER-16: an enterprise change must say which kind it is.
    TypeRequired,
    /// The stated change type does not fit the current and the new subject.
    TypeMismatch(crate::i18n::Message),
}

/// VER-15, VER-16: the change type of a new submission by an account whose verification in
/// force is `current`, and whether it may start at `now`. `requested` is the client's
/// stated type (enterprise submissions may state one).
pub fn classify_change(
    current: Option<InForce>,
    new_kind: SubjectKind,
    new_region: Region,
    requested: Option<ChangeType>,
    interval: TimeDelta,
    now: DateTime<Utc>,
) -> Result<ChangeType, ChangeRefusal> {
    let Some(current) = current else {
        return match requested {
            None | Some(ChangeType::Initial) => Ok(ChangeType::Initial),
            Some(_) => Err(ChangeRefusal::TypeMismatch(msg!(
                "err-account-no-verification-force-change"
            ))),
        };
    };
    let change = match (current.kind, new_kind) {
        (SubjectKind::Enterprise, SubjectKind::Individual) => {
            return Err(ChangeRefusal::NotSupported(msg!(
                "err-enterprise-verification-cannot-change-individual"
            )));
        }
        (SubjectKind::Individual, SubjectKind::Enterprise) => {
            return match requested {
                None | Some(ChangeType::PersonalToEnterprise) => {
                    Ok(ChangeType::PersonalToEnterprise)
                }
                Some(_) => Err(ChangeRefusal::TypeMismatch(msg!(
                    "err-individual-becoming-enterprise-personal-enterprise"
                ))),
            };
        }
        (SubjectKind::Individual, SubjectKind::Individual) => {
            if current.region == Region::Mainland && new_region != Region::Mainland {
                return Err(ChangeRefusal::NotSupported(msg!(
                    "err-mainland-individual-cannot-change-individual"
                )));
            }
            ChangeType::ChangeIndividual
        }
        (SubjectKind::Enterprise, SubjectKind::Enterprise) => match requested {
            Some(
                change @ (ChangeType::ChangeSubject
                | ChangeType::ChangeName
                | ChangeType::UpdateLegalPerson),
            ) => change,
            None => return Err(ChangeRefusal::TypeRequired),
            Some(_) => {
                return Err(ChangeRefusal::TypeMismatch(msg!(
                    "err-enterprise-change-change-subject-change"
                )));
            }
        },
    };
    let next_allowed = next_change_allowed_at(current.decided_at, interval);
    if now < next_allowed {
        return Err(ChangeRefusal::TooSoon(next_allowed));
    }
    Ok(change)
}

impl ChangeType {
    /// VER-16: enterprise changes wait for an operator whatever the method.
    pub fn needs_review(self) -> bool {
        matches!(
            self,
            Self::ChangeSubject | Self::ChangeName | Self::UpdateLegalPerson
        )
    }

    /// VER-17: changes that keep the enterprise (same credit code).
    pub fn keeps_enterprise(self) -> bool {
        matches!(self, Self::ChangeName | Self::UpdateLegalPerson)
    }
}

/// The console status: VERIFIED with a verification in force (a pending change leaves it in
/// force), PENDING with only a pending request, UNVERIFIED otherwise.
pub fn status(has_in_force: bool, has_pending: bool) -> VerificationStatus {
    match (has_in_force, has_pending) {
        (true, _) => VerificationStatus::Verified,
        (false, true) => VerificationStatus::Pending,
        (false, false) => VerificationStatus::Unverified,
    }
}

/// VER-20 and ACC-09 / CAN-02: each capability, allowed or denied with the reason.
pub fn capabilities(
    status: VerificationStatus,
    lifecycle: Lifecycle,
    freeze_reasons: &FreezeReasons,
) -> Vec<(Capability, Result<(), String>)> {
    let unverified = match status {
        VerificationStatus::Verified => None,
        VerificationStatus::Pending => {
            Some("real-name verification is still pending; this needs a verified account")
        }
        VerificationStatus::Unverified => Some("this needs real-name verification"),
    };
    let standing = if lifecycle == Lifecycle::Cancelling {
        Some("the account is being cancelled".to_owned())
    } else if !can_buy_or_create(lifecycle, freeze_reasons) {
        let reasons: Vec<&str> = freeze_reasons.iter().map(|r| r.as_str()).collect();
        Some(format!("the account is frozen ({})", reasons.join(", ")))
    } else {
        None
    };
    Capability::ALL
        .into_iter()
        .map(|capability| {
            let buys = matches!(
                capability,
                Capability::Purchase | Capability::UseMainlandResources
            );
            let verdict = match (unverified, &standing) {
                (Some(why), _) => Err(why.to_owned()),
                (None, Some(why)) if buys => Err(why.clone()),
                _ => Ok(()),
            };
            (capability, verdict)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn person(region: Region) -> Subject {
        Subject {
            kind: SubjectKind::Individual,
            region,
            foreign_legal_person: false,
        }
    }

    fn enterprise(region: Region, foreign_legal_person: bool) -> Subject {
        Subject {
            kind: SubjectKind::Enterprise,
            region,
            foreign_legal_person,
        }
    }

    #[test]
    fn methods_follow_site_region_and_subject() {
        use VerificationMethod as M;
        let china = Site::China;
        for method in [M::WechatScan, M::QqScan, M::FaceRecognition] {
            assert!(check_method(china, person(Region::Mainland), method).is_ok());
        }
        assert!(check_method(china, person(Region::Mainland), M::IdDocument).is_err());
        assert!(check_method(china, person(Region::HongKong), M::WechatScan).is_ok());
        assert!(check_method(china, person(Region::Taiwan), M::FaceRecognition).is_err());
        assert!(matches!(
            check_method(china, person(Region::Overseas), M::WechatScan),
            Err(MethodRefusal::WrongSite(_))
        ));
        assert!(matches!(
            check_method(china, enterprise(Region::HongKong, false), M::Recharge),
            Err(MethodRefusal::WrongSite(_))
        ));
        for method in [
            M::CorporateRemittance,
            M::Recharge,
            M::WechatOfficialPlatform,
        ] {
            assert!(check_method(china, enterprise(Region::Mainland, true), method).is_ok());
        }
        assert!(
            check_method(
                china,
                enterprise(Region::Mainland, true),
                M::LegalPersonWechatScan
            )
            .is_err()
        );
        assert!(check_method(china, person(Region::Mainland), M::Recharge).is_err());
        let intl = Site::International;
        assert!(check_method(intl, person(Region::Overseas), M::IdDocument).is_ok());
        assert!(check_method(intl, person(Region::Overseas), M::WechatScan).is_err());
        assert!(
            check_method(
                intl,
                enterprise(Region::Overseas, true),
                M::BusinessDocument
            )
            .is_ok()
        );
        assert!(check_method(intl, enterprise(Region::Mainland, false), M::Recharge).is_err());
    }

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000 + days)
    }

    fn in_force(kind: SubjectKind, region: Region) -> Option<InForce> {
        Some(InForce {
            kind,
            region,
            decided_at: at(0),
        })
    }

    #[test]
    fn changes_follow_the_thirty_day_rule_except_personal_to_enterprise() {
        let gap = TimeDelta::days(30);
        let individual = in_force(SubjectKind::Individual, Region::Mainland);
        let company = in_force(SubjectKind::Enterprise, Region::Mainland);
        let classify = |current, kind, region, requested, day| {
            classify_change(current, kind, region, requested, gap, at(day))
        };
        assert_eq!(
            classify(None, SubjectKind::Individual, Region::Mainland, None, 0),
            Ok(ChangeType::Initial)
        );
        assert_eq!(
            classify(
                individual,
                SubjectKind::Individual,
                Region::Mainland,
                None,
                29
            ),
            Err(ChangeRefusal::TooSoon(at(30)))
        );
        assert_eq!(
            classify(
                individual,
                SubjectKind::Individual,
                Region::Mainland,
                None,
                30
            ),
            Ok(ChangeType::ChangeIndividual)
        );
        assert_eq!(
            classify(
                individual,
                SubjectKind::Enterprise,
                Region::Mainland,
                None,
                1
            ),
            Ok(ChangeType::PersonalToEnterprise)
        );
        assert!(matches!(
            classify(company, SubjectKind::Individual, Region::Mainland, None, 90),
            Err(ChangeRefusal::NotSupported(_))
        ));
        assert!(matches!(
            classify(
                individual,
                SubjectKind::Individual,
                Region::Overseas,
                None,
                90
            ),
            Err(ChangeRefusal::NotSupported(_))
        ));
        assert_eq!(
            classify(company, SubjectKind::Enterprise, Region::Mainland, None, 90),
            Err(ChangeRefusal::TypeRequired)
        );
        assert_eq!(
            classify(
                company,
                SubjectKind::Enterprise,
                Region::Mainland,
                Some(ChangeType::ChangeName),
                10
            ),
            Err(ChangeRefusal::TooSoon(at(30)))
        );
        assert_eq!(
            classify(
                company,
                SubjectKind::Enterprise,
                Region::Mainland,
                Some(ChangeType::ChangeSubject),
                31
            ),
            Ok(ChangeType::ChangeSubject)
        );
    }

    #[test]
    fn only_what_is_approved_and_not_superseded_is_in_force() {
        assert!(is_in_force(VerificationState::Approved, false));
        assert!(!is_in_force(VerificationState::Approved, true));
        for state in [
            VerificationState::Pending,
            VerificationState::Rejected,
            VerificationState::Withdrawn,
            VerificationState::Expired,
        ] {
            assert!(!is_in_force(state, false));
        }
        assert_eq!(status(true, true), VerificationStatus::Verified);
        assert_eq!(status(false, true), VerificationStatus::Pending);
        assert_eq!(status(false, false), VerificationStatus::Unverified);
    }

    #[test]
    fn capabilities_need_verification_and_an_unfrozen_account_to_buy() {
        use crate::domain::FreezeReason;
        let none = FreezeReasons::new();
        let all_ok = capabilities(VerificationStatus::Verified, Lifecycle::Active, &none);
        assert!(all_ok.iter().all(|(_, v)| v.is_ok()));
        assert_eq!(all_ok.len(), Capability::ALL.len());
        let unverified = capabilities(VerificationStatus::Unverified, Lifecycle::Active, &none);
        assert!(unverified.iter().all(|(_, v)| v.is_err()));
        let frozen: FreezeReasons = [FreezeReason::OverduePayment].into_iter().collect();
        for (capability, verdict) in
            capabilities(VerificationStatus::Verified, Lifecycle::Active, &frozen)
        {
            let buys = matches!(
                capability,
                Capability::Purchase | Capability::UseMainlandResources
            );
            assert_eq!(verdict.is_err(), buys, "{capability}");
        }
    }
}
