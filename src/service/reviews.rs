//! The operators' review queue (VER-03, VER-16): verifications that wait for a person.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ServiceResult;
use crate::domain::verification::{ChangeType, Settlement, VerificationMethod, VerificationState};

/// Methods and change types that an operator decides (the others decide themselves), as
/// the domain's settlement rules say.
fn reviewed() -> (Vec<&'static str>, Vec<&'static str>) {
    let methods = VerificationMethod::ALL
        .into_iter()
        .filter(|m| m.settlement() == Settlement::Review)
        .map(VerificationMethod::as_str)
        .collect();
    let changes = ChangeType::ALL
        .into_iter()
        .filter(|c| c.needs_review())
        .map(ChangeType::as_str)
        .collect();
    (methods, changes)
}

/// Pending reviews, oldest first, with the account number they belong to.
pub async fn pending(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> ServiceResult<Vec<(entity::verifications::Model, String)>> {
    use entity::verifications::{Column, Entity};
    let (reviewed_methods, reviewed_changes) = reviewed();
    let rows = Entity::find()
        .filter(Column::State.eq(VerificationState::Pending.as_str()))
        .filter(
            Condition::any()
                .add(Column::Method.is_in(reviewed_methods))
                .add(Column::ChangeType.is_in(reviewed_changes)),
        )
        .order_by_asc(Column::SubmittedAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let account_ids: Vec<i64> = rows.iter().map(|v| v.account_id).collect();
    let numbers: std::collections::HashMap<i64, String> = entity::accounts::Entity::find()
        .filter(entity::accounts::Column::Id.is_in(account_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.account_number))
        .collect();
    Ok(rows
        .into_iter()
        .map(|v| {
            let number = numbers.get(&v.account_id).cloned().unwrap_or_default();
            (v, number)
        })
        .collect())
}
