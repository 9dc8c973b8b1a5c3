//! Fixed-window rate limits counted in the database, so every server instance shares them.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr,
    sea_query::{Expr, OnConflict, Query},
};

use super::{ServiceError, ServiceResult};

/// One limit: at most `max_hits` per `window` for one key.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub scope: &'static str,
    pub max_hits: i32,
    pub window: TimeDelta,
}

fn window_of(limit: Limit, now: DateTime<Utc>) -> (DateTime<Utc>, i64) {
    let window_secs = limit.window.num_seconds().max(1);
    let start_secs = now.timestamp().div_euclid(window_secs) * window_secs;
    let window_start = DateTime::<Utc>::from_timestamp(start_secs, 0).unwrap_or(now);
    (window_start, window_secs)
}

fn refusal(window_start: DateTime<Utc>, window_secs: i64, now: DateTime<Utc>) -> ServiceError {
    let retry = (window_start + TimeDelta::seconds(window_secs) - now).num_seconds();
    ServiceError::rate_limited(retry)
}

/// Refuses with RATE_LIMITED when the window already holds `max_hits`, without counting:
/// for limits that count only failures.
pub async fn ensure_room(
    db: &DatabaseConnection,
    limit: Limit,
    key: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::rate_limit_buckets::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let (window_start, window_secs) = window_of(limit, now);
    let bucket = Entity::find()
        .filter(Column::BucketKey.eq(format!("{}:{key}", limit.scope)))
        .filter(Column::WindowStart.eq(window_start))
        .one(db)
        .await?;
    match bucket {
        Some(b) if b.hits >= limit.max_hits => {
            crate::meters::rate_limit_refused(limit.scope);
            Err(refusal(window_start, window_secs, now))
        }
        _ => Ok(()),
    }
}

/// Counts a hit for `key` and refuses with RATE_LIMITED once the window is full.
pub async fn hit(
    db: &DatabaseConnection,
    limit: Limit,
    key: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::rate_limit_buckets::{Column, Entity};
    let (window_start, window_secs) = window_of(limit, now);
    let bucket_key = format!("{}:{key}", limit.scope);

    // One statement increments and returns the new count, so each hit sees its own place
    // in the window even when many arrive at once, on any number of instances.
    let upsert = Query::insert()
        .into_table(Entity)
        .columns([Column::BucketKey, Column::WindowStart, Column::Hits])
        .values([bucket_key.into(), window_start.into(), 1.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([Column::BucketKey, Column::WindowStart])
                .value(
                    Column::Hits,
                    sea_orm::ExprTrait::add(Expr::col((Entity, Column::Hits)), 1),
                )
                .to_owned(),
        )
        .returning_col(Column::Hits)
        .to_owned();
    let hits: i32 = db
        .query_one(&upsert)
        .await?
        .map(|row| row.try_get("", "hits"))
        .transpose()?
        .unwrap_or(0);
    if hits > limit.max_hits {
        crate::meters::rate_limit_refused(limit.scope);
        return Err(refusal(window_start, window_secs, now));
    }
    Ok(())
}
