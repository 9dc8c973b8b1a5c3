//! Keyset pages: one more row than asked tells whether another page follows, and the
//! cursor is the last row's key, so a page costs the same wherever it starts.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use super::{Page, ServiceResult};

/// Which way a list runs by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// A page of `query` by the `id` key in `order`, continuing past `cursor`. The total counts
/// the whole list when asked (it costs a statement).
pub async fn keyset_page<E>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    id: E::Column,
    order: Order,
    cursor: Option<i64>,
    limit: u64,
    with_total: bool,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    keyset_page_as::<E, E::Model>(conn, query, id, order, cursor, limit, with_total).await
}

/// `keyset_page`, each row read as `R` (e.g. `rows::Positional`, for pages of many rows).
pub async fn keyset_page_as<E, R>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    id: E::Column,
    order: Order,
    cursor: Option<i64>,
    limit: u64,
    with_total: bool,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    R: FromQueryResult + Into<E::Model> + Send + Sync,
{
    let total = if with_total {
        query.clone().count(conn).await?
    } else {
        0
    };
    let query = match (cursor, order) {
        (Some(key), Order::OldestFirst) => query.filter(id.gt(key)).order_by_asc(id),
        (Some(key), Order::NewestFirst) => query.filter(id.lt(key)).order_by_desc(id),
        (None, Order::OldestFirst) => query.order_by_asc(id),
        (None, Order::NewestFirst) => query.order_by_desc(id),
    };
    let mut rows: Vec<E::Model> = query
        .limit(limit.saturating_add(1))
        .into_model::<R>()
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let has_next = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Page {
        rows,
        has_next,
        total,
    })
}
