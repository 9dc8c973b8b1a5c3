//! Account → its verification in force and its pending request.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::LoadError;

/// The verification in force and the pending request of one account.
#[derive(Debug, Clone, Default)]
pub struct CurrentVerifications {
    pub in_force: Option<entity::verifications::Model>,
    pub pending: Option<entity::verifications::Model>,
}

pub struct CurrentVerificationsByAccount {
    db: DatabaseConnection,
}

impl CurrentVerificationsByAccount {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<i64> for CurrentVerificationsByAccount {
    type Value = CurrentVerifications;
    type Error = LoadError;

    async fn load(&self, account_ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use entity::verifications::{Column, Entity};
        let rows = Entity::find()
            .filter(Column::AccountId.is_in(account_ids.iter().copied()))
            .filter(crate::service::verification::counted_condition())
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<entity::verifications::Model>> =
            account_ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            grouped.entry(row.account_id).or_default().push(row);
        }
        Ok(grouped
            .into_iter()
            .map(|(account_id, rows)| {
                let (in_force, pending) = crate::service::verification::split_current(rows);
                (account_id, CurrentVerifications { in_force, pending })
            })
            .collect())
    }
}
