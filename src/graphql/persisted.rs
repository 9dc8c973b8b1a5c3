//! Persisted documents: automatic persisted queries (APQ, the `persistedQuery` extension
//! Apollo Client and urql send: a SHA-256 instead of the document), with documents kept
//! parsed and already checked against the limits; and, with `--trusted-documents`, a
//! manifest of the first-party operations outside which nothing runs.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    path::Path,
    sync::{Arc, Mutex},
};

use async_graphql::{ServerError, parser::types::ExecutableDocument};

use super::spec::Shape;
use lru::LruCache;
use sha2::{Digest, Sha256};

/// How many checked documents are kept.
const CACHED_DOCUMENTS: usize = 512;
/// Larger documents are checked every time rather than kept (bounds the cache's memory).
const LARGEST_CACHED: usize = 64 * 1024;

/// A document that parsed and passed the checks once: it passes them again, and its
/// responses take the same shape.
struct Checked {
    query: String,
    parsed: ExecutableDocument,
    shape: Arc<Shape>,
}

/// What `prepare` did to a request.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// A checked document was filled in: neither the limits nor the spec's checks need
    /// walk it again, and its shape is known.
    Checked(Arc<Shape>),
    /// The document must be checked; once it passes, `remember` it under this hash.
    Unchecked { sha256: String },
}

/// The documents a console serves by hash.
pub struct Documents {
    cache: Mutex<LruCache<String, Arc<Checked>>>,
    /// With `--trusted-documents`: the only documents that run, by SHA-256 (hex).
    trusted: Option<HashMap<String, String>>,
}

impl Default for Documents {
    fn default() -> Self {
        Self::new(None)
    }
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn refused(code: &'static str, message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

impl Documents {
    pub fn new(trusted: Option<HashMap<String, String>>) -> Self {
        let capacity = NonZeroUsize::new(CACHED_DOCUMENTS).unwrap_or(NonZeroUsize::MIN);
        Self {
            cache: Mutex::new(LruCache::new(capacity)),
            trusted,
        }
    }

    /// Reads a trusted-documents manifest: a JSON object of `sha256 hex → document`, each
    /// key the hash of its document.
    pub fn load_manifest(path: &Path) -> Result<HashMap<String, String>, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let manifest: HashMap<String, String> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a JSON object of hash → document: {e}",
                path.display()
            )
        })?;
        if manifest.is_empty() {
            return Err(format!("{}: no documents", path.display()));
        }
        for (hash, document) in &manifest {
            if sha256_hex(document) != hash.to_ascii_lowercase() {
                return Err(format!(
                    "{}: {hash} is not the SHA-256 of its document",
                    path.display()
                ));
            }
        }
        Ok(manifest
            .into_iter()
            .map(|(hash, document)| (hash.to_ascii_lowercase(), document))
            .collect())
    }

    pub fn trusted_only(&self) -> bool {
        self.trusted.is_some()
    }

    /// Fills in the document a request names by hash, checks a sent document against the
    /// hash it claims, and refuses what the trusted manifest does not hold.
    pub fn prepare(&self, request: &mut async_graphql::Request) -> Result<Prepared, ServerError> {
        let claimed = claimed_hash(request)?;
        if request.query.is_empty() {
            let Some(hash) = claimed else {
                return Err(refused(
                    "BAD_REQUEST",
                    "the request needs a query, or a persistedQuery hash",
                ));
            };
            if let Some(checked) = self.cached(&hash) {
                request.query = checked.query.clone();
                request.set_parsed_query(checked.parsed.clone());
                return Ok(Prepared::Checked(checked.shape.clone()));
            }
            let Some(document) = self.trusted.as_ref().and_then(|t| t.get(&hash)) else {
                // The client sends the document with its hash next (APQ).
                return Err(refused(
                    "PERSISTED_QUERY_NOT_FOUND",
                    "PersistedQueryNotFound",
                ));
            };
            request.query = document.clone();
            return Ok(Prepared::Unchecked { sha256: hash });
        }
        let actual = sha256_hex(&request.query);
        if claimed.is_some_and(|hash| hash != actual) {
            return Err(refused(
                "BAD_REQUEST",
                "the persistedQuery sha256Hash is not the SHA-256 of the query",
            ));
        }
        if let Some(trusted) = &self.trusted
            && !trusted.contains_key(&actual)
        {
            return Err(refused(
                "PERSISTED_QUERY_NOT_ALLOWED",
                "this server runs only the console's own operations",
            ));
        }
        if let Some(checked) = self.cached(&actual)
            && checked.query == request.query
        {
            request.set_parsed_query(checked.parsed.clone());
            return Ok(Prepared::Checked(checked.shape.clone()));
        }
        Ok(Prepared::Unchecked { sha256: actual })
    }

    /// Keeps a document that parsed and passed the checks, and its shape, under its hash.
    pub fn remember(
        &self,
        sha256: String,
        request: &mut async_graphql::Request,
        shape: Arc<Shape>,
    ) {
        if request.query.len() > LARGEST_CACHED {
            return;
        }
        let query = request.query.clone();
        let Ok(parsed) = request.parsed_query() else {
            return;
        };
        let checked = Arc::new(Checked {
            query,
            parsed: parsed.clone(),
            shape,
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(sha256, checked);
        }
    }

    fn cached(&self, hash: &str) -> Option<Arc<Checked>> {
        self.cache.lock().ok()?.get(hash).cloned()
    }
}

/// The `persistedQuery` extension's hash (version 1), lower-cased.
fn claimed_hash(request: &async_graphql::Request) -> Result<Option<String>, ServerError> {
    let Some(persisted) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let invalid = || {
        refused(
            "BAD_REQUEST",
            "persistedQuery needs version 1 and a sha256Hash of 64 hex digits",
        )
    };
    let persisted = serde_json::to_value(persisted).map_err(|_| invalid())?;
    let version = persisted.get("version").and_then(serde_json::Value::as_i64);
    let hash = persisted
        .get("sha256Hash")
        .and_then(serde_json::Value::as_str)
        .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()));
    match (version, hash) {
        (Some(1), Some(hash)) => Ok(Some(hash.to_ascii_lowercase())),
        _ => Err(invalid()),
    }
}
