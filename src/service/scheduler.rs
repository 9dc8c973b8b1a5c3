//! Scheduled work: the jobs that the server's interval and the ops `runScheduledJobs` run.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{AppContext, ServiceResult, cancellation, codes, notices, recovery, verification};

/// What one run did, for the ops answer and the log.
#[derive(Debug, Default, Clone)]
pub struct JobReport {
    pub codes_purged: u64,
    pub challenges_purged: u64,
    pub rate_buckets_purged: u64,
    pub verifications_expired: u64,
    pub cancellations_completed: u64,
    pub phones_released: u64,
    pub deliveries_attempted: u64,
}

impl std::fmt::Display for JobReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "completed {} cancellations; released {} secure phones; attempted {} deliveries; expired {} remittance/recharge verifications; purged {} codes, {} login challenges, {} rate-limit windows",
            self.cancellations_completed,
            self.phones_released,
            self.deliveries_attempted,
            self.verifications_expired,
            self.codes_purged,
            self.challenges_purged,
            self.rate_buckets_purged
        )
    }
}

/// Runs every due job once. Each job is idempotent, so overlapping runs (several
/// instances) do no harm. Counted in the metrics (`scheduler_*`).
pub async fn run_due(ctx: &AppContext, now: DateTime<Utc>) -> ServiceResult<JobReport> {
    let started = std::time::Instant::now();
    let ran = run_jobs(ctx, now).await;
    crate::meters::scheduler_run(started.elapsed(), ran.as_ref().map_err(|_| ()));
    ran
}

async fn run_jobs(ctx: &AppContext, now: DateTime<Utc>) -> ServiceResult<JobReport> {
    let stale = now - TimeDelta::days(1);
    let challenges = entity::login_challenges::Entity::delete_many()
        .filter(entity::login_challenges::Column::ExpiresAt.lt(stale))
        .exec(&ctx.db)
        .await?;
    let buckets = entity::rate_limit_buckets::Entity::delete_many()
        .filter(entity::rate_limit_buckets::Column::WindowStart.lt(stale))
        .exec(&ctx.db)
        .await?;
    Ok(JobReport {
        cancellations_completed: cancellation::complete_due(ctx, now).await?,
        phones_released: recovery::release_due(ctx, now).await?,
        verifications_expired: verification::expire_due(ctx, now).await?,
        codes_purged: codes::purge_expired(ctx, now).await?,
        challenges_purged: challenges.rows_affected,
        rate_buckets_purged: buckets.rows_affected,
        // Last: the notices the jobs above wrote go out in the same run.
        deliveries_attempted: notices::deliver_due(ctx, now).await?,
    })
}
