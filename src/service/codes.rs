//! Verification codes: sent through the Notifier, stored keyed-hashed, single use,
//! expiring, at most one per target per resend interval. The target (a phone number or an
//! e-mail address) is stored and locked by its keyed hash only, so nothing readable of
//! it remains once the account that used it is erased.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};

use super::{AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult, rate_limit};
use crate::{
    crypto,
    domain::{CodeChannel, CodePurpose, Email, Phone, Site},
    ports::Message,
};

const CODE_DIGITS: usize = 6;

/// The canonical form of a code target, so "+86 138…" and "138…" share one code row.
pub fn normalize_target(channel: CodeChannel, raw: &str) -> ServiceResult<String> {
    Ok(match channel {
        CodeChannel::Sms => Phone::parse(raw)
            .map_err(|e| ServiceError::refused_at(ErrorCode::InvalidInput, "target", e.message))?
            .as_str()
            .to_owned(),
        CodeChannel::Email => Email::parse(raw)
            .map_err(|e| ServiceError::refused_at(ErrorCode::InvalidInput, "target", e.message))?
            .as_str()
            .to_owned(),
    })
}

/// The stored form of a normalised target: a keyed hash, so rows and lock keys hold
/// nothing readable.
pub fn target_key(ctx: &AppContext, channel: CodeChannel, target: &str) -> String {
    ctx.secret
        .keyed_hash(&["code-target", channel.as_str(), target])
}

/// Sends a new code; returns the seconds until the next one may be sent.
pub async fn send(
    ctx: &AppContext,
    meta: &RequestMeta,
    channel: CodeChannel,
    raw_target: &str,
    purpose: CodePurpose,
    site: Option<Site>,
    now: DateTime<Utc>,
) -> ServiceResult<i64> {
    use entity::verification_codes::{ActiveModel, Column, Entity};
    let target = normalize_target(channel, raw_target)?;
    let policy = ctx.policies.for_site(site.unwrap_or(Site::China));
    let resend = policy.code_resend_interval;

    // Per client address, whatever the targets: stops one client from spraying codes.
    let per_client = rate_limit::Limit {
        scope: "codes-per-client",
        max_hits: policy.codes_per_client,
        window: policy.codes_client_window,
    };
    if let Some(client) = &meta.client_address {
        rate_limit::hit(&ctx.db, per_client, client, now).await?;
    }
    let stored_target = target_key(ctx, channel, &target);
    if purpose.is_recovery() {
        // A stranger may ask for these: each target hears from us only so often.
        let site = site.unwrap_or(Site::China);
        super::recovery::limit(ctx, meta, site, "recovery-code", &stored_target, now).await?;
    }

    let txn = crate::db::begin_write(&ctx.db).await?;
    crate::db::lock_scope(&txn, "code-target", &stored_target).await?;
    let last = Entity::find()
        .filter(Column::Channel.eq(channel.as_str()))
        .filter(Column::Target.eq(&stored_target))
        .order_by_desc(Column::CreatedAt)
        .one(&txn)
        .await?;
    if let Some(last) = last {
        let next_allowed = last.created_at + resend;
        if next_allowed > now {
            return Err(ServiceError::rate_limited(
                (next_allowed - now).num_seconds() + 1,
            ));
        }
    }
    let code = crypto::random_digits(CODE_DIGITS);
    ActiveModel {
        site: Set(site.map(|s| s.as_str().to_owned()).unwrap_or_default()),
        channel: Set(channel.as_str().to_owned()),
        target: Set(stored_target),
        purpose: Set(purpose.as_str().to_owned()),
        code_hash: Set(code_hash(ctx, channel, &target, purpose, &code)),
        created_at: Set(now),
        expires_at: Set(now + policy.code_ttl),
        consumed_at: Set(None),
        failed_attempts: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;

    let minutes = policy.code_ttl.num_minutes();
    ctx.notifier
        .send(
            Message {
                channel,
                target,
                purpose: purpose.as_str().to_owned(),
                // The request's language, else the site's (issue 17).
                body: msg!("code-body", code = &code, minutes = minutes)
                    .render(crate::i18n::Lang::resolve(meta.lang, site)),
                code: Some(code),
            },
            now,
        )
        .await?;
    Ok(resend.num_seconds())
}

fn code_hash(
    ctx: &AppContext,
    channel: CodeChannel,
    target: &str,
    purpose: CodePurpose,
    code: &str,
) -> String {
    ctx.secret
        .keyed_hash(&["code", channel.as_str(), target, purpose.as_str(), code])
}

/// A code that matched and is not spent yet; `claim` spends it.
#[derive(Debug)]
#[must_use = "a matched code is only spent by `claim`"]
pub struct MatchedCode {
    id: i64,
    field: String,
}

/// Checks a code for (channel, target, purpose) without spending it, so a request that
/// fails on another input leaves it usable. Every code still within its lifetime counts,
/// not only the newest: up to five accounts share one secure phone (ACC-07), so a code
/// sent for one of them must not void another's. A wrong code counts against every live
/// code, so the number of guesses stays the policy's. `field` names the input that
/// carried the code, for the user error.
pub async fn check(
    ctx: &AppContext,
    channel: CodeChannel,
    target: &str,
    purpose: CodePurpose,
    code: &str,
    field: &str,
    now: DateTime<Utc>,
) -> ServiceResult<MatchedCode> {
    use entity::verification_codes::{Column, Entity};
    let max_attempts = ctx.policies.for_site(Site::China).code_max_attempts;
    let unspent = Entity::find()
        .filter(Column::Channel.eq(channel.as_str()))
        .filter(Column::Target.eq(target_key(ctx, channel, target)))
        .filter(Column::Purpose.eq(purpose.as_str()))
        .filter(Column::ConsumedAt.is_null())
        .filter(Column::FailedAttempts.lt(max_attempts));
    let live = unspent
        .clone()
        .filter(Column::ExpiresAt.gt(now))
        .order_by_desc(Column::CreatedAt)
        .all(&ctx.db)
        .await?;
    if live.is_empty() {
        let expired = unspent.one(&ctx.db).await?.is_some();
        return Err(if expired {
            ServiceError::refused_at(
                ErrorCode::CodeExpired,
                field,
                msg!("err-code-expired-ask-new-one"),
            )
        } else {
            invalid(field)
        });
    }
    let expected = code_hash(ctx, channel, target, purpose, code.trim());
    let Some(row) = live
        .iter()
        .find(|row| crypto::constant_time_eq(&expected, &row.code_hash))
    else {
        Entity::update_many()
            .col_expr(
                Column::FailedAttempts,
                sea_orm::ExprTrait::add(Expr::col(Column::FailedAttempts), 1),
            )
            .filter(Column::Id.is_in(live.iter().map(|row| row.id)))
            .exec(&ctx.db)
            .await?;
        return Err(invalid(field));
    };
    Ok(MatchedCode {
        id: row.id,
        field: field.to_owned(),
    })
}

fn invalid(field: &str) -> ServiceError {
    ServiceError::refused_at(ErrorCode::InvalidCode, field, msg!("err-code-wrong"))
}

/// Spends a matched code. Two requests racing with the same code: exactly one spends it.
pub async fn claim(
    ctx: &AppContext,
    matched: MatchedCode,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    claim_in(&ctx.db, matched, now).await
}

/// Spends a matched code inside the transaction that uses it, so the code and the change
/// it allows commit together; the loser of a race is told CODE_ALREADY_USED.
pub async fn claim_in(
    conn: &impl ConnectionTrait,
    matched: MatchedCode,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::verification_codes::{Column, Entity};
    let claimed = Entity::update_many()
        .col_expr(Column::ConsumedAt, Expr::value(now))
        .filter(Column::Id.eq(matched.id))
        .filter(Column::ConsumedAt.is_null())
        .exec(conn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ServiceError::refused_at(
            ErrorCode::CodeAlreadyUsed,
            &matched.field,
            msg!("err-code-just-been-used-ask"),
        ));
    }
    Ok(())
}

/// Checks and spends a code in one step (see `check`).
pub async fn consume(
    ctx: &AppContext,
    channel: CodeChannel,
    target: &str,
    purpose: CodePurpose,
    code: &str,
    field: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let matched = check(ctx, channel, target, purpose, code, field, now).await?;
    claim(ctx, matched, now).await
}

/// Drops codes that can no longer be used (scheduled cleanup).
pub async fn purge_expired(ctx: &AppContext, now: DateTime<Utc>) -> ServiceResult<u64> {
    use entity::verification_codes::{Column, Entity};
    let keep_for = TimeDelta::days(1);
    let res = Entity::delete_many()
        .filter(Column::ExpiresAt.lt(now - keep_for))
        .exec(&ctx.db)
        .await?;
    Ok(res.rows_affected)
}
