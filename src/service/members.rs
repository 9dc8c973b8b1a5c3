//! Members of a root account (SUB-01..07): sub-users, collaborators and message
//! recipients; the member limit under concurrency; deleting a sub-user and all it holds.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};

use super::{
    AppContext, ErrorCode, Page, Principal, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    both, principal_key,
    second_factor::{SecondFactor, guard_protected_operation},
    verification,
};
use crate::{
    crypto, db,
    domain::{
        DomainError, Email, Lifecycle, Password, Phone,
        member::{AccessKeyStatus, MemberKind, UserName},
        plain_text,
    },
};

use entity::sub_users::{ActiveModel, Column, Entity, Model};

const REMARK_MAX_CHARS: usize = 256;
const RECIPIENT_NAME_MAX_CHARS: usize = 64;

/// `createSubUser` as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct NewSubUser {
    pub name: String,
    pub password: Option<String>,
    pub console_login: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub remark: Option<String>,
}

/// Contact fields: `Some("")` clears one, `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub remark: Option<String>,
}

struct ParsedContact {
    email: Option<Option<String>>,
    phone: Option<Option<String>>,
    remark: Option<Option<String>>,
}

fn blank(raw: &str) -> bool {
    raw.trim().is_empty()
}

/// Every contact field, each checked: one answer names all the invalid ones.
fn parse_contact(contact: &Contact) -> ServiceResult<ParsedContact> {
    fn field(
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<String, DomainError>,
    ) -> ServiceResult<Option<Option<String>>> {
        match raw {
            None => Ok(None),
            Some(raw) if blank(raw) => Ok(Some(None)),
            Some(raw) => Ok(Some(Some(parse(raw)?))),
        }
    }
    let email = field(contact.email.as_deref(), |raw| {
        Email::parse(raw)
            .map(|e| e.as_str().to_owned())
            .map_err(|e| DomainError::new("email", e.message))
    });
    let phone = field(contact.phone.as_deref(), |raw| {
        Phone::parse(raw)
            .map(|p| p.as_str().to_owned())
            .map_err(|e| DomainError::new("phone", e.message))
    });
    let remark = field(contact.remark.as_deref(), |raw| {
        plain_text("remark", raw, REMARK_MAX_CHARS)
    });
    let ((email, phone), remark) = both(both(email, phone), remark)?;
    Ok(ParsedContact {
        email,
        phone,
        remark,
    })
}

/// A member of the principal's root account (owner-scoped: others are "not found").
pub async fn owned(
    conn: &impl ConnectionTrait,
    account_id: i64,
    sub_user_id: i64,
) -> ServiceResult<Model> {
    Entity::find_by_id(sub_user_id)
        .filter(Column::AccountId.eq(account_id))
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-sub-user")))
}

/// SUB-02: refuses when the limit is reached; the caller holds the account's member lock.
async fn hold_member_place(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    account: &entity::accounts::Model,
) -> ServiceResult<()> {
    let limit = ctx.policies.for_site(site_of(account)?).member_limit;
    let counted: Vec<&str> = MemberKind::ALL
        .into_iter()
        .filter(|k| k.counts_toward_limit())
        .map(MemberKind::as_str)
        .collect();
    let members = Entity::find()
        .filter(Column::AccountId.eq(account.id))
        .filter(Column::Kind.is_in(counted))
        .count(txn)
        .await?;
    if members >= u64::try_from(limit.max(0)).unwrap_or(0) {
        return Err(ServiceError::refused(
            ErrorCode::MemberLimit,
            msg!("err-member-limit", limit = limit),
        ));
    }
    Ok(())
}

fn name_taken(what: crate::i18n::Message) -> ServiceError {
    ServiceError::refused_at(
        ErrorCode::NameTaken,
        "name",
        msg!("err-name-taken", what = what),
    )
}

/// Inserts a member, reporting a lost race on the unique name as NAME_TAKEN.
async fn insert_member(
    txn: &DatabaseTransaction,
    row: ActiveModel,
    taken: crate::i18n::Message,
) -> ServiceResult<Model> {
    match row.insert(txn).await {
        Ok(model) => Ok(model),
        Err(err) if db::is_unique_violation(&err) => Err(name_taken(taken)),
        Err(err) => Err(err.into()),
    }
}

async fn name_in_use(txn: &DatabaseTransaction, account_id: i64, key: &str) -> ServiceResult<bool> {
    Ok(Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::NameKey.eq(key))
        .count(txn)
        .await?
        > 0)
}

/// A member ready to insert: its row, its name key, what to call it when the name is
/// taken, and the audit action.
struct NewMember<'a> {
    row: ActiveModel,
    key: &'a str,
    taken: crate::i18n::Message,
    action: &'static str,
}

async fn finish_insert(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    new: NewMember<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    let NewMember {
        row,
        key,
        taken,
        action,
    } = new;
    let txn = db::begin_write(&ctx.db).await?;
    // Taken for every kind: a cancellation request counts all members under this lock.
    db::lock_scope(&txn, "members", &principal.account_id.to_string()).await?;
    let account = accounts::load(&txn, principal.account_id).await?;
    accounts::require_active(&account, msg!("err-cancelling-cannot-add-members"))?;
    if row.kind.as_ref() != MemberKind::MessageRecipient.as_str() {
        hold_member_place(ctx, &txn, &account).await?;
    }
    if name_in_use(&txn, account.id, key).await? {
        return Err(name_taken(taken));
    }
    let member = insert_member(&txn, row, taken).await?;
    let entry = AuditEntry::by(principal, action).target(format!("SubUser:{}", member.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(member)
}

fn base_row(
    account_id: i64,
    kind: MemberKind,
    name: &str,
    key: &str,
    now: DateTime<Utc>,
) -> ActiveModel {
    ActiveModel {
        account_id: Set(account_id),
        kind: Set(kind.as_str().to_owned()),
        name: Set(name.to_owned()),
        name_key: Set(key.to_owned()),
        remark: Set(None),
        email: Set(None),
        phone: Set(None),
        password_hash: Set(None),
        console_login: Set(false),
        collaborator_account_id: Set(None),
        login_protection: Set(false),
        operation_protection: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
}

fn apply_contact(row: &mut ActiveModel, contact: ParsedContact) {
    if let Some(email) = contact.email {
        row.email = Set(email);
    }
    if let Some(phone) = contact.phone {
        row.phone = Set(phone);
    }
    if let Some(remark) = contact.remark {
        row.remark = Set(remark);
    }
}

/// SUB-01, SUB-04: a sub-user with a user name; console sign-in needs a password.
pub async fn create_sub_user(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    form: NewSubUser,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let name = UserName::parse("name", &form.name).map_err(ServiceError::from);
    let contact = parse_contact(&Contact {
        email: form.email,
        phone: form.phone,
        remark: form.remark,
    });
    let password = match form.password.as_deref().filter(|p| !p.is_empty()) {
        None if form.console_login => Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "password",
            msg!("err-sub-user-console-signin-needs"),
        )),
        None => Ok(None),
        Some(raw) => {
            let policy = ctx.policies.for_site(principal.site);
            Password::parse_for(raw, None, policy)
                .map(Some)
                .map_err(|e| {
                    ServiceError::refused_at(ErrorCode::PasswordTooWeak, "password", e.message)
                })
        }
    };
    let ((name, contact), password) = both(both(name, contact), password)?;
    let hash = match password {
        Some(parsed) => Some(crypto::hash_password(parsed.expose().to_owned()).await?),
        None => None,
    };
    let key = name.key();
    let mut row = base_row(
        principal.account_id,
        MemberKind::SubUser,
        name.as_str(),
        &key,
        now,
    );
    row.password_hash = Set(hash);
    row.console_login = Set(form.console_login);
    apply_contact(&mut row, contact);
    let new = NewMember {
        row,
        key: &key,
        taken: msg!("taken-member-name"),
        action: "member.create_sub_user",
    };
    finish_insert(ctx, principal, meta, new, now).await
}

/// SUB-01, SUB-03, VER-21: an existing, verified root account of the same site.
pub async fn add_collaborator(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    collaborator_number: &str,
    remark: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let contact = parse_contact(&Contact {
        remark,
        ..Contact::default()
    })?;
    let not_found = || {
        ServiceError::refused_at(
            ErrorCode::NotFound,
            "collaboratorAccountId",
            msg!("err-no-account-site-account-id"),
        )
    };
    let other = entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(collaborator_number.trim()))
        .filter(entity::accounts::Column::Site.eq(principal.site.as_str()))
        .filter(entity::accounts::Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .one(&ctx.db)
        .await?
        .ok_or_else(not_found)?;
    if other.id == principal.account_id {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "collaboratorAccountId",
            msg!("err-account-cannot-collaborate-itself"),
        ));
    }
    let (in_force, _) = verification::current(&ctx.db, other.id).await?;
    if in_force.is_none() {
        return Err(ServiceError::refused_at(
            ErrorCode::NotVerified,
            "collaboratorAccountId",
            msg!("err-only-verified-account-can-join"),
        ));
    }
    let key = format!("collaborator:{}", other.id);
    let mut row = base_row(
        principal.account_id,
        MemberKind::Collaborator,
        &other.account_number,
        &key,
        now,
    );
    row.collaborator_account_id = Set(Some(other.id));
    apply_contact(&mut row, contact);
    let new = NewMember {
        row,
        key: &key,
        taken: msg!("taken-collaborator"),
        action: "member.add_collaborator",
    };
    finish_insert(ctx, principal, meta, new, now).await
}

/// SUB-01: receives notices, never signs in; not counted in the limit (SUB-02).
pub async fn create_message_recipient(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    name: &str,
    contact: Contact,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let given = |raw: &Option<String>| raw.as_deref().is_some_and(|r| !blank(r));
    let reachable = if given(&contact.email) || given(&contact.phone) {
        Ok(())
    } else {
        Err(DomainError::new("email", msg!("err-message-recipient-needs-email-phone")).into())
    };
    let name = plain_text("name", name, RECIPIENT_NAME_MAX_CHARS).map_err(ServiceError::from);
    let ((name, contact), ()) = both(both(name, parse_contact(&contact)), reachable)?;
    let key = format!("recipient:{}", name.to_lowercase());
    let mut row = base_row(
        principal.account_id,
        MemberKind::MessageRecipient,
        &name,
        &key,
        now,
    );
    apply_contact(&mut row, contact);
    let new = NewMember {
        row,
        key: &key,
        taken: msg!("taken-message-recipient-name"),
        action: "member.create_message_recipient",
    };
    finish_insert(ctx, principal, meta, new, now).await
}

/// Remark, contacts and console sign-in; turning sign-in off ends the sub-user's sessions.
pub async fn update(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: i64,
    contact: Contact,
    console_login: Option<bool>,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let contact = parse_contact(&contact)?;
    let txn = db::begin_write(&ctx.db).await?;
    let member = owned(&txn, principal.account_id, sub_user_id).await?;
    if let Some(on) = console_login {
        if member.kind != MemberKind::SubUser.as_str() {
            return Err(ServiceError::refused_at(
                ErrorCode::InvalidInput,
                "consoleLogin",
                msg!("err-only-sub-users-sign-console"),
            ));
        }
        if on && member.password_hash.is_none() {
            return Err(ServiceError::refused_at(
                ErrorCode::InvalidInput,
                "consoleLogin",
                msg!("err-sub-user-no-password-sign"),
            ));
        }
        if !on {
            super::sessions::revoke_principal_sessions(
                &txn,
                member.account_id,
                Some(member.id),
                None,
                now,
            )
            .await?;
        }
    }
    let mut row: ActiveModel = member.into();
    apply_contact(&mut row, contact);
    if let Some(on) = console_login {
        row.console_login = Set(on);
    }
    let member = row.update(&txn).await?;
    let entry = AuditEntry::by(principal, "member.update").target(format!("SubUser:{}", member.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(member)
}

/// SUB-06, SUB-07, MFA-07: refused while an access key is ACTIVE; otherwise removes the
/// member with its memberships, keys, MFA device, sessions and sign-in state.
pub async fn delete(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: i64,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<i64> {
    principal.require_root()?;
    owned(&ctx.db, principal.account_id, sub_user_id).await?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    guard_protected_operation(ctx, &account, None, factor, now).await?;

    let txn = db::begin_write(&ctx.db).await?;
    // The keys' lock: a key enabled at this moment is counted, or waits for the deletion.
    db::lock_scope(
        &txn,
        "access-keys",
        &principal_key(principal.account_id, Some(sub_user_id)),
    )
    .await?;
    let member = owned(&txn, principal.account_id, sub_user_id).await?;
    let active_keys = entity::access_keys::Entity::find()
        .filter(entity::access_keys::Column::SubUserId.eq(member.id))
        .filter(entity::access_keys::Column::Status.eq(AccessKeyStatus::Active.as_str()))
        .count(&txn)
        .await?;
    if active_keys > 0 {
        return Err(ServiceError::refused(
            ErrorCode::ActiveAccessKeys,
            msg!("err-sub-user-active-access-key"),
        ));
    }
    remove_everything_of(&txn, &member).await?;
    let entry = AuditEntry::by(principal, "member.delete").target(format!("SubUser:{}", member.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(member.id)
}

/// Deletes what hangs off a member explicitly, so nothing depends on the database's
/// cascade settings.
pub async fn remove_everything_of(txn: &DatabaseTransaction, member: &Model) -> ServiceResult<()> {
    let key = principal_key(member.account_id, Some(member.id));
    entity::project_members::Entity::delete_many()
        .filter(entity::project_members::Column::SubUserId.eq(member.id))
        .exec(txn)
        .await?;
    entity::access_keys::Entity::delete_many()
        .filter(entity::access_keys::Column::SubUserId.eq(member.id))
        .exec(txn)
        .await?;
    entity::mfa_recovery_codes::Entity::delete_many()
        .filter(
            entity::mfa_recovery_codes::Column::MfaDeviceId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::mfa_devices::Column::Id)
                    .from(entity::mfa_devices::Entity)
                    .and_where(entity::mfa_devices::Column::PrincipalKey.eq(key.as_str()))
                    .to_owned(),
            ),
        )
        .exec(txn)
        .await?;
    entity::mfa_bindings::Entity::delete_many()
        .filter(entity::mfa_bindings::Column::PrincipalKey.eq(key.as_str()))
        .exec(txn)
        .await?;
    entity::mfa_devices::Entity::delete_many()
        .filter(entity::mfa_devices::Column::PrincipalKey.eq(key.as_str()))
        .exec(txn)
        .await?;
    entity::trusted_devices::Entity::delete_many()
        .filter(entity::trusted_devices::Column::PrincipalKey.eq(key.as_str()))
        .exec(txn)
        .await?;
    entity::lockout_counters::Entity::delete_many()
        .filter(entity::lockout_counters::Column::PrincipalKey.eq(key.as_str()))
        .exec(txn)
        .await?;
    entity::login_challenges::Entity::delete_many()
        .filter(entity::login_challenges::Column::SubUserId.eq(member.id))
        .exec(txn)
        .await?;
    entity::sessions::Entity::delete_many()
        .filter(entity::sessions::Column::SubUserId.eq(member.id))
        .exec(txn)
        .await?;
    entity::sub_users::Entity::delete_by_id(member.id)
        .exec(txn)
        .await?;
    Ok(())
}

/// Filters of the members list.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub kind: Option<MemberKind>,
    /// Case-insensitive part of the name.
    pub search: Option<String>,
}

impl MemberFilter {
    /// Filters nothing out: the list is every member.
    pub fn is_empty(&self) -> bool {
        self.kind.is_none() && self.search.as_deref().is_none_or(|s| s.trim().is_empty())
    }
}

fn escape_like(raw: &str) -> String {
    raw.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// SUB-01: the members in creation order, by keyset after `after`; `total` says how the
/// list's size is told (skipped when the client does not read it, known when unfiltered).
pub async fn list(
    conn: &impl ConnectionTrait,
    account_id: i64,
    filter: &MemberFilter,
    after: Option<i64>,
    limit: u64,
    total: super::paging::Total,
) -> ServiceResult<Page<Model>> {
    let mut condition = Condition::all().add(Column::AccountId.eq(account_id));
    if let Some(kind) = filter.kind {
        condition = condition.add(Column::Kind.eq(kind.as_str()));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        condition = condition.add(sea_orm::ExprTrait::like(
            sea_orm::sea_query::Func::lower(sea_orm::sea_query::Expr::col(Column::Name)),
            sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'),
        ));
    }
    let query = Entity::find().filter(condition);
    let keyset = super::paging::Keyset {
        id: Column::Id,
        order: super::paging::Order::OldestFirst,
        after,
        limit,
        total,
    };
    super::paging::keyset_page_by_position::<_, super::rows::Positional<Model>>(conn, query, keyset)
        .await
}
