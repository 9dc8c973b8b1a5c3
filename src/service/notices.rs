//! Notices (NTF-01..04): written in the transaction of the change they tell of (a message
//! for the console and one delivery row per target), then delivered after commit by the
//! instance that claims each row, retried with backoff, and marked failed for operators
//! when they keep failing.
//!
//! Language (issue 17): a notice is rendered once, when it is written, for everyone it
//! goes to: in the language the request that caused it asked for (`Accept-Language`), and
//! otherwise (no such header, or a scheduled run) in the language of the account's site
//! (CHINA → zh-CN, INTERNATIONAL → en).

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};

use super::{AppContext, ServiceResult, events::LiveEvent};
use crate::{
    crypto,
    domain::{CodeChannel, MessageCategory, masking, member::MemberKind},
    i18n::{self, Lang},
    ports::Message,
};

/// Attempts before a delivery is marked failed (NTF-04).
pub const MAX_ATTEMPTS: i32 = 5;
/// How long one instance holds a claimed delivery before another may take it over.
const CLAIM: TimeDelta = TimeDelta::seconds(60);
/// Due deliveries one scheduled run sends; the rest wait for the next run.
const DELIVERIES_PER_RUN: u64 = 500;

const PENDING: &str = "PENDING";
const SENT: &str = "SENT";
const FAILED: &str = "FAILED";

/// What happened, in the words the owner reads: plain text, personal data masked, never
/// a secret (NTF-04).
#[derive(Debug, Clone)]
pub struct Notice {
    pub category: MessageCategory,
    /// The delivery's purpose, e.g. `PASSWORD_CHANGED` (what the SMS/e-mail template is).
    pub purpose: &'static str,
    pub title: i18n::Message,
    pub body: i18n::Message,
}

impl Notice {
    pub fn new(
        category: MessageCategory,
        purpose: &'static str,
        title: i18n::Message,
        body: i18n::Message,
    ) -> Self {
        Self {
            category,
            purpose,
            title,
            body,
        }
    }

    /// The title and body in `lang`.
    fn render(&self, lang: Lang) -> (String, String) {
        (self.title.render(lang), self.body.render(lang))
    }
}

/// The language a notice to `account` is written in (see the module's note).
fn lang_for(account: &entity::accounts::Model) -> ServiceResult<Lang> {
    match i18n::request_lang() {
        Some(lang) => Ok(lang),
        None => Ok(Lang::for_site(super::accounts::site_of(account)?)),
    }
}

/// As `lang_for`, for an account known by its ID only.
async fn lang_of(conn: &impl ConnectionTrait, account_id: Option<i64>) -> ServiceResult<Lang> {
    if let Some(lang) = i18n::request_lang() {
        return Ok(lang);
    }
    let Some(account_id) = account_id else {
        return Ok(Lang::En);
    };
    let account = entity::accounts::Entity::find_by_id(account_id)
        .one(conn)
        .await?;
    match account {
        Some(account) => lang_for(&account),
        None => Ok(Lang::En),
    }
}

/// What a transaction wrote: dispatched once it has committed.
#[derive(Debug, Default)]
#[must_use = "dispatch the notices once the transaction has committed"]
pub struct Written {
    events: Vec<LiveEvent>,
    deliveries: Vec<i64>,
}

impl Written {
    /// NTF-06: the account's verification requests changed.
    pub fn verification_changed(&mut self, account_id: i64, verification_id: i64) {
        self.events
            .push(LiveEvent::verification(account_id, verification_id));
    }

    pub fn merge(&mut self, other: Written) {
        self.events.extend(other.events);
        self.deliveries.extend(other.deliveries);
    }

    /// After commit: publishes the live events and delivers the rows at once. A failed
    /// delivery stays in the outbox for the scheduled retry; it never fails the request.
    pub async fn dispatch(self, ctx: &AppContext, now: DateTime<Utc>) {
        for event in self.events {
            ctx.events.publish(&ctx.db, event).await;
        }
        for id in self.deliveries {
            if let Err(err) = deliver_one(ctx, id, now).await {
                tracing::warn!(delivery = id, error = %err, "delivery left for retry");
            }
        }
    }
}

/// NTF-01, NTF-03: a notice to a root account: its message center, its security contacts
/// (and, outside SECURITY, its contact phone and e-mail), `extra` targets (an old or a new
/// contact), and every member subscribed to the category.
pub async fn to_account(
    conn: &impl ConnectionTrait,
    account: &entity::accounts::Model,
    notice: &Notice,
    extra: &[(CodeChannel, String)],
    now: DateTime<Utc>,
) -> ServiceResult<Written> {
    let mut written = Written::default();
    let lang = lang_for(account)?;
    let message = insert_message(conn, account.id, None, notice, lang, now).await?;
    written
        .events
        .push(LiveEvent::message(account.id, None, message));
    let mut targets: Vec<(CodeChannel, String)> = Vec::new();
    let mut add = |channel: CodeChannel, target: Option<&String>| {
        if let Some(target) = target
            && !targets.iter().any(|(c, t)| *c == channel && t == target)
        {
            targets.push((channel, target.clone()));
        }
    };
    add(CodeChannel::Sms, account.secure_phone.as_ref());
    add(CodeChannel::Email, account.security_email.as_ref());
    if notice.category != MessageCategory::Security {
        add(CodeChannel::Sms, account.contact_phone.as_ref());
        add(CodeChannel::Email, account.contact_email.as_ref());
    }
    for (channel, target) in extra {
        add(*channel, Some(target));
    }
    for member in subscribers(conn, account.id, notice.category).await? {
        add(CodeChannel::Email, member.email.as_ref());
        add(CodeChannel::Sms, member.phone.as_ref());
        if member.kind == MemberKind::SubUser.as_str() {
            let id = insert_message(conn, account.id, Some(member.id), notice, lang, now).await?;
            written
                .events
                .push(LiveEvent::message(account.id, Some(member.id), id));
        }
    }
    for (channel, target) in targets {
        let id =
            insert_delivery(conn, Some(account.id), channel, &target, notice, lang, now).await?;
        written.deliveries.push(id);
    }
    Ok(written)
}

/// A notice about a change that has already committed on its own (a scheduled run, a
/// provider's finding): written in a transaction of its own, then dispatched.
pub async fn notify(
    ctx: &AppContext,
    account: &entity::accounts::Model,
    notice: &Notice,
    extra: &[(CodeChannel, String)],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let txn = crate::db::begin_write(&ctx.db).await?;
    let written = to_account(&txn, account, notice, extra, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(())
}

/// A notice to the account's message center and exactly `targets` (REC-06 must not write
/// to a secure phone that is the very number in question).
pub async fn to_account_at(
    conn: &impl ConnectionTrait,
    account: &entity::accounts::Model,
    notice: &Notice,
    targets: &[(CodeChannel, String)],
    now: DateTime<Utc>,
) -> ServiceResult<Written> {
    let mut written = to_targets(conn, Some(account.id), targets, notice, now).await?;
    let message = insert_message(conn, account.id, None, notice, lang_for(account)?, now).await?;
    written
        .events
        .push(LiveEvent::message(account.id, None, message));
    Ok(written)
}

/// A notice to one sub-user: its message center and its e-mail.
pub async fn to_sub_user(
    conn: &impl ConnectionTrait,
    member: &entity::sub_users::Model,
    notice: &Notice,
    now: DateTime<Utc>,
) -> ServiceResult<Written> {
    let mut written = Written::default();
    let lang = lang_of(conn, Some(member.account_id)).await?;
    let id = insert_message(conn, member.account_id, Some(member.id), notice, lang, now).await?;
    written
        .events
        .push(LiveEvent::message(member.account_id, Some(member.id), id));
    if let Some(email) = &member.email {
        let id = insert_delivery(
            conn,
            Some(member.account_id),
            CodeChannel::Email,
            email,
            notice,
            lang,
            now,
        )
        .await?;
        written.deliveries.push(id);
    }
    Ok(written)
}

/// A notice to targets outside any message center (a new contact not yet the account's).
pub async fn to_targets(
    conn: &impl ConnectionTrait,
    account_id: Option<i64>,
    targets: &[(CodeChannel, String)],
    notice: &Notice,
    now: DateTime<Utc>,
) -> ServiceResult<Written> {
    let mut written = Written::default();
    let lang = lang_of(conn, account_id).await?;
    for (channel, target) in targets {
        let id = insert_delivery(conn, account_id, *channel, target, notice, lang, now).await?;
        written.deliveries.push(id);
    }
    Ok(written)
}

/// NTF-03: the members of an account that receive `category`.
async fn subscribers(
    conn: &impl ConnectionTrait,
    account_id: i64,
    category: MessageCategory,
) -> ServiceResult<Vec<entity::sub_users::Model>> {
    use entity::sub_users::{Column, Entity};
    let members = Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::MessageCategories.ne(""))
        .filter(Column::Kind.is_in([
            MemberKind::SubUser.as_str(),
            MemberKind::MessageRecipient.as_str(),
        ]))
        .all(conn)
        .await?;
    Ok(members
        .into_iter()
        .filter(|m| receives(m, category))
        .collect())
}

/// NTF-03: whether a member receives notices of `category`.
pub fn receives(member: &entity::sub_users::Model, category: MessageCategory) -> bool {
    member
        .message_categories
        .split(',')
        .any(|c| c == category.as_str())
}

async fn insert_message(
    conn: &impl ConnectionTrait,
    account_id: i64,
    sub_user_id: Option<i64>,
    notice: &Notice,
    lang: Lang,
    now: DateTime<Utc>,
) -> ServiceResult<i64> {
    let (title, body) = notice.render(lang);
    let row = entity::messages::ActiveModel {
        account_id: Set(account_id),
        sub_user_id: Set(sub_user_id),
        category: Set(notice.category.as_str().to_owned()),
        title: Set(title),
        body: Set(body),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

async fn insert_delivery(
    conn: &impl ConnectionTrait,
    account_id: Option<i64>,
    channel: CodeChannel,
    target: &str,
    notice: &Notice,
    lang: Lang,
    now: DateTime<Utc>,
) -> ServiceResult<i64> {
    let (title, body) = notice.render(lang);
    let row = entity::deliveries::ActiveModel {
        account_id: Set(account_id),
        channel: Set(channel.as_str().to_owned()),
        target: Set(target.to_owned()),
        purpose: Set(notice.purpose.to_owned()),
        body: Set(msg!("delivery-body", title = title, body = body).render(lang)),
        state: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_attempt_at: Set(None),
        last_error: Set(None),
        idempotency_key: Set(crypto::random_token(16)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, 4 min, ...
fn backoff(attempts: i32) -> TimeDelta {
    TimeDelta::seconds(30 * 2_i64.pow(u32::try_from(attempts.clamp(1, 10) - 1).unwrap_or(0)))
}

/// Claims one due delivery (exactly one instance wins) and sends it.
async fn deliver_one(ctx: &AppContext, id: i64, now: DateTime<Utc>) -> ServiceResult<bool> {
    use entity::deliveries::{Column, Entity};
    let claimed = Entity::update_many()
        .col_expr(Column::ClaimedUntil, Expr::value(now + CLAIM))
        .col_expr(
            Column::Attempts,
            sea_orm::ExprTrait::add(Expr::col(Column::Attempts), 1),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(PENDING))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        )
        .exec(&ctx.db)
        .await?;
    crate::meters::claim("delivery", claimed.rows_affected == 1);
    if claimed.rows_affected != 1 {
        return Ok(false);
    }
    let Some(row) = Entity::find_by_id(id).one(&ctx.db).await? else {
        return Ok(false);
    };
    let channel = CodeChannel::from_stored("deliveries.channel", &row.channel)?;
    let message = Message {
        channel,
        target: row.target.clone(),
        purpose: row.purpose.clone(),
        code: None,
        body: row.body.clone(),
    };
    let outcome = ctx
        .notifier
        .deliver(message, &row.idempotency_key, now)
        .await;
    let mut active: entity::deliveries::ActiveModel = row.clone().into();
    active.claimed_until = Set(None);
    // Once sent or given up, the outbox keeps no readable address (NTF-04).
    let masked = match channel {
        CodeChannel::Sms => masking::mask_phone(&row.target),
        CodeChannel::Email => masking::mask_email(&row.target),
    };
    active.last_attempt_at = Set(Some(now));
    match outcome {
        Ok(()) => {
            crate::meters::delivery_attempt("sent");
            active.state = Set(SENT.to_owned());
            active.last_error = Set(None);
            active.target = Set(masked);
        }
        Err(err) => {
            let reason: String = err.to_string().chars().take(200).collect();
            active.last_error = Set(Some(reason));
            if row.attempts >= MAX_ATTEMPTS {
                crate::meters::delivery_attempt("failed");
                active.state = Set(FAILED.to_owned());
                active.target = Set(masked);
            } else {
                crate::meters::delivery_attempt("retry");
                active.next_attempt_at = Set(now + backoff(row.attempts));
            }
        }
    }
    active.update(&ctx.db).await?;
    Ok(true)
}

/// Scheduled: sends every delivery that is due (new ones a request could not send, and
/// retries whose backoff has passed). Returns how many were attempted.
pub async fn deliver_due(ctx: &AppContext, now: DateTime<Utc>) -> ServiceResult<u64> {
    use entity::deliveries::{Column, Entity};
    let due: Vec<i64> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::State.eq(PENDING))
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::Id)
        .limit(DELIVERIES_PER_RUN)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let mut attempted = 0;
    for id in due {
        if deliver_one(ctx, id, now).await? {
            attempted += 1;
        }
    }
    Ok(attempted)
}

/// Deliveries waiting (pending) and given up (failed), for the metrics.
pub async fn outbox_counts(db: &sea_orm::DatabaseConnection) -> Result<(u64, u64), sea_orm::DbErr> {
    use entity::deliveries::{Column, Entity};
    use sea_orm::PaginatorTrait;
    let pending = Entity::find()
        .filter(Column::State.eq(PENDING))
        .count(db)
        .await?;
    let failed = Entity::find()
        .filter(Column::State.eq(FAILED))
        .count(db)
        .await?;
    Ok((pending, failed))
}

/// Deliveries that failed for good, newest first (the ops `failedDeliveries`).
pub async fn failed(ctx: &AppContext, first: u64) -> ServiceResult<Vec<entity::deliveries::Model>> {
    use entity::deliveries::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::State.eq(FAILED))
        .order_by_desc(Column::LastAttemptAt)
        .order_by_desc(Column::Id)
        .limit(first)
        .all(&ctx.db)
        .await?)
}
