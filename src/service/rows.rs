//! Rows read by column position, for the lists a console page reads by the hundred.
//!
//! sea-orm's derived reader finds every column of every row by name, and writes an error
//! text for each NULL it meets on the way to `None`; on the members page that was a
//! quarter of the page's instructions. Here a row is read by position, straight from the
//! driver's row, with the driver's type check kept: a column of another type is an
//! error, never a guess. PostgreSQL describes a result's column types once for all its
//! rows, so they are checked on the first row (`Check::for_row`); SQLite types each
//! value on its own, so there every value is checked. Positions follow the selection, so
//! each reader states its columns in selection order, and a test holds each entity's
//! order to `Column::iter()` (the order `Entity::find()` selects in).

use sea_orm::{
    ConnectionTrait, DbErr, QueryResult, QueryTrait,
    sqlx::{self, Postgres, Row, Sqlite},
};

/// Whether a row's column types are compared with the reader's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Every column of this row (a result's first row, or a row read alone).
    Row,
    /// A later row of a PostgreSQL result whose first row was checked: same description,
    /// same types. (SQLite rows are checked all the same.)
    SameAsFirst,
}

impl Check {
    /// The check for the `n`th row (from 0) of one result.
    pub fn for_row(n: usize) -> Self {
        if n == 0 { Self::Row } else { Self::SameAsFirst }
    }
}

/// One column's value, read by its position in the row.
pub trait Column: Sized {
    fn read(row: &QueryResult, index: usize, check: Check) -> Result<Self, DbErr>;
}

impl<T> Column for T
where
    T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    fn read(row: &QueryResult, index: usize, check: Check) -> Result<Self, DbErr> {
        let read = if let Some(row) = row.try_as_pg_row() {
            match check {
                Check::Row => row.try_get(index),
                // A NULL still fails a non-`Option` column: only the type comparison goes.
                Check::SameAsFirst => row.try_get_unchecked(index),
            }
        } else if let Some(row) = row.try_as_sqlite_row() {
            row.try_get(index)
        } else {
            return Err(DbErr::Type("a row from an unsupported driver".into()));
        };
        read.map_err(|err| DbErr::Type(format!("column {index}: {err}")))
    }
}

/// A row type read by position, from column `first` on.
pub trait ReadRow: Sized {
    fn read_row(row: &QueryResult, first: usize, check: Check) -> Result<Self, DbErr>;
}

/// Every row `query` selects, read by position.
pub async fn all<R: ReadRow>(
    db: &impl ConnectionTrait,
    query: &impl QueryTrait,
) -> Result<Vec<R>, DbErr> {
    let rows = db
        .query_all_raw(query.build(db.get_database_backend()))
        .await?;
    rows.iter()
        .enumerate()
        .map(|(n, row)| R::read_row(row, 0, Check::for_row(n)))
        .collect()
}

/// An entity's model read by position (see `positional!`).
#[derive(Debug, Clone)]
pub struct Positional<M>(pub M);

/// Reads `$ty` by position: its fields are the columns, in this order. For an entity model
/// (`Positional<Model>`) the order is its `Column::iter()` order, which a test checks.
macro_rules! positional {
    (Positional<$($model:ident)::+> { $($field:ident),* $(,)? }) => {
        impl $crate::service::rows::ReadRow for $crate::service::rows::Positional<$($model)::+> {
            fn read_row(
                row: &sea_orm::QueryResult,
                first: usize,
                check: $crate::service::rows::Check,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut index = first;
                let mut next = || { index += 1; index - 1 };
                Ok(Self($($model)::+ {
                    $($field: $crate::service::rows::Column::read(row, next(), check)?,)*
                }))
            }
        }
        impl From<$crate::service::rows::Positional<$($model)::+>> for $($model)::+ {
            fn from(row: $crate::service::rows::Positional<$($model)::+>) -> Self {
                row.0
            }
        }
        #[cfg(test)]
        impl $crate::service::rows::Positional<$($model)::+> {
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::service::rows::ReadRow for $ty {
            fn read_row(
                row: &sea_orm::QueryResult,
                first: usize,
                check: $crate::service::rows::Check,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut index = first;
                let mut next = || { index += 1; index - 1 };
                Ok(Self {
                    $($field: $crate::service::rows::Column::read(row, next(), check)?,)*
                })
            }
        }
    };
}
pub(crate) use positional;

positional!(Positional<entity::sub_users::Model> {
    id, account_id, kind, name, name_key, remark, email, phone, password_hash, console_login,
    collaborator_account_id, login_protection, operation_protection, created_at,
    password_change_required, message_categories,
});

positional!(Positional<entity::access_keys::Model> {
    id, account_id, sub_user_id, secret_id, secret_hash, status, created_at, last_used_at,
});

positional!(Positional<entity::projects::Model> {
    id, account_id, name, name_key, description, status, created_at, disabled_at,
});

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    use super::Positional;

    fn columns<E: EntityTrait>() -> Vec<String>
    where
        E::Column: IdenStatic,
    {
        E::Column::iter().map(|c| c.as_str().to_owned()).collect()
    }

    #[test]
    fn positional_models_read_their_columns_in_selection_order() {
        assert_eq!(
            Positional::<entity::sub_users::Model>::FIELDS,
            columns::<entity::sub_users::Entity>()
        );
        assert_eq!(
            Positional::<entity::access_keys::Model>::FIELDS,
            columns::<entity::access_keys::Entity>()
        );
        assert_eq!(
            Positional::<entity::projects::Model>::FIELDS,
            columns::<entity::projects::Entity>()
        );
    }
}
