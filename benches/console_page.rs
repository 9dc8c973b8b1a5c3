//! The console-page benchmark's seeder: `cargo bench --bench console_page -- seed <db-url>
//! [members]` migrates an empty database, seeds the anchor's shape (see `seed/mod.rs`; 1,000
//! members unless told) and prints a session token for the big root account.
//! `benches/console_page.sh` drives the rest.

#![allow(clippy::print_stdout)]

// The test harness reads `root_id`; this binary only needs the token.
#[allow(dead_code)]
#[path = "seed/mod.rs"]
mod seed;

use std::process::ExitCode;

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let usage = || {
        eprintln!("usage: cargo bench --bench console_page -- seed <database-url> [members]");
        ExitCode::from(1)
    };
    let (command, url, members) = match args.as_slice() {
        [command, url] => (command, url, seed::Shape::ANCHOR.sub_users),
        [command, url, members] => match members.parse() {
            Ok(members) if (1..=100_000).contains(&members) => (command, url, members),
            _ => return usage(),
        },
        _ => return usage(),
    };
    if command != "seed" {
        eprintln!("unknown command {command}; the only one is `seed`");
        return ExitCode::from(1);
    }
    match run(url, members).await {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("seeding failed: {err}");
            ExitCode::from(2)
        }
    }
}

async fn run(url: &str, members: usize) -> Result<String, sea_orm::DbErr> {
    let db = account_center::db::connect(url, 4).await?;
    account_center::db::migrate(&db).await?;
    if entity::accounts::Entity::find().count(&db).await? > 0 {
        return Err(sea_orm::DbErr::Custom(
            "the database already holds accounts; seed an empty one".into(),
        ));
    }
    let shape = seed::Shape {
        sub_users: members,
        ..seed::Shape::ANCHOR
    };
    let seeded = seed::seed(&db, shape).await?;
    // Planner statistics, as a live database has them (autovacuum) and as the anchor's
    // seed takes them: without, PostgreSQL plans the freshly filled tables as if empty.
    let analyze = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_unprepared(analyze).await?;
    Ok(seeded.token)
}
