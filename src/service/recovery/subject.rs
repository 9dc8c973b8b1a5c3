//! The verified subject a stranger names to get back in (REC-03, REC-04): kept only as
//! keyed hashes, and compared with the verification in force.

use crate::crypto;
use crate::domain::{DomainError, plain_text, verification::SubjectKind};
use crate::service::{AppContext, ErrorCode, ServiceError, ServiceResult, verification};

const NAME_MAX_CHARS: usize = 100;
const NUMBER_MAX_CHARS: usize = 64;

/// The subject as typed: a person's name and ID number, or an enterprise's name, unified
/// social credit code and legal person's name.
pub struct SubjectInput<'a> {
    /// Told by the client (REC-04), or read from whether a legal person is named (REC-03).
    pub kind: Option<SubjectKind>,
    pub name: &'a str,
    pub identity_number: &'a str,
    pub legal_person_name: Option<&'a str>,
}

/// The subject in the form it is stored and compared in.
pub struct Subject {
    pub kind: SubjectKind,
    pub name_hash: String,
    /// As `verifications.identity_hash` is computed, so the two compare directly.
    pub identity_hash: String,
    pub legal_person_name_hash: Option<String>,
}

/// Names compare as people write them: surrounding and repeated spaces and letter case
/// do not matter.
fn name_hash(ctx: &AppContext, name: &str) -> String {
    let normal = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    ctx.secret.keyed_hash(&["recovery-subject-name", &normal])
}

impl Subject {
    pub fn parse(ctx: &AppContext, input: &SubjectInput<'_>) -> ServiceResult<Self> {
        let legal_person = input.legal_person_name.filter(|n| !n.trim().is_empty());
        let kind = input.kind.unwrap_or(if legal_person.is_some() {
            SubjectKind::Enterprise
        } else {
            SubjectKind::Individual
        });
        let name = plain_text("subjectName", input.name, NAME_MAX_CHARS)?;
        let number = input.identity_number.trim().to_ascii_uppercase();
        if number.is_empty() || number.chars().count() > NUMBER_MAX_CHARS {
            return Err(DomainError::new(
                "identityNumber",
                msg!("err-id-number-enterprise-s-unified"),
            )
            .into());
        }
        let legal_person_name_hash = match (kind, legal_person) {
            (SubjectKind::Enterprise, Some(raw)) => {
                let legal = plain_text("legalPersonName", raw, NAME_MAX_CHARS)?;
                Some(name_hash(ctx, &legal))
            }
            (SubjectKind::Enterprise, None) => {
                return Err(ServiceError::refused_at(
                    ErrorCode::InvalidInput,
                    "legalPersonName",
                    msg!("err-enterprise-named-legal-person"),
                ));
            }
            (SubjectKind::Individual, _) => None,
        };
        Ok(Self {
            kind,
            name_hash: name_hash(ctx, &name),
            identity_hash: verification::identity_hash(&ctx.secret, kind, &number),
            legal_person_name_hash,
        })
    }

    /// Whether this subject is the one a verification proved: same kind, ID number, name
    /// and (for an enterprise) legal person.
    pub fn is_verified_by(
        &self,
        ctx: &AppContext,
        verified: &entity::verifications::Model,
    ) -> ServiceResult<bool> {
        let kind = SubjectKind::from_stored("verifications.subject_kind", &verified.subject_kind)?;
        if kind != self.kind
            || !crypto::constant_time_eq(&self.identity_hash, &verified.identity_hash)
        {
            return Ok(false);
        }
        let open = |sealed: &str| -> ServiceResult<String> {
            let plain = ctx.secret.open(sealed).map_err(ServiceError::internal)?;
            String::from_utf8(plain).map_err(ServiceError::internal)
        };
        let name = open(&verified.subject_name_enc)?;
        if !crypto::constant_time_eq(&self.name_hash, &name_hash(ctx, &name)) {
            return Ok(false);
        }
        match (
            &self.legal_person_name_hash,
            &verified.legal_person_name_enc,
        ) {
            (None, _) => Ok(kind == SubjectKind::Individual),
            (Some(given), Some(sealed)) => {
                let legal = open(sealed)?;
                Ok(crypto::constant_time_eq(given, &name_hash(ctx, &legal)))
            }
            (Some(_), None) => Ok(false),
        }
    }

    /// REC-03: whether an application's subject matches the verification in force.
    pub fn matches(
        ctx: &AppContext,
        application: &entity::recovery_applications::Model,
        verified: &entity::verifications::Model,
    ) -> ServiceResult<bool> {
        let subject = Self {
            kind: SubjectKind::from_stored(
                "recovery_applications.subject_kind",
                &application.subject_kind,
            )?,
            name_hash: application.subject_name_hash.clone(),
            identity_hash: application.identity_hash.clone(),
            legal_person_name_hash: application.legal_person_name_hash.clone(),
        };
        subject.is_verified_by(ctx, verified)
    }
}
