//! `account-center seed --demo`: a realistic console in an empty database, made through
//! the same use-cases the API runs (registration with an e-mailed code, sign-ins, an
//! instant enterprise verification, members, projects, access keys, MFA bindings), so
//! every row is one the server writes and reads back: stored vocabularies, password
//! hashes, sealed secrets and notices included. It runs on the sandbox adapters (codes
//! land in the outbox, the real-name provider decides at once) under the server's secret
//! key: the one configured, else the one stored in the database.

use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::{
    config::ServeArgs,
    domain::{
        CodeChannel, CodePurpose, LoginMethodKind, MessageCategory, Site, member::AccessKeyStatus,
        member::ProjectStatus, verification::Region, verification::VerificationMethod,
    },
    service::{
        AppContext, Principal, RequestMeta, ServiceError, access_keys, codes, members,
        members::{Contact, NewSubUser},
        messages, mfa_devices, projects, registration, sessions,
        sign_in::{self, PasswordSignIn, SignInOutcome, SubUserSignIn},
        verification::{EnterpriseForm, IndividualForm, submit_enterprise, submit_individual},
    },
};

/// The demo root's sign-in e-mail and password (printed; a demo database only).
pub const EMAIL: &str = "demo@example.com";
pub const PASSWORD: &str = "Demo#Console2026";
/// A sub-user with console sign-in, to see the pages as a member.
pub const SUB_USER: &str = "alice";
pub const SUB_USER_PASSWORD: &str = "Alice#Console2026";
/// The collaborator's own account (another verified root of the site).
const PARTNER_EMAIL: &str = "partner@example.com";
const PARTNER_PASSWORD: &str = "Partner#Console2026";

/// What the demo made, and how to sign in to it.
#[derive(Debug, Clone)]
pub struct DemoConsole {
    /// The root's account ID as the console shows it (sub-user sign-in asks for it).
    pub account_id: String,
    pub email: &'static str,
    pub password: &'static str,
    pub sub_user: &'static str,
    pub sub_user_password: &'static str,
    /// A session of the root, for `Authorization: Bearer …` (expires with the site's TTL).
    pub session_token: String,
    pub session_expires_at: DateTime<Utc>,
    /// The root's virtual MFA device (base32), for an authenticator app.
    pub mfa_secret: String,
    pub members: u64,
    pub projects: u64,
    pub access_keys: u64,
    pub messages: u64,
}

impl DemoConsole {
    /// The sign-in instructions the command prints.
    pub fn instructions(&self, url: &str) -> String {
        let url = url.trim_end_matches('/');
        format!(
            "Demo console seeded: {members} members, {projects} projects, {keys} access keys, {messages} messages.\n\
             \n\
             Serve it:   account-center serve (same --database-url), then open {url}/\n\
             Sign in:    signIn(input: {{ site: CHINA, email: \"{email}\", password: \"{password}\" }})\n\
             \x20           e-mail {email}, password {password} (account ID {account})\n\
             Sub-user:   signInSubUser(input: {{ rootAccountId: \"{account}\", userName: \"{sub}\", password: \"{sub_password}\" }})\n\
             Session:    Authorization: Bearer {token}\n\
             \x20           (valid until {expires}; sign in again after that)\n\
             MFA secret: {mfa} (the root's virtual MFA device; add it to an authenticator app)\n",
            members = self.members,
            projects = self.projects,
            keys = self.access_keys,
            messages = self.messages,
            email = self.email,
            password = self.password,
            account = self.account_id,
            sub = self.sub_user,
            sub_password = self.sub_user_password,
            token = self.session_token,
            expires = self.session_expires_at.to_rfc3339(),
            mfa = self.mfa_secret,
        )
    }
}

/// Why the demo could not be seeded.
#[derive(Debug)]
pub enum DemoError {
    /// The database already holds accounts: the demo fills only an empty one.
    NotEmpty(u64),
    Start(crate::app::StartError),
    Step(&'static str, String),
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotEmpty(n) => write!(
                f,
                "the database already holds {n} account(s); seed --demo fills only an empty \
                 database (point --database-url / DATABASE_URL at a new one)"
            ),
            Self::Start(err) => write!(f, "{err}"),
            Self::Step(step, err) => write!(f, "{step}: {err}"),
        }
    }
}

impl std::error::Error for DemoError {}

trait Step<T> {
    fn step(self, what: &'static str) -> Result<T, DemoError>;
}

impl<T> Step<T> for Result<T, ServiceError> {
    fn step(self, what: &'static str) -> Result<T, DemoError> {
        self.map_err(|e| DemoError::Step(what, e.to_string()))
    }
}

impl<T> Step<T> for Result<T, sea_orm::DbErr> {
    fn step(self, what: &'static str) -> Result<T, DemoError> {
        self.map_err(|e| DemoError::Step(what, e.to_string()))
    }
}

/// Connects and migrates as `serve` does (sandbox adapters, the configured or stored
/// secret key), then seeds. Refuses a database that already holds an account.
pub async fn seed_database(args: &ServeArgs) -> Result<DemoConsole, DemoError> {
    let mut args = args.clone();
    // The demo's own steps need the sandbox (codes in the outbox, instant decisions); the
    // rows it writes are the same whichever mode later serves them.
    args.production = Some(false);
    args.sandbox = Some(true);
    args.ops_token = None;
    args.trusted_documents = None;
    args.db_pool = args.db_pool.clamp(1, 4);
    let built = crate::build(&args).await.map_err(DemoError::Start)?;
    seed(&built.state.app).await
}

/// Fills an empty, migrated database through the use-cases (see the module's note).
pub async fn seed(ctx: &AppContext) -> Result<DemoConsole, DemoError> {
    let accounts = entity::accounts::Entity::find()
        .count(&ctx.db)
        .await
        .step("count accounts")?;
    if accounts > 0 {
        return Err(DemoError::NotEmpty(accounts));
    }
    let office = meta("203.0.113.24", CHROME_WINDOWS);
    let laptop = meta("198.51.100.7", SAFARI_MAC);
    let stranger = meta("192.0.2.99", FIREFOX_LINUX);

    // The partner first: a verified root of the same site, to become a collaborator.
    let partner = register(
        ctx,
        &laptop,
        PARTNER_EMAIL,
        PARTNER_PASSWORD,
        "Partner Studio",
    )
    .await?;
    submit_individual(
        ctx,
        &partner,
        &laptop,
        IndividualForm {
            method: VerificationMethod::WechatScan,
            region: Region::Mainland,
            name: "张三".into(),
            id_number: "11010519491231002X".into(),
            birth_date: "1949-12-31".into(),
            second_factor: None,
        },
        now(ctx),
    )
    .await
    .step("verify the partner")?;

    // The demo root: registered with an e-mailed code, enterprise-verified at once.
    let root = register(ctx, &office, EMAIL, PASSWORD, "Demo Cloud Co.").await?;
    submit_enterprise(
        ctx,
        &root,
        &office,
        EnterpriseForm {
            method: VerificationMethod::WechatOfficialPlatform,
            region: Region::Mainland,
            enterprise_name: "示例科技有限公司".into(),
            credit_code: "91350100M000100Y43".into(),
            legal_person_name: "王五".into(),
            legal_person_id_number: "11010519491231002X".into(),
            legal_person_foreign: false,
            license_issued_on: None,
            bank_account: None,
            contact_name: Some("李四".into()),
            contact_phone: Some("13800138000".into()),
            change_type: None,
            second_factor: None,
        },
        now(ctx),
    )
    .await
    .step("verify the enterprise")?;

    // Projects (two disabled, as a console of some age has).
    let mut project_ids = Vec::new();
    for (name, description) in PROJECTS {
        let project = projects::create(ctx, &root, &office, name, Some(description), now(ctx))
            .await
            .step("create a project")?;
        project_ids.push(project.id);
    }

    // Members: sub-users (one with console sign-in), a collaborator, message recipients.
    let mut sub_user_ids = Vec::new();
    for (i, (name, remark)) in SUB_USERS.iter().enumerate() {
        let console = *name == SUB_USER;
        let member = members::create_sub_user(
            ctx,
            &root,
            &office,
            NewSubUser {
                name: (*name).into(),
                password: console.then(|| SUB_USER_PASSWORD.to_owned()),
                console_login: console,
                email: Some(format!("{name}@example.com")),
                phone: None,
                remark: Some((*remark).into()),
            },
            now(ctx),
        )
        .await
        .step("create a sub-user")?;
        // Each joins one to three of the enabled projects.
        let enabled = project_ids.len() - DISABLED_PROJECTS;
        for m in 0..=(i % 3) {
            let project = project_ids[(i + m * 2) % enabled];
            projects::add_member(ctx, &root, &office, project, member.id, now(ctx))
                .await
                .step("add a project member")?;
        }
        sub_user_ids.push(member.id);
    }
    let partner_number = partner.account_number.clone();
    let collaborator = members::add_collaborator(
        ctx,
        &root,
        &office,
        &partner_number,
        Some("external auditor".into()),
        now(ctx),
    )
    .await
    .step("add the collaborator")?;
    projects::add_member(
        ctx,
        &root,
        &office,
        project_ids[0],
        collaborator.id,
        now(ctx),
    )
    .await
    .step("add the collaborator to a project")?;
    for (name, email, phone) in RECIPIENTS {
        members::create_message_recipient(
            ctx,
            &root,
            &office,
            name,
            Contact {
                email: email.map(str::to_owned),
                phone: phone.map(str::to_owned),
                remark: None,
            },
            now(ctx),
        )
        .await
        .step("create a message recipient")?;
    }
    // Alice receives security and member notices in her own message center.
    if let Some(&alice) = sub_user_ids.first() {
        messages::set_categories(
            ctx,
            &root,
            &office,
            alice,
            &[MessageCategory::Security, MessageCategory::Members],
            now(ctx),
        )
        .await
        .step("choose alice's notices")?;
    }
    for id in project_ids.iter().rev().take(DISABLED_PROJECTS) {
        projects::set_status(ctx, &root, &office, *id, ProjectStatus::Disabled, now(ctx))
            .await
            .step("disable a project")?;
    }

    // Access keys: one of the root's, and one or two for most sub-users (one disabled).
    access_keys::create(ctx, &root, &office, None, None, now(ctx))
        .await
        .step("create the root's access key")?;
    for (i, id) in sub_user_ids.iter().enumerate() {
        for k in 0..(i % 3) {
            let key = access_keys::create(ctx, &root, &office, Some(*id), None, now(ctx))
                .await
                .step("create an access key")?;
            if i == 2 && k == 1 {
                access_keys::set_status(
                    ctx,
                    &root,
                    &office,
                    key.key.id,
                    AccessKeyStatus::Disabled,
                    now(ctx),
                )
                .await
                .step("disable an access key")?;
            }
        }
    }

    // MFA devices: the root's (its secret is printed) and two sub-users'.
    let mfa_secret = bind_virtual(ctx, &root, &office, None).await?;
    for id in sub_user_ids.iter().skip(1).step_by(3).take(2) {
        bind_virtual(ctx, &root, &office, Some(*id)).await?;
    }

    // Login history: a mistyped password from elsewhere, sign-ins from two networks, and
    // alice's own; the unfamiliar network is told to the owner as the server tells it.
    let wrong = sign_in::with_password(
        ctx,
        &stranger,
        PasswordSignIn {
            site: Site::China,
            email: EMAIL,
            password: "wrong-password",
            captcha: None,
            device_token: None,
        },
        now(ctx),
    )
    .await;
    if wrong.is_ok() {
        return Err(DemoError::Step(
            "sign in",
            "a wrong password was accepted".into(),
        ));
    }
    signed_in(
        sign_in::with_password(
            ctx,
            &laptop,
            PasswordSignIn {
                site: Site::China,
                email: EMAIL,
                password: PASSWORD,
                captcha: None,
                device_token: None,
            },
            now(ctx),
        )
        .await,
    )?;
    signed_in(
        sign_in::with_sub_user(
            ctx,
            &office,
            SubUserSignIn {
                root_account_number: &root.account_number,
                user_name: SUB_USER,
                password: SUB_USER_PASSWORD,
                captcha: None,
                device_token: None,
            },
            now(ctx),
        )
        .await,
    )?;
    let session = signed_in(
        sign_in::with_password(
            ctx,
            &office,
            PasswordSignIn {
                site: Site::China,
                email: EMAIL,
                password: PASSWORD,
                captcha: None,
                device_token: None,
            },
            now(ctx),
        )
        .await,
    )?;

    let count = |what: &'static str| move |e: sea_orm::DbErr| DemoError::Step(what, e.to_string());
    let members = entity::sub_users::Entity::find()
        .filter(entity::sub_users::Column::AccountId.eq(root.account_id))
        .count(&ctx.db)
        .await
        .map_err(count("count members"))?;
    let projects = entity::projects::Entity::find()
        .filter(entity::projects::Column::AccountId.eq(root.account_id))
        .count(&ctx.db)
        .await
        .map_err(count("count projects"))?;
    let access_keys = entity::access_keys::Entity::find()
        .filter(entity::access_keys::Column::AccountId.eq(root.account_id))
        .count(&ctx.db)
        .await
        .map_err(count("count access keys"))?;
    let messages = entity::messages::Entity::find()
        .filter(entity::messages::Column::AccountId.eq(root.account_id))
        .filter(entity::messages::Column::SubUserId.is_null())
        .count(&ctx.db)
        .await
        .map_err(count("count messages"))?;
    Ok(DemoConsole {
        account_id: root.account_number,
        email: EMAIL,
        password: PASSWORD,
        sub_user: SUB_USER,
        sub_user_password: SUB_USER_PASSWORD,
        session_token: session.token,
        session_expires_at: session.expires_at,
        mfa_secret,
        members,
        projects,
        access_keys,
        messages,
    })
}

const DISABLED_PROJECTS: usize = 2;

const PROJECTS: [(&str, &str); 8] = [
    ("web-console", "The customer-facing web console"),
    ("mobile-app", "iOS and Android apps, and the mini-program"),
    ("data-platform", "Warehouse, pipelines and dashboards"),
    ("payments", "Checkout and invoicing"),
    ("marketing-site", "The public website"),
    ("internal-tools", "Back-office tools"),
    ("legacy-billing", "Retired in favour of payments"),
    ("archive-2024", "Last year's experiments"),
];

const SUB_USERS: [(&str, &str); 12] = [
    ("alice", "Engineering lead"),
    ("bob", "Backend"),
    ("carol", "Frontend"),
    ("dave", "SRE, on call"),
    ("erin", "Data engineering"),
    ("frank", "Mobile"),
    ("grace", "Security"),
    ("heidi", "Finance"),
    ("ivan", "QA"),
    ("judy", "Product"),
    ("ci-deployer", "CI pipeline (keys only)"),
    ("monitoring", "Metrics exporter (keys only)"),
];

const RECIPIENTS: [(&str, Option<&str>, Option<&str>); 2] = [
    ("Finance mailbox", Some("finance@example.com"), None),
    ("On-call phone", None, Some("13900001111")),
];

const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 \
     (KHTML, like Gecko) Version/17.2 Safari/605.1.15";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

fn meta(address: &str, user_agent: &str) -> RequestMeta {
    RequestMeta {
        client_address: Some(address.to_owned()),
        user_agent: Some(user_agent.to_owned()),
        lang: None,
    }
}

fn now(ctx: &AppContext) -> DateTime<Utc> {
    ctx.clock.now()
}

/// Registers by e-mail with the code the sandbox outbox received, and returns the new
/// account's principal (its registration session).
async fn register(
    ctx: &AppContext,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    nickname: &str,
) -> Result<Principal, DemoError> {
    codes::send(
        ctx,
        meta,
        CodeChannel::Email,
        email,
        CodePurpose::Register,
        Some(Site::China),
        now(ctx),
    )
    .await
    .step("send the registration code")?;
    let code = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::Target.eq(email))
        .order_by_desc(entity::outbox_messages::Column::Id)
        .one(&ctx.db)
        .await
        .step("read the registration code")?
        .and_then(|m| m.code)
        .ok_or_else(|| DemoError::Step("read the registration code", "no code sent".into()))?;
    let registered = registration::register(
        ctx,
        meta,
        registration::Registration {
            site: Some(Site::China),
            method: Some(LoginMethodKind::Email),
            email: Some(email.to_owned()),
            password: Some(password.to_owned()),
            email_code: Some(code),
            provider_code: None,
            nickname: Some(nickname.to_owned()),
        },
        now(ctx),
    )
    .await
    .step("register")?;
    principal(ctx, &registered.session.token).await
}

async fn principal(ctx: &AppContext, token: &str) -> Result<Principal, DemoError> {
    sessions::authenticate(ctx, &ctx.db, token, now(ctx))
        .await
        .step("open the session")?
        .map(|signed_in| signed_in.principal)
        .ok_or_else(|| DemoError::Step("open the session", "the new session is unknown".into()))
}

fn signed_in(
    outcome: Result<SignInOutcome, ServiceError>,
) -> Result<sessions::OpenedSession, DemoError> {
    match outcome.step("sign in")? {
        SignInOutcome::Session(session) => Ok(session),
        SignInOutcome::Challenge(_) | SignInOutcome::AccountChoices(_) => Err(DemoError::Step(
            "sign in",
            "a second step was asked for".into(),
        )),
    }
}

/// Binds a virtual MFA device as the console does (begin, then the app's current code) and
/// returns its secret (base32).
async fn bind_virtual(
    ctx: &AppContext,
    root: &Principal,
    meta: &RequestMeta,
    sub_user_id: Option<i64>,
) -> Result<String, DemoError> {
    let pending = mfa_devices::begin_virtual(ctx, root, meta, sub_user_id, now(ctx))
        .await
        .step("begin an MFA binding")?;
    let policy = ctx.policies.for_site(root.site);
    let secret = Secret::Encoded(pending.secret_base32.clone())
        .to_bytes()
        .map_err(|e| DemoError::Step("read the MFA secret", format!("{e:?}")))?;
    let totp = TOTP::new_unchecked(
        Algorithm::SHA1,
        usize::try_from(policy.mfa_totp_digits).unwrap_or(6),
        1,
        policy.mfa_totp_step_seconds,
        secret,
        None,
        String::new(),
    );
    let at = u64::try_from(now(ctx).timestamp()).unwrap_or_default();
    mfa_devices::confirm_virtual(
        ctx,
        root,
        meta,
        pending.binding_id,
        &totp.generate(at),
        now(ctx),
    )
    .await
    .step("confirm an MFA binding")?;
    Ok(pending.secret_base32)
}
