//! Sign-in (LOG-04, LOG-06..09): by login e-mail and password or by a third-party
//! identity, ending in a session or, with login protection on, a challenge (MFA-06). The
//! password check behind its counters (`password_guard`) and the second step
//! (`challenges`) live beside it. Each use-case takes one request struct and `now`.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

mod anomaly;
pub mod challenges;
pub mod password_guard;

use super::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult,
    accounts::site_of,
    audit::{self, LoginAttempt},
    collaboration, identifiers, principal_key, rate_limit, second_factor,
    sessions::{self, OpenedSession, SessionFor},
};
use crate::{
    db,
    domain::{
        Email, Lifecycle, LoginMethodKind, Site,
        member::{MemberKind, UserName},
    },
};

/// Counts one sign-in attempt of any kind (password, provider, sub-user, challenge answer)
/// against the client's window, with the policy of the site the attempt names: stops one
/// client spraying guesses over many accounts, where LOG-07's per-account lock cannot see
/// it. Counted in the database, so every instance shares it. An attempt that names no site
/// (an unknown root account ID or challenge) counts under the CHINA site's policy.
pub async fn limit_client(
    ctx: &AppContext,
    meta: &RequestMeta,
    site: Site,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let policy = ctx.policies.for_site(site);
    let limit = rate_limit::Limit {
        scope: "sign-in-per-client",
        max_hits: policy.sign_ins_per_client,
        window: policy.sign_in_client_window,
    };
    match &meta.client_address {
        Some(client) => {
            let key = format!("{}:{client}", site.as_str());
            rate_limit::hit(&ctx.db, limit, &key, now).await
        }
        None => Ok(()),
    }
}

/// What a successful first step of sign-in yields.
pub enum SignInOutcome {
    Session(OpenedSession),
    /// Login protection wants a second factor first.
    Challenge(challenges::IssuedChallenge),
    /// The third-party identity serves several accounts: pick one (LOG-04).
    AccountChoices(Vec<String>),
}

/// Who is signing in, once the credential named them.
pub struct Candidate {
    pub account: entity::accounts::Model,
    pub sub_user_id: Option<i64>,
    pub method: Option<LoginMethodKind>,
    /// The password hash the credential was checked against: the session opens only if it
    /// is still the stored one, so a reset that lands during the check wins (REC-01/02).
    pub checked_hash: Option<String>,
    /// COL-01: a collaborator switching in as member `sub_user_id`.
    pub switch: Option<Switch>,
}

/// COL-01: a collaborator switching into a root account from a session of its own.
pub struct Switch {
    /// The collaborator's own account: its second factor answers the root's login
    /// protection (COL-02).
    pub own: entity::accounts::Model,
    /// The session the switch was asked from: it ends when the new one opens.
    pub from_session: i64,
}

impl Candidate {
    /// Whose second factor answers this sign-in's challenge: the principal's own, or a
    /// switching collaborator's own account's (COL-02).
    pub fn factor_owner(&self) -> (&entity::accounts::Model, Option<i64>) {
        match &self.switch {
            Some(switch) => (&switch.own, None),
            None => (&self.account, self.sub_user_id),
        }
    }
}

/// `signIn`: the login e-mail and its password, as typed.
pub struct PasswordSignIn<'a> {
    pub site: Site,
    pub email: &'a str,
    pub password: &'a str,
    pub captcha: Option<&'a str>,
    /// A device trusted for 7 days earlier (MFA-06).
    pub device_token: Option<&'a str>,
}

/// `signInSubUser`: the root's account ID, the user name and its password.
pub struct SubUserSignIn<'a> {
    pub root_account_number: &'a str,
    pub user_name: &'a str,
    pub password: &'a str,
    pub captcha: Option<&'a str>,
    pub device_token: Option<&'a str>,
}

/// `signInWithProvider`: the provider's authorization code, and the account chosen when
/// one identity serves several (LOG-04).
pub struct ProviderSignIn<'a> {
    pub site: Site,
    pub kind: LoginMethodKind,
    pub provider_code: &'a str,
    pub chosen_account: Option<&'a str>,
    pub device_token: Option<&'a str>,
}

/// Password sign-in with the login e-mail (LOG-06, LOG-07).
pub async fn with_password(
    ctx: &AppContext,
    meta: &RequestMeta,
    request: PasswordSignIn<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    let PasswordSignIn {
        site,
        email: raw_email,
        password,
        captcha,
        device_token,
    } = request;
    limit_client(ctx, meta, site, now).await?;
    let method = Some(LoginMethodKind::Email);
    let email = Email::parse(raw_email).ok();
    let account = match &email {
        Some(email) => find_by_login(ctx, site, LoginMethodKind::Email, email.as_str())
            .await?
            .into_iter()
            .next(),
        None => None,
    };
    let Some(account) = account else {
        // LOG-07 for an e-mail that names nobody: the same counter, captcha and lock, so
        // the answers do not reveal which e-mails are registered.
        let typed = email.as_ref().map_or_else(
            || raw_email.trim().to_lowercase(),
            |e| e.as_str().to_owned(),
        );
        let key = password_guard::unknown_key(ctx, &[site.as_str(), "EMAIL", &typed]);
        let attempt = password_guard::Attempt {
            named: password_guard::Named::Nobody { site, method },
            key: &key,
            password,
            stored_hash: None,
            captcha,
        };
        password_guard::check(ctx, meta, attempt, now).await?;
        return Err(password_guard::invalid_credentials());
    };
    let key = principal_key(account.id, None);
    let candidate = Candidate {
        sub_user_id: None,
        method,
        checked_hash: account.password_hash.clone(),
        switch: None,
        account,
    };
    let attempt = password_guard::Attempt {
        named: password_guard::Named::Principal(&candidate),
        key: &key,
        password,
        stored_hash: candidate.account.password_hash.clone(),
        captcha,
    };
    password_guard::check(ctx, meta, attempt, now).await?;
    finish(ctx, meta, candidate, device_token, now).await
}

/// SUB-04: a sub-user signs in with its root's account ID, its user name and its password,
/// under the same captcha, lockout and login-protection rules as a root account.
pub async fn with_sub_user(
    ctx: &AppContext,
    meta: &RequestMeta,
    request: SubUserSignIn<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    let SubUserSignIn {
        root_account_number,
        user_name,
        password,
        captcha,
        device_token,
    } = request;
    let root = entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(root_account_number.trim()))
        .filter(entity::accounts::Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .one(&ctx.db)
        .await?;
    let site = root.as_ref().map_or(Ok(Site::China), site_of)?;
    limit_client(ctx, meta, site, now).await?;
    let member = match (&root, UserName::parse("userName", user_name)) {
        (Some(root), Ok(name)) => {
            entity::sub_users::Entity::find()
                .filter(entity::sub_users::Column::AccountId.eq(root.id))
                .filter(entity::sub_users::Column::NameKey.eq(name.key()))
                .filter(entity::sub_users::Column::Kind.eq(MemberKind::SubUser.as_str()))
                .filter(entity::sub_users::Column::ConsoleLogin.eq(true))
                .one(&ctx.db)
                .await?
        }
        _ => None,
    };
    let (Some(root), Some(member)) = (root, member) else {
        // LOG-07 for a root and user name that name nobody: the same path as a real
        // sub-user's, so the answers do not reveal which sub-users exist.
        let typed_name = user_name.trim().to_lowercase();
        let key = password_guard::unknown_key(
            ctx,
            &["SUB_USER", root_account_number.trim(), &typed_name],
        );
        let attempt = password_guard::Attempt {
            named: password_guard::Named::Nobody { site, method: None },
            key: &key,
            password,
            stored_hash: None,
            captcha,
        };
        password_guard::check(ctx, meta, attempt, now).await?;
        return Err(password_guard::invalid_credentials());
    };
    let key = principal_key(root.id, Some(member.id));
    let candidate = Candidate {
        account: root,
        sub_user_id: Some(member.id),
        method: None,
        checked_hash: member.password_hash.clone(),
        switch: None,
    };
    let attempt = password_guard::Attempt {
        named: password_guard::Named::Principal(&candidate),
        key: &key,
        password,
        stored_hash: member.password_hash,
        captcha,
    };
    password_guard::check(ctx, meta, attempt, now).await?;
    finish(ctx, meta, candidate, device_token, now).await
}

/// Accounts of `site` that a login identifier leads to (several only for WeChat).
async fn find_by_login(
    ctx: &AppContext,
    site: Site,
    kind: LoginMethodKind,
    identifier: &str,
) -> ServiceResult<Vec<entity::accounts::Model>> {
    use entity::login_methods::Column;
    let account_ids: Vec<i64> = entity::login_methods::Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Identifier.eq(identifier))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entity::accounts::Entity::find()
        .filter(entity::accounts::Column::Id.is_in(account_ids))
        .filter(entity::accounts::Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .all(&ctx.db)
        .await?)
}

/// Third-party sign-in (LOG-08): WeChat may lead to several accounts (LOG-04).
pub async fn with_provider(
    ctx: &AppContext,
    meta: &RequestMeta,
    request: ProviderSignIn<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    let ProviderSignIn {
        site,
        kind,
        provider_code,
        chosen_account,
        device_token,
    } = request;
    limit_client(ctx, meta, site, now).await?;
    if !kind.is_third_party() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "kind",
            msg!("err-use-signin-email-password"),
        ));
    }
    let external_id =
        identifiers::resolve_provider(ctx, kind, &Some(provider_code.to_owned())).await?;
    let mut matches = find_by_login(ctx, site, kind, &external_id).await?;
    matches.sort_by_key(|a| a.id);
    let account = match (chosen_account, matches.len()) {
        (_, 0) => {
            return Err(ServiceError::refused_at(
                ErrorCode::NotFound,
                "providerCode",
                msg!("err-no-account-bound-identity-register"),
            ));
        }
        (None, 1) => matches.remove(0),
        (None, _) => {
            return Ok(SignInOutcome::AccountChoices(
                matches.into_iter().map(|a| a.account_number).collect(),
            ));
        }
        (Some(number), _) => matches
            .into_iter()
            .find(|a| a.account_number == number.trim())
            .ok_or_else(|| {
                ServiceError::refused_at(
                    ErrorCode::NotFound,
                    "accountId",
                    msg!("err-identity-not-bound-account"),
                )
            })?,
    };
    let candidate = Candidate {
        account,
        sub_user_id: None,
        method: Some(kind),
        checked_hash: None,
        switch: None,
    };
    finish(ctx, meta, candidate, device_token, now).await
}

/// The credential is proven: open a session, or ask for the second factor when login
/// protection is on and the device is not trusted (MFA-06).
pub async fn finish(
    ctx: &AppContext,
    meta: &RequestMeta,
    candidate: Candidate,
    device_token: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    let site = site_of(&candidate.account)?;
    let key = principal_key(candidate.account.id, candidate.sub_user_id);
    // The root's login protection covers its sub-users and collaborators too; a sub-user
    // answers with its own MFA device (it has no secure phone or e-mail), a collaborator
    // with its own account's factors (COL-02); one with nothing to answer with is not asked.
    let protected = candidate.account.login_protection
        && match (&candidate.switch, candidate.sub_user_id) {
            (Some(switch), _) => !second_factor::available_factors(&ctx.db, &switch.own, None)
                .await?
                .is_empty(),
            (None, None) => true,
            (None, Some(_)) => has_device(ctx, &key).await?,
        };
    let trusted = challenges::is_trusted_device(&ctx.db, &key, device_token, now).await?;
    if protected && !trusted {
        let challenge = challenges::issue(ctx, meta, &candidate, now).await?;
        return Ok(SignInOutcome::Challenge(challenge));
    }
    let txn = db::begin_write(&ctx.db).await?;
    if let Some(checked) = &candidate.checked_hash {
        db::lock_scope(&txn, "credentials", &key).await?;
        if stored_hash(&txn, &candidate).await?.as_ref() != Some(checked) {
            return Err(password_guard::invalid_credentials());
        }
    }
    if let (Some(switch), Some(member_id)) = (&candidate.switch, candidate.sub_user_id) {
        collaboration::record_switch_in(&txn, &candidate.account, member_id, switch, meta, now)
            .await?;
    }
    let whom = SessionFor {
        account_id: candidate.account.id,
        site,
        sub_user_id: candidate.sub_user_id,
        collaborator_account_id: candidate.switch.as_ref().map(|s| s.own.id),
    };
    let session = sessions::open(&txn, ctx, whom, meta, now).await?;
    let attempt = LoginAttempt {
        account_id: Some(candidate.account.id),
        sub_user_id: candidate.sub_user_id,
        method: candidate.method,
        failure_reason: None,
    };
    // Assessed before this sign-in is recorded: it compares with the earlier ones.
    let written = anomaly::notice_if_due(ctx, &txn, &candidate, meta, trusted, now).await?;
    if candidate.switch.is_none() {
        audit::record_login(&txn, attempt, meta, now).await?;
    }
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(SignInOutcome::Session(session))
}

/// The principal's password hash as stored now.
async fn stored_hash(
    conn: &impl sea_orm::ConnectionTrait,
    candidate: &Candidate,
) -> ServiceResult<Option<String>> {
    Ok(match candidate.sub_user_id {
        Some(id) => entity::sub_users::Entity::find_by_id(id)
            .one(conn)
            .await?
            .and_then(|m| m.password_hash),
        None => entity::accounts::Entity::find_by_id(candidate.account.id)
            .one(conn)
            .await?
            .and_then(|a| a.password_hash),
    })
}

async fn has_device(ctx: &AppContext, key: &str) -> ServiceResult<bool> {
    use sea_orm::PaginatorTrait;
    Ok(entity::mfa_devices::Entity::find()
        .filter(entity::mfa_devices::Column::PrincipalKey.eq(key))
        .count(&ctx.db)
        .await?
        > 0)
}
