//! The sandbox clock's offset, kept in the database so that several instances on one
//! database share one sandbox time (each ops request catches up before it runs).

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use super::ServiceResult;

const OFFSET_SETTING: &str = "sandbox_clock_offset_seconds";

/// The shared offset, when one was ever stored.
pub async fn load_offset(db: &DatabaseConnection) -> ServiceResult<Option<i64>> {
    Ok(
        entity::server_settings::Entity::find_by_id(OFFSET_SETTING.to_owned())
            .one(db)
            .await?
            .and_then(|row| row.value.parse().ok()),
    )
}

/// Stores `offset` unless a larger one is already stored (time never runs backwards).
pub async fn store_offset(db: &DatabaseConnection, offset: i64) -> ServiceResult<()> {
    let txn = crate::db::begin_write(db).await?;
    crate::db::lock_scope(&txn, "sandbox-clock", OFFSET_SETTING).await?;
    let existing = entity::server_settings::Entity::find_by_id(OFFSET_SETTING.to_owned())
        .one(&txn)
        .await?;
    match existing {
        Some(row)
            if row
                .value
                .parse::<i64>()
                .is_ok_and(|stored| stored >= offset) => {}
        Some(row) => {
            let mut active: entity::server_settings::ActiveModel = row.into();
            active.value = Set(offset.to_string());
            active.update(&txn).await?;
        }
        None => {
            entity::server_settings::ActiveModel {
                setting_key: Set(OFFSET_SETTING.to_owned()),
                value: Set(offset.to_string()),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
