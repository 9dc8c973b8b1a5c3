//! REC-04: the accounts a verified identity holds, found by the person (or the legal
//! person) after the real-name provider's face check, so the owner of a full quota can
//! find them.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::subject::{Subject, SubjectInput};
use crate::domain::{Lifecycle, Site, verification::SubjectKind};
use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult, verification,
};

/// `findAccountsByIdentity` as the client sent it.
pub struct IdentityLookup<'a> {
    pub site: Site,
    pub subject: SubjectInput<'a>,
    pub face_check_token: &'a str,
}

/// REC-04: every live account of the site whose verification in force proves this
/// subject, oldest first. Limited per identity and per client address before the face
/// check is asked.
pub async fn find_accounts_by_identity(
    ctx: &AppContext,
    meta: &RequestMeta,
    lookup: IdentityLookup<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<entity::accounts::Model>> {
    let IdentityLookup {
        site,
        subject,
        face_check_token,
    } = lookup;
    let person = match subject.kind {
        Some(SubjectKind::Enterprise) => subject.legal_person_name.unwrap_or_default(),
        _ => subject.name,
    };
    let parsed = Subject::parse(ctx, &subject)?;
    super::limit(
        ctx,
        meta,
        site,
        "find-by-identity",
        &parsed.identity_hash,
        now,
    )
    .await?;
    let passed = !face_check_token.trim().is_empty()
        && ctx
            .real_name
            .face_check_passed(face_check_token.trim(), person.trim())
            .await?;
    if !passed {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidCredentials,
            "faceCheckToken",
            msg!("err-face-check-did-not-pass"),
        ));
    }
    use entity::verifications::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::IdentityHash.eq(&parsed.identity_hash))
        .filter(verification::counted_condition())
        .all(&ctx.db)
        .await?;
    let mut account_ids = Vec::new();
    for row in rows {
        let account_id = row.account_id;
        let (in_force, _) = verification::split_current(vec![row]);
        if let Some(v) = in_force
            && parsed.is_verified_by(ctx, &v)?
        {
            account_ids.push(account_id);
        }
    }
    use entity::accounts::Column as A;
    Ok(entity::accounts::Entity::find()
        .filter(A::Id.is_in(account_ids))
        .filter(A::Site.eq(site.as_str()))
        .filter(A::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .order_by_asc(A::Id)
        .all(&ctx.db)
        .await?)
}
