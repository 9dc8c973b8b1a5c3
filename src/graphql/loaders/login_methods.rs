//! Account → its login methods.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::LoadError;
use crate::graphql::types::login_method::LoginMethod;

pub struct LoginMethodsByAccount {
    db: DatabaseConnection,
}

impl LoginMethodsByAccount {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<i64> for LoginMethodsByAccount {
    type Value = Vec<LoginMethod>;
    type Error = LoadError;

    async fn load(&self, account_ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use entity::login_methods::{Column, Entity};
        let rows = Entity::find()
            .filter(Column::AccountId.is_in(account_ids.iter().copied()))
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?;
        let mut by_account: HashMap<i64, Vec<LoginMethod>> =
            account_ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            by_account
                .entry(row.account_id)
                .or_default()
                .push(row.into());
        }
        Ok(by_account)
    }
}
