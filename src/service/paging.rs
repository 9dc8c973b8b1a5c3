//! Keyset pages: one more row than asked tells whether another page follows, and the
//! cursor is the last row's key, so a page costs the same wherever it starts.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::{
    Page, ServiceResult,
    rows::{self, ReadRow},
};

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
    let total = total(conn, &query, with_total).await?;
    let rows = keyset(query, id, order, cursor, limit).all(conn).await?;
    Ok(page(rows, limit, total))
}

/// `keyset_page`, each row read by position as `R` (`rows::Positional`): for pages of many
/// rows.
pub async fn keyset_page_by_position<E, R>(
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
    R: ReadRow + Into<E::Model>,
{
    let total = total(conn, &query, with_total).await?;
    let query = keyset(query, id, order, cursor, limit);
    let rows = rows::all::<R>(conn, &query).await?;
    Ok(page(
        rows.into_iter().map(Into::into).collect(),
        limit,
        total,
    ))
}

async fn total<E>(
    conn: &impl ConnectionTrait,
    query: &Select<E>,
    with_total: bool,
) -> ServiceResult<u64>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    Ok(if with_total {
        query.clone().count(conn).await?
    } else {
        0
    })
}

/// `query` ordered by `id`, past `cursor`, one row more than a page.
fn keyset<E: EntityTrait>(
    query: Select<E>,
    id: E::Column,
    order: Order,
    cursor: Option<i64>,
    limit: u64,
) -> Select<E> {
    let query = match (cursor, order) {
        (Some(key), Order::OldestFirst) => query.filter(id.gt(key)).order_by_asc(id),
        (Some(key), Order::NewestFirst) => query.filter(id.lt(key)).order_by_desc(id),
        (None, Order::OldestFirst) => query.order_by_asc(id),
        (None, Order::NewestFirst) => query.order_by_desc(id),
    };
    query.limit(limit.saturating_add(1))
}

fn page<M>(mut rows: Vec<M>, limit: u64, total: u64) -> Page<M> {
    let has_next = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Page {
        rows,
        has_next,
        total,
    }
}
