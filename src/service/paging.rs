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

/// How a page tells the length of its whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Not asked for: `Page::total` is 0.
    Skipped,
    /// Counted by a statement of its own.
    Counted,
    /// Known already (a counter the database keeps, e.g. `accounts.member_count`).
    Known(u64),
}

impl Total {
    /// `Counted` when the caller wants it, else `Skipped`.
    pub fn counted_if(wanted: bool) -> Self {
        if wanted { Self::Counted } else { Self::Skipped }
    }
}

/// Which page of a list: by the `id` key in `order`, continuing past `after`, `limit` rows,
/// and how its whole list is counted.
#[derive(Debug, Clone, Copy)]
pub struct Keyset<C> {
    pub id: C,
    pub order: Order,
    pub after: Option<i64>,
    pub limit: u64,
    pub total: Total,
}

/// A page of `query`, its rows read by sea-orm.
pub async fn keyset_page<E>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    keyset: Keyset<E::Column>,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let total = total(conn, &query, keyset.total).await?;
    let rows = ordered(query, keyset).all(conn).await?;
    Ok(page(rows, keyset.limit, total))
}

/// `keyset_page`, each row read by position as `R` (`rows::Positional`): for pages of many
/// rows.
pub async fn keyset_page_by_position<E, R>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    keyset: Keyset<E::Column>,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    R: ReadRow + Into<E::Model>,
{
    let total = total(conn, &query, keyset.total).await?;
    let rows = rows::all::<R>(conn, &ordered(query, keyset)).await?;
    let rows = rows.into_iter().map(Into::into).collect();
    Ok(page(rows, keyset.limit, total))
}

async fn total<E>(
    conn: &impl ConnectionTrait,
    query: &Select<E>,
    total: Total,
) -> ServiceResult<u64>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    Ok(match total {
        Total::Skipped => 0,
        Total::Counted => query.clone().count(conn).await?,
        Total::Known(total) => total,
    })
}

/// `query` ordered by the key, past `after`, one row more than a page.
fn ordered<E: EntityTrait>(query: Select<E>, keyset: Keyset<E::Column>) -> Select<E> {
    let id = keyset.id;
    let query = match (keyset.after, keyset.order) {
        (Some(key), Order::OldestFirst) => query.filter(id.gt(key)).order_by_asc(id),
        (Some(key), Order::NewestFirst) => query.filter(id.lt(key)).order_by_desc(id),
        (None, Order::OldestFirst) => query.order_by_asc(id),
        (None, Order::NewestFirst) => query.order_by_desc(id),
    };
    query.limit(keyset.limit.saturating_add(1))
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
