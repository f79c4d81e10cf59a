//! Normalization profiles: what to ignore, decode, redact, and how to compare arrays.

/// How the items of an array are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrayRule {
    /// Order matters (the default). Insertions are aligned, not cascaded.
    Ordered,
    /// Order is ignored.
    Set,
    /// Items are matched by the value at this dotted field path inside each item
    /// (e.g. `attributes.id`); items without it are compared as in a set.
    Keyed(String),
}
