//! Account → its login methods (rows; the GraphQL type wraps them).

use std::collections::HashMap;

use crate::reads::Reads;
use async_graphql::dataloader::Loader;

use super::LoadError;
use crate::service::finders;

pub struct LoginMethodsByAccount {
    db: Reads,
}

impl LoginMethodsByAccount {
    pub fn new(db: Reads) -> Self {
        Self { db }
    }
}

impl Loader<i64> for LoginMethodsByAccount {
    type Value = Vec<entity::login_methods::Model>;
    type Error = LoadError;

    async fn load(&self, account_ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = finders::login_methods_of(&self.db, account_ids).await?;
        let mut by_account: HashMap<i64, Self::Value> =
            account_ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            by_account.entry(row.account_id).or_default().push(row);
        }
        Ok(by_account)
    }
}
