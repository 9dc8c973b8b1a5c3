//! Relay connections: keyset pages with opaque cursors and a `totalCount`.

use async_graphql::{
    Context, ServerError, SimpleObject, Value,
    connection::{
        Connection, CursorType, DefaultConnectionName, DefaultEdgeName, DisableNodesField, Edge,
        EmptyFields, PageInfo,
    },
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{
    errors::{bad_input, top_level},
    flat::{self, FlatObject},
};
use crate::service::{Page, ServiceError};

/// Extra fields of every connection.
#[derive(Debug, Clone, SimpleObject)]
pub struct ConnectionTotals {
    /// How many rows the whole list holds, across all pages.
    pub total_count: i32,
}

pub type Conn<N> = Connection<
    KeyCursor,
    N,
    ConnectionTotals,
    EmptyFields,
    DefaultConnectionName,
    DefaultEdgeName,
    DisableNodesField,
>;

/// Page size when `first` is omitted, and the largest one may ask for.
pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// A validated `first`/`after` pair: the page size and the key to continue after.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub after_key: Option<i64>,
}

/// A connection costs its page size times its items' cost, so `first` multiplies the
/// complexity of what is nested inside (the abuse limit counts what a query can fetch).
pub fn page_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.map_or(DEFAULT_PAGE, |n| u64::try_from(n.max(1)).unwrap_or(1));
    usize::try_from(page.min(MAX_PAGE))
        .unwrap_or(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// Whether the client reads `totalCount`; the count query is skipped when it does not.
pub fn wants_total(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<PageRequest> {
    let limit = match first {
        None => DEFAULT_PAGE,
        Some(n) if n < 0 => return Err(bad_input("first must not be negative")),
        Some(n) if n as u64 > MAX_PAGE => {
            return Err(bad_input(format!("first may be at most {MAX_PAGE}")));
        }
        Some(n) => n as u64,
    };
    let after_key = match after {
        None => None,
        Some(cursor) => {
            Some(decode_cursor(&cursor).ok_or_else(|| bad_input("after is not a valid cursor"))?)
        }
    };
    Ok(PageRequest { limit, after_key })
}

/// A page item's keyset position: written out as its opaque cursor only when a client
/// selects it (the console page's edges ask for their nodes alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCursor(pub i64);

impl CursorType for KeyCursor {
    type Error = &'static str;

    fn decode_cursor(cursor: &str) -> Result<Self, Self::Error> {
        decode_cursor(cursor).map(Self).ok_or("not a valid cursor")
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(self.0)
    }
}

/// A page item's cursor: base64 of `k:<key>`.
pub fn encode_cursor(key: i64) -> String {
    let mut raw = String::with_capacity(24);
    raw.push_str("k:");
    raw.push_str(itoa::Buffer::new().format(key));
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&raw)
        .ok()?
        .strip_prefix("k:")?
        .parse()
        .ok()
}

/// Builds the connection from a service page; `key` is the row's keyset position. A row
/// that cannot be read (an unknown stored value) fails the field, never a guess.
pub fn connection<M, N: async_graphql::OutputType, E>(
    page: Page<M>,
    request: PageRequest,
    key: impl Fn(&M) -> i64,
    mut node: impl FnMut(M) -> Result<N, E>,
) -> async_graphql::Result<Conn<N>>
where
    ServiceError: From<E>,
{
    let mut conn = Conn::with_additional_fields(
        request.after_key.is_some(),
        page.has_next,
        ConnectionTotals {
            total_count: i32::try_from(page.total).unwrap_or(i32::MAX),
        },
    );
    for row in page.rows {
        let cursor = KeyCursor(key(&row));
        let node = node(row).map_err(|e| top_level(ServiceError::from(e)))?;
        conn.edges.push(Edge::new(cursor, node));
    }
    Ok(conn)
}

/// A page of flat items answers whole in the same walk: its edges, their cursors, its
/// page info and total, as async-graphql's `Connection` would (`tests/api/flat_nodes.rs`
/// compares the two).
impl<N: FlatObject> FlatObject for Conn<N> {
    fn flat_field(
        &self,
        name: &str,
        ctx: &Context<'_>,
        errors: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>> {
        Some(Ok(match name {
            "edges" => flat::list(ctx, self.edges.iter(), errors)?,
            "pageInfo" => {
                let info = PageInfo {
                    has_previous_page: self.has_previous_page,
                    has_next_page: self.has_next_page,
                    start_cursor: self.edges.first().map(|edge| edge.cursor.encode_cursor()),
                    end_cursor: self.edges.last().map(|edge| edge.cursor.encode_cursor()),
                };
                flat::optional(ctx, Some(&info), errors)?
            }
            "totalCount" => Value::Number(self.additional_fields.total_count.into()),
            _ => return None,
        }))
    }
}

impl<N: FlatObject> FlatObject for Edge<KeyCursor, N, EmptyFields> {
    fn flat_field(
        &self,
        name: &str,
        ctx: &Context<'_>,
        errors: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>> {
        Some(Ok(match name {
            "node" => flat::optional(ctx, Some(&self.node), errors)?,
            "cursor" => Value::String(self.cursor.encode_cursor()),
            _ => return None,
        }))
    }
}

impl FlatObject for PageInfo {
    fn flat_field(
        &self,
        name: &str,
        _: &Context<'_>,
        _: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>> {
        Some(Ok(match name {
            "hasPreviousPage" => Value::Boolean(self.has_previous_page),
            "hasNextPage" => Value::Boolean(self.has_next_page),
            "startCursor" => Value::from(self.start_cursor.as_deref()),
            "endCursor" => Value::from(self.end_cursor.as_deref()),
            _ => return None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_first_is_bounded() {
        assert_eq!(decode_cursor(&encode_cursor(77)), Some(77));
        assert_eq!(decode_cursor("garbage"), None);
        assert_eq!(
            KeyCursor::decode_cursor(&KeyCursor(42).encode_cursor()),
            Ok(KeyCursor(42))
        );
        assert!(KeyCursor::decode_cursor("garbage").is_err());
        assert!(page_request(Some(101), None).is_err());
        assert!(page_request(Some(-1), None).is_err());
        assert_eq!(page_request(None, None).unwrap().limit, DEFAULT_PAGE);
        let r = page_request(Some(5), Some(encode_cursor(9))).unwrap();
        assert_eq!((r.limit, r.after_key), (5, Some(9)));
    }
}
