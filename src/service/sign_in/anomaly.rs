//! NTF-05: a successful sign-in from an untrusted device on an unfamiliar network, or the
//! first after a long quiet period, is told to the owner and recorded; never blocked.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Candidate;
use crate::domain::{
    MessageCategory,
    network::{SignInNotice, assess_sign_in, client_network},
};
use crate::service::{
    AppContext, RequestMeta, ServiceResult,
    accounts::site_of,
    audit::{self, AuditEntry},
    notices::{self, Notice, Written},
};

/// Earlier sign-ins one assessment reads at most: enough to know a principal's networks.
const HISTORY: u64 = 200;

/// Writes the NTF-05 notice (and an audit event) when this sign-in calls for one.
pub(super) async fn notice_if_due(
    ctx: &AppContext,
    txn: &sea_orm::DatabaseTransaction,
    candidate: &Candidate,
    meta: &RequestMeta,
    device_trusted: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Written> {
    use entity::login_events::{Column, Entity};
    let policy = ctx.policies.for_site(site_of(&candidate.account)?);
    let mine = Entity::find()
        .filter(Column::AccountId.eq(candidate.account.id))
        .filter(Column::Success.eq(true));
    let mine = match candidate.sub_user_id {
        None => mine.filter(Column::SubUserId.is_null()),
        Some(id) => mine.filter(Column::SubUserId.eq(id)),
    };
    let previous: Vec<(DateTime<Utc>, Option<String>)> = mine
        .clone()
        .filter(Column::At.gt(now - policy.familiar_network_period))
        .order_by_desc(Column::Id)
        .limit(HISTORY)
        .all(txn)
        .await?
        .into_iter()
        .map(|e| (e.at, e.client_address))
        .collect();
    // The newest sign-in is the first of those; older ones are read only when none is recent.
    let last = match previous.first() {
        Some((at, _)) => Some(*at),
        None => mine.order_by_desc(Column::Id).one(txn).await?.map(|e| e.at),
    };
    let client = meta.client_address.as_deref();
    let Some(kind) = assess_sign_in(
        client,
        device_trusted,
        &previous,
        last,
        policy.dormant_after,
        now,
    ) else {
        return Ok(Written::default());
    };
    // The network only, never the full address (NTF-04).
    let network = client.and_then(client_network);
    let network_arg = match &network {
        Some(network) => crate::i18n::Arg::from(network),
        None => crate::i18n::Arg::from(msg!("unknown-network")),
    };
    let (purpose, title, body, action) = match kind {
        SignInNotice::Anomalous => (
            "ANOMALOUS_SIGN_IN",
            msg!("notice-title-anomalous-sign-in"),
            msg!("notice-body-anomalous-sign-in", network = network_arg),
            "security.anomalous_sign_in",
        ),
        SignInNotice::AfterDormancy => (
            "SIGN_IN_REMINDER",
            msg!("notice-title-sign-in-reminder"),
            msg!(
                "notice-body-sign-in-reminder",
                network = network_arg,
                days = policy.dormant_after.num_days()
            ),
            "security.sign_in_after_dormancy",
        ),
    };
    let entry = AuditEntry {
        account_id: candidate.account.id,
        actor: crate::service::actor(&candidate.account.account_number, candidate.sub_user_id),
        action,
        target_id: None,
        // The audit log keeps the English wording (operators and exports read it).
        detail: Some(network.unwrap_or_else(|| msg!("unknown-network").to_string())),
    };
    audit::record(txn, entry, meta, now).await?;
    let notice = Notice::new(MessageCategory::Security, purpose, title, body);
    match candidate.sub_user_id {
        None => notices::to_account(txn, &candidate.account, &notice, &[], now).await,
        Some(id) => match entity::sub_users::Entity::find_by_id(id).one(txn).await? {
            Some(member) => notices::to_sub_user(txn, &member, &notice, now).await,
            None => Ok(Written::default()),
        },
    }
}
