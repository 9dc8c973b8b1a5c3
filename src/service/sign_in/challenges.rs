//! Login-protection challenges and trusted devices (MFA-06): the second step of a
//! protected sign-in.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};

use super::{Candidate, Switch};
use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult, accounts,
    accounts::site_of,
    audit::{self, LoginAttempt},
    collaboration, principal_key, second_factor,
    sessions::{self, OpenedSession, SessionFor},
};
use crate::{
    crypto, db,
    domain::{CodePurpose, LoginMethodKind, Site},
};

/// A challenge just issued.
pub struct IssuedChallenge {
    /// The challenge's bearer secret: whoever completes it gets the session.
    pub token: String,
    pub methods: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

pub(super) async fn is_trusted_device(
    conn: &impl ConnectionTrait,
    key: &str,
    device_token: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    use entity::trusted_devices::{Column, Entity};
    let Some(token) = device_token.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    Ok(Entity::find()
        .filter(Column::TokenHash.eq(crypto::token_hash(token)))
        .filter(Column::PrincipalKey.eq(key))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
        .is_some())
}

pub(super) async fn issue(
    ctx: &AppContext,
    meta: &RequestMeta,
    candidate: &Candidate,
    now: DateTime<Utc>,
) -> ServiceResult<IssuedChallenge> {
    let policy = ctx.policies.for_site(site_of(&candidate.account)?);
    let (factor_account, factor_sub_user) = candidate.factor_owner();
    let methods =
        second_factor::available_factors(&ctx.db, factor_account, factor_sub_user).await?;
    let token = crypto::random_token(32);
    let expires_at = now + policy.login_challenge_ttl;
    entity::login_challenges::ActiveModel {
        account_id: Set(candidate.account.id),
        sub_user_id: Set(candidate.sub_user_id),
        token_hash: Set(crypto::token_hash(&token)),
        methods: Set(methods.join(",")),
        login_method: Set(candidate.method.map(|m| m.as_str().to_owned())),
        client_address: Set(meta.client_address.clone()),
        user_agent: Set(meta.user_agent.clone()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        completed_at: Set(None),
        failed_attempts: Set(0),
        collaborator_account_id: Set(candidate.switch.as_ref().map(|s| s.own.id)),
        replaces_session_id: Set(candidate.switch.as_ref().map(|s| s.from_session)),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    Ok(IssuedChallenge {
        token,
        methods,
        expires_at,
    })
}

/// What completing a challenge yields: the session, and a device token when asked.
pub struct CompletedChallenge {
    pub session: OpenedSession,
    pub device_token: Option<String>,
}

/// Completes a login challenge with a second factor (MFA-06); optionally trusts the
/// device for the policy's period.
pub async fn complete(
    ctx: &AppContext,
    meta: &RequestMeta,
    challenge_token: &str,
    factor: &second_factor::SecondFactor,
    trust_device: bool,
    now: DateTime<Utc>,
) -> ServiceResult<CompletedChallenge> {
    use entity::login_challenges::{Column, Entity};
    let gone = || {
        ServiceError::refused_at(
            ErrorCode::NotFound,
            "challengeId",
            msg!("err-no-such-challenge-expired"),
        )
    };
    let found = Entity::find()
        .filter(Column::TokenHash.eq(crypto::token_hash(challenge_token)))
        .one(&ctx.db)
        .await?;
    let Some(challenge) = found else {
        super::limit_client(ctx, meta, Site::China, now).await?;
        return Err(gone());
    };
    let account = accounts::load(&ctx.db, challenge.account_id).await?;
    let site = site_of(&account)?;
    super::limit_client(ctx, meta, site, now).await?;
    let policy = ctx.policies.for_site(site);
    if challenge.completed_at.is_some()
        || challenge.expires_at <= now
        || challenge.failed_attempts >= policy.code_max_attempts
    {
        return Err(gone());
    }
    // COL-02: a switching collaborator answers with its own account's factors.
    let switch = match challenge.collaborator_account_id {
        Some(own) => Some(Switch {
            own: accounts::load(&ctx.db, own).await?,
            from_session: challenge.replaces_session_id.unwrap_or_default(),
        }),
        None => None,
    };
    let (factor_account, factor_sub_user) = match &switch {
        Some(switch) => (&switch.own, None),
        None => (&account, challenge.sub_user_id),
    };
    if let Err(err) = second_factor::verify_factor(
        ctx,
        factor_account,
        factor_sub_user,
        factor,
        CodePurpose::LoginChallenge,
        now,
    )
    .await
    {
        // A replayed MFA code (CODE_ALREADY_USED) counts as the wrong code it was before.
        let counted = |r: &crate::service::Refusal| {
            r.code == ErrorCode::InvalidCode
                || (r.code == ErrorCode::CodeAlreadyUsed && factor.is_mfa_code())
        };
        if matches!(&err, ServiceError::Refused(r) if counted(r)) {
            Entity::update_many()
                .col_expr(
                    Column::FailedAttempts,
                    sea_orm::ExprTrait::add(Expr::col(Column::FailedAttempts), 1),
                )
                .filter(Column::Id.eq(challenge.id))
                .exec(&ctx.db)
                .await?;
        }
        return Err(err);
    }
    let txn = db::begin_write(&ctx.db).await?;
    // Single use, even for two requests racing with valid factors.
    let claimed = Entity::update_many()
        .col_expr(Column::CompletedAt, Expr::value(now))
        .filter(Column::Id.eq(challenge.id))
        .filter(Column::CompletedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(gone());
    }
    if let (Some(switch), Some(member_id)) = (&switch, challenge.sub_user_id) {
        collaboration::record_switch_in(&txn, &account, member_id, switch, meta, now).await?;
    }
    let whom = SessionFor {
        account_id: account.id,
        site: site_of(&account)?,
        sub_user_id: challenge.sub_user_id,
        collaborator_account_id: challenge.collaborator_account_id,
    };
    let session = sessions::open(&txn, ctx, whom, meta, now).await?;
    let device_token = if trust_device {
        let token = crypto::random_token(32);
        entity::trusted_devices::ActiveModel {
            account_id: Set(account.id),
            sub_user_id: Set(challenge.sub_user_id),
            principal_key: Set(principal_key(account.id, challenge.sub_user_id)),
            token_hash: Set(crypto::token_hash(&token)),
            created_at: Set(now),
            expires_at: Set(now + policy.trusted_device_ttl),
            revoked_at: Set(None),
            client_address: Set(meta.client_address.clone()),
            user_agent: Set(meta.user_agent.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        Some(token)
    } else {
        None
    };
    let method = challenge
        .login_method
        .as_deref()
        .map(|m| LoginMethodKind::from_stored("login_challenges.login_method", m))
        .transpose()?;
    let attempt = LoginAttempt {
        account_id: Some(account.id),
        sub_user_id: challenge.sub_user_id,
        method,
        failure_reason: None,
    };
    if switch.is_none() {
        audit::record_login(&txn, attempt, meta, now).await?;
    }
    txn.commit().await?;
    Ok(CompletedChallenge {
        session,
        device_token,
    })
}
