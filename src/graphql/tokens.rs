//! A bounded count of a document's lexical tokens, taken before it is parsed, so a huge
//! document costs a linear scan and never a parse.

/// True when `query` holds more than `limit` tokens (GraphQL lexical grammar: names,
/// numbers, strings and block strings count one each; whitespace, commas and comments none).
pub fn exceeds(query: &str, limit: usize) -> bool {
    let bytes = query.as_bytes();
    let mut tokens = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // An escaped triple quote does not end the block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                // Numbers may hold `.`, `+` and `-` (1.5e-3); names never do.
                let numeric = b.is_ascii_digit() || b == b'-';
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || (numeric && matches!(bytes[i], b'.' | b'+' | b'-')))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limit {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::exceeds;

    fn count(query: &str) -> usize {
        (0..10_000)
            .find(|&n| !exceeds(query, n))
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn counts_graphql_tokens() {
        assert_eq!(count("{ viewer { __typename } }"), 6);
        assert_eq!(count("query Q($a: Int = -1.5e3) { f(a: $a) }"), 19);
        assert_eq!(count("{ f(s: \"a \\\" } { b\") }"), 8);
        assert_eq!(count("{ f(s: \"\"\"x \\\"\"\" } \"\"\") }"), 8);
        assert_eq!(count("# only a comment, } { }\n{ a, b ,c }"), 5);
        assert_eq!(count("{ ...F } fragment F on Q { a }"), 11);
        assert_eq!(count("{a...F}"), 5);
        assert_eq!(count(""), 0);
    }

    #[test]
    fn stops_at_the_limit_on_huge_or_broken_input() {
        let huge = "{ ".to_owned() + &"a ".repeat(100_000) + "}";
        assert!(exceeds(&huge, 1_000));
        assert!(!exceeds("\"unterminated", 5));
        assert!(!exceeds("\"\"\"unterminated block", 5));
        assert!(!exceeds("\\", 5));
    }
}
