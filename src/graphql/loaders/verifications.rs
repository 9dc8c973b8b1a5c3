//! Account → its verification in force and its pending request.

use std::collections::HashMap;

use crate::reads::Reads;
use async_graphql::dataloader::Loader;

use super::LoadError;
use crate::service::{finders, verification};

/// The verification in force and the pending request of one account.
#[derive(Debug, Clone, Default)]
pub struct CurrentVerifications {
    pub in_force: Option<entity::verifications::Model>,
    pub pending: Option<entity::verifications::Model>,
}

pub struct CurrentVerificationsByAccount {
    db: Reads,
}

impl CurrentVerificationsByAccount {
    pub fn new(db: Reads) -> Self {
        Self { db }
    }
}

impl Loader<i64> for CurrentVerificationsByAccount {
    type Value = CurrentVerifications;
    type Error = LoadError;

    async fn load(&self, account_ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = finders::current_verifications_of(&self.db, account_ids).await?;
        let mut grouped: HashMap<i64, Vec<entity::verifications::Model>> =
            account_ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            grouped.entry(row.account_id).or_default().push(row);
        }
        Ok(grouped
            .into_iter()
            .map(|(account_id, rows)| {
                let (in_force, pending) = verification::split_current(rows);
                (account_id, CurrentVerifications { in_force, pending })
            })
            .collect())
    }
}
