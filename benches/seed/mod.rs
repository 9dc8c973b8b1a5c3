//! Seeds the console-page shape of `../shared/bench/seed.sql` into this project's own
//! tables: one big root account with its members, keys, MFA devices and projects, plus
//! other accounts. Shared by the benchmark and the statement-count test.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, NotSet, Set,
};

/// How much to seed.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub sub_users: usize,
    pub projects: usize,
    pub other_accounts: usize,
}

impl Shape {
    /// The anchor's shape: 1,000 members (800 / 100 / 100 by kind), 50 projects (10
    /// disabled), 2,000 other accounts.
    pub const ANCHOR: Shape = Shape {
        sub_users: 1000,
        projects: 50,
        other_accounts: 2000,
    };
}

/// What the seed made: the big root and a session token for it.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub root_id: i64,
    pub token: String,
}

const CHUNK: usize = 400;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + TimeDelta::minutes(minutes)
}

/// A stable pseudo-random number for row `n` (the same data every run).
fn mix(n: u64) -> u64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 32)
}

fn account(id: i64, nickname: &str) -> entity::accounts::ActiveModel {
    entity::accounts::ActiveModel {
        id: Set(id),
        account_number: Set(format!("{}", 100_000_000_000 + id)),
        app_id: Set(format!("{}", 1_300_000_000 + id)),
        site: Set("CHINA".into()),
        nickname: Set(Some(nickname.to_owned())),
        lifecycle: Set("ACTIVE".into()),
        freeze_reasons: Set(String::new()),
        registration_method: Set("WECHAT".into()),
        registered_at: Set(at(id)),
        secure_phone: Set(None),
        security_email: Set(None),
        contact_phone: Set(None),
        contact_email: Set(None),
        password_hash: Set(None),
        login_protection: Set(false),
        operation_protection: Set(false),
        cancelled_at: Set(None),
        secure_phone_release_at: Set(None),
        // Kept by the database as members are inserted.
        member_count: NotSet,
    }
}

async fn insert_chunks<A>(db: &DatabaseConnection, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Seeds an empty, migrated database. Primary keys are explicit; on PostgreSQL the
/// sequences are moved past them so the API can go on inserting.
pub async fn seed(db: &DatabaseConnection, shape: Shape) -> Result<Seeded, DbErr> {
    let root_id = 1_i64;
    let mut accounts = vec![account(root_id, "big")];
    for i in 0..shape.other_accounts {
        accounts.push(account(root_id + 1 + i as i64, &format!("acct-{i}")));
    }
    insert_chunks(db, accounts).await?;

    let mut methods = Vec::new();
    for (k, kind) in ["WECHAT", "QQ", "WECOM", "EMAIL"].iter().enumerate() {
        let identifier = if *kind == "EMAIL" {
            "big@example.com".to_owned()
        } else {
            format!("ext-{kind}-big")
        };
        methods.push(entity::login_methods::ActiveModel {
            account_id: Set(root_id),
            site: Set("CHINA".into()),
            kind: Set((*kind).into()),
            unique_identifier: Set(
                (*kind != "WECHAT").then(|| format!("CHINA:{kind}:{identifier}"))
            ),
            identifier: Set(identifier),
            is_registration_method: Set(k == 0),
            bound_at: Set(at(k as i64)),
            ..Default::default()
        });
    }
    for i in 0..shape.other_accounts {
        let id = root_id + 1 + i as i64;
        methods.push(entity::login_methods::ActiveModel {
            account_id: Set(id),
            site: Set("CHINA".into()),
            kind: Set("WECHAT".into()),
            unique_identifier: Set(None),
            identifier: Set(format!("ext-wechat-{id}")),
            is_registration_method: Set(true),
            bound_at: Set(at(id)),
            ..Default::default()
        });
    }
    insert_chunks(db, methods).await?;

    entity::verifications::ActiveModel {
        account_id: Set(root_id),
        subject_kind: Set("ENTERPRISE".into()),
        method: Set("WECHAT_OFFICIAL_PLATFORM".into()),
        change_type: Set("INITIAL".into()),
        state: Set("APPROVED".into()),
        region: Set("MAINLAND".into()),
        subject_name_enc: Set("seed".into()),
        subject_name_masked: Set("大*****".into()),
        identity_hash: Set("seed-big".into()),
        identity_enc: Set("seed".into()),
        identity_masked: Set("9****************3".into()),
        legal_person_foreign: Set(false),
        submitted_at: Set(at(1)),
        decided_at: Set(Some(at(1))),
        ..Default::default()
    }
    .insert(db)
    .await?;

    let token_row = entity::hardware_tokens::ActiveModel {
        serial_number: Set("MFA-A-000001".into()),
        secret_enc: Set("seed".into()),
        registered_at: Set(at(0)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut devices = vec![entity::mfa_devices::ActiveModel {
        account_id: Set(root_id),
        sub_user_id: Set(None),
        principal_key: Set(format!("account:{root_id}")),
        kind: Set("HARDWARE".into()),
        hardware_token_id: Set(Some(token_row.id)),
        secret_enc: Set("seed".into()),
        bound_at: Set(at(2)),
        last_used_at: Set(None),
        last_used_step: Set(0),
        failed_attempts: Set(0),
        ..Default::default()
    }];

    let mut projects = Vec::new();
    let disabled_from = shape.projects - shape.projects / 5;
    for p in 0..shape.projects {
        let name = format!("project-{:02}", p + 1);
        projects.push(entity::projects::ActiveModel {
            id: Set(p as i64 + 1),
            account_id: Set(root_id),
            name_key: Set(name.clone()),
            name: Set(name),
            description: Set(None),
            status: Set(if p >= disabled_from {
                "DISABLED"
            } else {
                "ENABLED"
            }
            .into()),
            created_at: Set(at(p as i64)),
            disabled_at: Set((p >= disabled_from).then(|| at(10_000))),
        });
    }
    insert_chunks(db, projects).await?;

    let (mut members, mut keys) = (Vec::new(), Vec::new());
    let mut memberships = std::collections::BTreeSet::new();
    for s in 0..shape.sub_users {
        let id = s as i64 + 1;
        let name = format!("u1-{:04}", s + 1);
        // 8 in 10 sub-users, then a collaborator and a message recipient, as in the anchor.
        let kind = match s % 10 {
            8 => "COLLABORATOR",
            9 => "MESSAGE_RECIPIENT",
            _ => "SUB_USER",
        };
        let collaborator = (kind == "COLLABORATOR" && shape.other_accounts > 0)
            .then(|| root_id + 1 + (s % shape.other_accounts) as i64);
        members.push(entity::sub_users::ActiveModel {
            id: Set(id),
            account_id: Set(root_id),
            kind: Set(kind.into()),
            name_key: Set(match collaborator {
                Some(c) => format!("collaborator:{c}:{s}"),
                None => name.clone(),
            }),
            name: Set(name),
            remark: Set(None),
            email: Set(None),
            phone: Set(None),
            password_hash: Set(None),
            console_login: Set(false),
            collaborator_account_id: Set(collaborator),
            login_protection: Set(false),
            operation_protection: Set(false),
            created_at: Set(at(100 + s as i64)),
            password_change_required: Set(false),
            message_categories: Set(String::new()),
        });
        let r = mix(s as u64);
        for k in 0..(r % 3) {
            keys.push(entity::access_keys::ActiveModel {
                account_id: Set(root_id),
                sub_user_id: Set(Some(id)),
                secret_id: Set(format!("AKIDseed{s:05}{k}")),
                secret_hash: Set("seed".into()),
                status: Set(if k == 1 { "DISABLED" } else { "ACTIVE" }.into()),
                created_at: Set(at(200 + s as i64)),
                last_used_at: Set(None),
                ..Default::default()
            });
        }
        if shape.projects > 0 {
            let first = (r >> 8) as usize % shape.projects;
            for m in 0..=((r >> 16) % 3) as usize {
                memberships.insert((((first + m * 7) % shape.projects) as i64 + 1, id));
            }
        }
        if s % 2 == 1 {
            devices.push(entity::mfa_devices::ActiveModel {
                account_id: Set(root_id),
                sub_user_id: Set(Some(id)),
                principal_key: Set(format!("sub_user:{id}")),
                kind: Set("VIRTUAL".into()),
                hardware_token_id: Set(None),
                secret_enc: Set("seed".into()),
                bound_at: Set(at(400 + s as i64)),
                last_used_at: Set(None),
                last_used_step: Set(0),
                failed_attempts: Set(0),
                ..Default::default()
            });
        }
    }
    insert_chunks(db, members).await?;
    insert_chunks(db, keys).await?;
    let memberships = memberships
        .into_iter()
        .map(
            |(project_id, sub_user_id)| entity::project_members::ActiveModel {
                project_id: Set(project_id),
                sub_user_id: Set(sub_user_id),
                added_at: Set(at(300 + sub_user_id)),
                ..Default::default()
            },
        )
        .collect();
    insert_chunks(db, memberships).await?;
    insert_chunks(db, devices).await?;

    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        for table in ["accounts", "projects", "sub_users"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }

    let token = format!("bench-session-{}", mix(42));
    console_session(root_id, &token).insert(db).await?;
    Ok(Seeded { root_id, token })
}

/// A console session of the root account `account_id` under `token`.
fn console_session(account_id: i64, token: &str) -> entity::sessions::ActiveModel {
    entity::sessions::ActiveModel {
        token_hash: Set(account_center::crypto::token_hash(token)),
        account_id: Set(account_id),
        sub_user_id: Set(None),
        created_at: Set(at(0)),
        // The seed's clock is fixed in 2025; the session must outlive any benchmark run.
        expires_at: Set(at(0) + TimeDelta::days(365 * 100)),
        revoked_at: Set(None),
        client_address: Set(None),
        user_agent: Set(None),
        ..Default::default()
    }
}

/// The live-consoles shape (issue 20): `accounts` root accounts (IDs from 1) with
/// `sessions` console sessions each and nothing else; each session's account and token,
/// account by account. On PostgreSQL the accounts' sequence is moved past the IDs.
// The test binary shares this module but only the live-consoles bench seeds this shape.
#[allow(dead_code)]
pub async fn seed_sessions(
    db: &DatabaseConnection,
    accounts: usize,
    sessions: usize,
) -> Result<Vec<(i64, String)>, DbErr> {
    let ids: Vec<i64> = (1..=accounts as i64).collect();
    let rows = ids.iter().map(|id| account(*id, &format!("live-{id}")));
    insert_chunks(db, rows.collect()).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT MAX(id) FROM accounts))",
        )
        .await?;
    }
    let mut tokens = Vec::with_capacity(accounts * sessions);
    let mut rows = Vec::with_capacity(accounts * sessions);
    for account_id in ids {
        for n in 0..sessions {
            // Distinct per row and the same every run; a benchmark database only.
            let token = format!(
                "live-{account_id}-{n}-{:016x}",
                mix(((account_id as u64) << 32) | n as u64)
            );
            rows.push(console_session(account_id, &token));
            tokens.push((account_id, token));
        }
    }
    insert_chunks(db, rows).await?;
    Ok(tokens)
}
