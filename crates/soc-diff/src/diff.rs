//! Matching two sets of normalized documents and computing their differences.
//!
//! Workflows are matched by name. A pair whose normalized hashes agree is unchanged without being
//! read (see [`Entry::Deferred`]); the others are compared structurally over their normalized JSON
//! values (arrays aligned by a diff over element hashes, so one insertion is one change) and as a
//! unified diff of their canonical texts.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use similar::{Algorithm, DiffOp, TextDiff};

use crate::normalize::{Normalized, NormalizedContent, canonical_json, parse_canonical};
use crate::pattern::{PathPattern, PatternError, pointer};
use crate::profile::{ArrayRule, ElementIds, Profile, key_of};
use crate::report::{
    Acceptance, Change, ChangeKind, Filters, Report, WorkflowReport, WorkflowStatus, printable,
};

/// One side's document as input to [`diff`](crate::diff()): either already normalized, or known by
/// hash with a loader, so that documents whose hashes match (under the same profile) are reported
/// unchanged without being read or parsed.
pub enum Entry {
    Loaded(Normalized),
    Deferred {
        name: String,
        /// `Normalized::sha256` as recorded when the document was stored.
        sha256: String,
        layout_sha256: Option<String>,
        /// The hash of the profile that produced `sha256`; the shortcut applies only when both
        /// sides were normalized by a profile with the same hash as the current one.
        profile_hash: String,
        load: Box<
            dyn FnOnce() -> Result<Normalized, Box<dyn std::error::Error + Send + Sync>> + Send,
        >,
    },
}

impl Entry {
    /// The workflow name this entry is matched by.
    pub fn name(&self) -> &str {
        match self {
            Self::Loaded(normalized) => &normalized.name,
            Self::Deferred { name, .. } => name,
        }
    }

    /// `(sha256, layout_sha256)` when they can be trusted under a profile with hash `profile_hash`.
    fn fingerprint(&self, profile_hash: &str) -> Option<(&str, Option<&str>)> {
        match self {
            Self::Loaded(n) => Some((&n.sha256, n.layout_sha256.as_deref())),
            Self::Deferred {
                sha256,
                layout_sha256,
                profile_hash: stored,
                ..
            } => (stored == profile_hash).then_some((sha256.as_str(), layout_sha256.as_deref())),
        }
    }

    fn load(self, side: &str) -> Result<Normalized, DiffError> {
        match self {
            Self::Loaded(normalized) => Ok(normalized),
            Self::Deferred { name, load, .. } => load().map_err(|source| DiffError::Load {
                side: side.to_owned(),
                name,
                source,
            }),
        }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Loaded(normalized) => f.debug_tuple("Loaded").field(normalized).finish(),
            Self::Deferred {
                name,
                sha256,
                layout_sha256,
                profile_hash,
                ..
            } => f
                .debug_struct("Deferred")
                .field("name", name)
                .field("sha256", sha256)
                .field("layout_sha256", layout_sha256)
                .field("profile_hash", profile_hash)
                .finish_non_exhaustive(),
        }
    }
}

/// How to compare and what to call the two sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    /// The left side's label in the report and in unified diff headers (e.g. `staging`).
    pub left_label: String,
    /// The right side's label (e.g. `production`).
    pub right_label: String,
    /// Known differences that do not count as drift.
    pub accept: Vec<AcceptRule>,
    /// Today's date (YYYY-MM-DD), against which rule expiry dates are checked. Injected rather than
    /// read from the clock so that reports are reproducible.
    pub today: String,
    /// Lines of context around each hunk of the unified diff.
    pub context_lines: usize,
    /// Which workflows to compare, by name on either side; the others are left out of the report.
    pub filters: Filters,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            left_label: "left".to_owned(),
            right_label: "right".to_owned(),
            accept: Vec::new(),
            today: String::new(),
            context_lines: 3,
            filters: Filters::default(),
        }
    }
}

/// A known difference, reported as accepted instead of as drift (the CLI's `[[accept]]` table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRule {
    /// The workflow name, exactly, or a glob where `*` matches any run of characters.
    pub workflow: String,
    /// A path pattern (see [`PathPattern`]) of the changes to accept; `None` accepts every
    /// difference of the workflow, including it being added, removed or renamed.
    #[serde(default)]
    pub path: Option<String>,
    /// Why the difference is acceptable; shown next to every change it covers.
    pub reason: String,
    /// The last day (YYYY-MM-DD) the rule applies; afterwards the difference is drift again and the
    /// report says the acceptance expired.
    #[serde(default, deserialize_with = "date_string")]
    pub expires: Option<String>,
}

/// Why two sets of documents could not be diffed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// Workflows are matched by name, so a name must be unique on each side.
    #[error(
        "duplicate workflow names on the {side} side: {}; workflows are matched by name, so rename \
         all but one of each",
        quoted(names)
    )]
    DuplicateNames { side: String, names: Vec<String> },
    /// A deferred entry's loader failed.
    #[error("cannot load workflow {name:?} of the {side} side")]
    Load {
        side: String,
        name: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An accept rule's `path` is not a valid pattern.
    #[error("accept rule for workflow {workflow:?} has an invalid path {path:?}")]
    AcceptPath {
        workflow: String,
        path: String,
        #[source]
        source: PatternError,
    },
    /// An accept rule's `expires` is not a date.
    #[error(
        "accept rule for workflow {workflow:?} expires on {expires:?}, which is not a YYYY-MM-DD date"
    )]
    AcceptExpires { workflow: String, expires: String },
    /// `DiffOptions::filters` selects workflows, but no workflow of either side matches.
    #[error(
        "no workflow of {left} or {right} matches the workflow filter {}; a gate that compares nothing \
         proves nothing",
        quoted(patterns)
    )]
    NothingSelected {
        left: String,
        right: String,
        patterns: Vec<String>,
    },
    /// `DiffOptions::today` is needed (some rule expires) but is not a date.
    #[error(
        "today's date {today:?} is not a YYYY-MM-DD date; expiry dates of accept rules cannot be checked"
    )]
    Today { today: String },
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Matches `left` and `right` by workflow name and reports what differs.
///
/// A name on both sides whose hashes agree is unchanged without calling a [`Entry::Deferred`]
/// loader (a deferred hash is trusted only when its `profile_hash` is `profile.hash()`), so diffing
/// two large snapshots costs in proportion to what changed. A removed and an added workflow whose
/// contents are identical apart from the name key are reported as one rename.
pub fn diff(
    left: Vec<Entry>,
    right: Vec<Entry>,
    profile: &Profile,
    options: &DiffOptions,
) -> Result<Report, DiffError> {
    let rules = Rules::compile(&options.accept, &options.today)?;
    let (left, right) = select(left, right, options)?;
    let left = by_name(left, &options.left_label)?;
    let mut right = by_name(right, &options.right_label)?;
    let profile_hash = profile.hash();

    let mut workflows = Vec::new();
    let mut only_left = Vec::new();
    for (name, l) in left {
        let Some(r) = right.remove(&name) else {
            only_left.push(l.load(&options.left_label)?);
            continue;
        };
        if let (Some((ls, ll)), Some((rs, rl))) =
            (l.fingerprint(&profile_hash), r.fingerprint(&profile_hash))
        {
            if ls == rs {
                workflows.push(unchanged(name, ll != rl));
                continue;
            }
        }
        let l = l.load(&options.left_label)?;
        let r = r.load(&options.right_label)?;
        workflows.push(compare(name, &l, &r, profile, options, &rules));
    }
    let only_right = right
        .into_values()
        .map(|r| r.load(&options.right_label))
        .collect::<Result<Vec<_>, _>>()?;
    workflows.extend(renames_and_the_rest(only_left, only_right, profile, &rules));
    Ok(Report::from_workflows(
        options.left_label.clone(),
        options.right_label.clone(),
        workflows,
    ))
}

/// The structural changes between two normalized JSON values, in document order.
///
/// Arrays are compared as [`Profile::array_rule`] says: ordered arrays are aligned by a diff over
/// element hashes (an inserted element is one `added` change, and paired elements of a replaced run
/// are compared field by field), set arrays by canonical text, keyed arrays by their key field.
pub fn structural_changes(left: &Value, right: &Value, profile: &Profile) -> Vec<Change> {
    raw_changes(left, right, profile)
        .into_iter()
        .map(RawChange::into_change)
        .collect()
}

/// Keeps the workflows `options.filters` selects on each side. Filtering by name happens before
/// matching, so a workflow renamed out of (or into) the selection shows as removed (or added).
fn select(
    left: Vec<Entry>,
    right: Vec<Entry>,
    options: &DiffOptions,
) -> Result<(Vec<Entry>, Vec<Entry>), DiffError> {
    let filters = &options.filters;
    if filters.is_empty() {
        return Ok((left, right));
    }
    let keep = |entries: Vec<Entry>| -> Vec<Entry> {
        entries
            .into_iter()
            .filter(|e| filters.matches(e.name()))
            .collect()
    };
    let (left, right) = (keep(left), keep(right));
    if left.is_empty() && right.is_empty() && !filters.workflow.is_empty() {
        return Err(DiffError::NothingSelected {
            left: options.left_label.clone(),
            right: options.right_label.clone(),
            patterns: filters.workflow.clone(),
        });
    }
    Ok((left, right))
}

fn by_name(entries: Vec<Entry>, side: &str) -> Result<BTreeMap<String, Entry>, DiffError> {
    let mut map = BTreeMap::new();
    let mut duplicates = Vec::new();
    for entry in entries {
        match map.entry(entry.name().to_owned()) {
            std::collections::btree_map::Entry::Occupied(taken) => {
                duplicates.push(taken.key().clone())
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(entry);
            }
        }
    }
    if duplicates.is_empty() {
        Ok(map)
    } else {
        duplicates.sort();
        duplicates.dedup();
        Err(DiffError::DuplicateNames {
            side: side.to_owned(),
            names: duplicates,
        })
    }
}

fn unchanged(name: String, layout_changed: bool) -> WorkflowReport {
    WorkflowReport {
        name,
        status: WorkflowStatus::Unchanged,
        previous_name: None,
        drift: false,
        accepted: None,
        layout_changed,
        changes: Vec::new(),
        text_diff: None,
        notes: Vec::new(),
    }
}

/// Compares two loaded documents of the same name.
fn compare(
    name: String,
    l: &Normalized,
    r: &Normalized,
    profile: &Profile,
    options: &DiffOptions,
    rules: &Rules,
) -> WorkflowReport {
    let layout_changed = l.layout_sha256 != r.layout_sha256;
    if l.sha256 == r.sha256 {
        return unchanged(name, layout_changed);
    }
    let mut notes = side_notes(l, r, options);
    let mut changes = Vec::new();
    let mut drift = false;
    let mut accepted = None;
    // Documents keep only their canonical text; the trees are rebuilt here, for the workflows
    // whose hashes differ. Without both trees the workflow is judged as a whole.
    let trees = match (&l.content, &r.content) {
        (NormalizedContent::Json { canonical: lc }, NormalizedContent::Json { canonical: rc }) => {
            match (parse_canonical(lc), parse_canonical(rc)) {
                (Ok(lv), Ok(rv)) => Some((lv, rv)),
                (left, right) => {
                    // Normalization and the store only ever hand over text that parses; a
                    // `Normalized` built some other way is still compared, as text.
                    for (side, err) in [
                        (&options.left_label, left.err()),
                        (&options.right_label, right.err()),
                    ] {
                        if let Some(err) = err {
                            notes.push(format!(
                                "{side}: the canonical text does not parse ({err}); compared as text only"
                            ));
                        }
                    }
                    None
                }
            }
        }
        _ => {
            notes.push(format!(
                "binary content changed (sha256 {} -> {})",
                l.sha256, r.sha256
            ));
            None
        }
    };
    match trees {
        Some((lv, rv)) => {
            let raw = raw_changes(&lv, &rv, profile);
            if raw.is_empty() {
                // The hashes differ only because of item order in arrays compared as sets or by
                // key (a profile that compares them so should also sort them; say so rather than
                // hide it).
                let mut report = unchanged(name, layout_changed);
                report.notes.push(
                    "canonical texts differ only in the order of array items that are compared \
                     as sets or by key"
                        .to_owned(),
                );
                return report;
            }
            // Renormalizing both sides is not free: only when a taskflow changed at all.
            let in_taskflow = |c: &RawChange| c.segments.iter().any(|s| s == "taskflow");
            if profile.element_ids() == ElementIds::Keep
                && raw.iter().all(in_taskflow)
                && crate::element_ids::differ_only_in_element_ids(&lv, &rv, profile)
            {
                notes.push(
                    "only the ids of BPMN elements differ; if this workflow was built separately \
                     in each workspace rather than exported and imported, set \
                     `element_ids = \"by_name\"` in [normalize]"
                        .to_owned(),
                );
            }
            for change in raw {
                let verdict = rules.verdict(&[&name], Some(&change.segments));
                notes.extend(verdict.expired);
                drift |= verdict.accepted.is_none();
                let mut change = change.into_change();
                change.accepted = verdict.accepted;
                changes.push(change);
            }
        }
        None => {
            let verdict = rules.verdict(&[&name], None);
            notes.extend(verdict.expired);
            drift = verdict.accepted.is_none();
            accepted = verdict.accepted;
        }
    }
    let text_diff = l
        .canonical()
        .zip(r.canonical())
        .and_then(|(lc, rc)| unified_diff(lc, rc, &name, &name, options));
    dedup_in_order(&mut notes);
    WorkflowReport {
        name,
        status: WorkflowStatus::Modified,
        previous_name: None,
        drift,
        accepted,
        layout_changed,
        changes,
        text_diff,
        notes,
    }
}

/// Pairs removed and added workflows with the same content apart from the name into renames; the
/// rest are reported removed or added.
fn renames_and_the_rest(
    only_left: Vec<Normalized>,
    only_right: Vec<Normalized>,
    profile: &Profile,
    rules: &Rules,
) -> Vec<WorkflowReport> {
    let name_key = profile.name_key();
    let mut by_content: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (i, r) in only_right.iter().enumerate() {
        by_content
            .entry(content_key(r, name_key))
            .or_default()
            .push_back(i);
    }
    let mut renamed_from: HashMap<usize, &Normalized> = HashMap::new();
    let mut out = Vec::new();
    for l in &only_left {
        let partner = by_content
            .get_mut(&content_key(l, name_key))
            .and_then(VecDeque::pop_front);
        match partner {
            Some(i) => {
                renamed_from.insert(i, l);
            }
            None => out.push(one_sided(l, WorkflowStatus::Removed, None, rules)),
        }
    }
    for (i, r) in only_right.iter().enumerate() {
        match renamed_from.get(&i) {
            Some(l) => out.push(one_sided(r, WorkflowStatus::Renamed, Some(&l.name), rules)),
            None => out.push(one_sided(r, WorkflowStatus::Added, None, rules)),
        }
    }
    out
}

/// What identifies a document's content regardless of its name.
fn content_key(doc: &Normalized, name_key: &str) -> String {
    match &doc.content {
        NormalizedContent::Json { canonical } => match parse_canonical(canonical) {
            Ok(mut value) => {
                if let Value::Object(map) = &mut value {
                    map.remove(name_key);
                }
                canonical_json(&value)
            }
            // Text that does not parse (see `compare`) is its own content.
            Err(_) => format!("text:{canonical}"),
        },
        // Opaque documents are named after their file; the same bytes under another name are a rename.
        NormalizedContent::Opaque { sha256, .. } => format!("opaque:{sha256}"),
    }
}

fn one_sided(
    doc: &Normalized,
    status: WorkflowStatus,
    previous_name: Option<&str>,
    rules: &Rules,
) -> WorkflowReport {
    let mut names = vec![doc.name.as_str()];
    names.extend(previous_name);
    let verdict = rules.verdict(&names, None);
    let mut notes = doc.notes.clone();
    notes.extend(verdict.expired);
    dedup_in_order(&mut notes);
    WorkflowReport {
        name: doc.name.clone(),
        status,
        previous_name: previous_name.map(str::to_owned),
        drift: verdict.accepted.is_none(),
        accepted: verdict.accepted,
        layout_changed: false,
        changes: Vec::new(),
        text_diff: None,
        notes,
    }
}

/// Notes from normalizing either side; a note only one side has is prefixed with that side's label.
fn side_notes(l: &Normalized, r: &Normalized, options: &DiffOptions) -> Vec<String> {
    let mut notes = Vec::new();
    for note in &l.notes {
        if r.notes.contains(note) {
            notes.push(note.clone());
        } else {
            notes.push(format!("{}: {note}", options.left_label));
        }
    }
    for note in &r.notes {
        if !l.notes.contains(note) {
            notes.push(format!("{}: {note}", options.right_label));
        }
    }
    notes
}

fn dedup_in_order(notes: &mut Vec<String>) {
    let mut seen = HashSet::new();
    notes.retain(|note| seen.insert(note.clone()));
}

/// A unified diff of two canonical texts, `None` when they are equal.
fn unified_diff(
    left: &str,
    right: &str,
    left_name: &str,
    right_name: &str,
    options: &DiffOptions,
) -> Option<String> {
    if left == right {
        return None;
    }
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        // Line diffs of huge, wholly different documents can take long; past this, similar
        // approximates (the structural changes stay exact).
        .timeout(Duration::from_secs(5))
        .diff_lines(left, right);
    let left_header = format!(
        "{}/{}",
        printable(&options.left_label),
        printable(left_name)
    );
    let right_header = format!(
        "{}/{}",
        printable(&options.right_label),
        printable(right_name)
    );
    let text = diff
        .unified_diff()
        .context_radius(options.context_lines)
        .header(&left_header, &right_header)
        .to_string();
    (!text.is_empty()).then_some(text)
}

// ---------------------------------------------------------------------------------------------
// Structural diff

/// A change with its path still in segments (accept rules match segments).
struct RawChange {
    segments: Vec<String>,
    kind: ChangeKind,
    left: Option<Value>,
    right: Option<Value>,
    context: Option<String>,
}

impl RawChange {
    fn into_change(self) -> Change {
        Change {
            path: pointer(&self.segments),
            kind: self.kind,
            left: self.left,
            right: self.right,
            context: self.context,
            accepted: None,
        }
    }
}

fn raw_changes(left: &Value, right: &Value, profile: &Profile) -> Vec<RawChange> {
    let mut differ = Differ {
        profile,
        path: Vec::new(),
        labels: Vec::new(),
        out: Vec::new(),
    };
    differ.value(left, right);
    differ.out
}

struct Differ<'a> {
    profile: &'a Profile,
    path: Vec<String>,
    /// Labels of the xml-js elements enclosing the current path, innermost last.
    labels: Vec<String>,
    out: Vec<RawChange>,
}

impl Differ<'_> {
    fn emit(&mut self, kind: ChangeKind, left: Option<&Value>, right: Option<&Value>) {
        // A whole element added or removed is best described by itself, anything else by the
        // element it is in.
        let own = match kind {
            ChangeKind::Added | ChangeKind::Removed => left.or(right).and_then(element_label),
            ChangeKind::Changed => None,
        };
        self.out.push(RawChange {
            segments: self.path.clone(),
            kind,
            left: left.cloned(),
            right: right.cloned(),
            context: own.or_else(|| self.labels.last().cloned()),
        });
    }

    /// Runs `f` with `segment` appended to the current path.
    fn at(&mut self, segment: impl Into<String>, f: impl FnOnce(&mut Self)) {
        self.path.push(segment.into());
        f(self);
        self.path.pop();
    }

    fn value(&mut self, left: &Value, right: &Value) {
        match (left, right) {
            (Value::Object(l), Value::Object(r)) => {
                for (key, lv) in l {
                    match r.get(key) {
                        Some(rv) if lv == rv => {}
                        Some(rv) => self.at(key.as_str(), |d| d.value(lv, rv)),
                        None => self.at(key.as_str(), |d| {
                            d.emit(ChangeKind::Removed, Some(lv), None)
                        }),
                    }
                }
                for (key, rv) in r {
                    if !l.contains_key(key) {
                        self.at(key.as_str(), |d| d.emit(ChangeKind::Added, None, Some(rv)));
                    }
                }
            }
            (Value::Array(l), Value::Array(r)) => match self.profile.array_rule(&self.path) {
                ArrayRule::Ordered => self.ordered(l, r),
                ArrayRule::Set => {
                    let l: Vec<_> = l.iter().enumerate().collect();
                    let r: Vec<_> = r.iter().enumerate().collect();
                    self.set(&l, &r);
                }
                ArrayRule::Keyed(field) => self.keyed(l, r, &field),
            },
            _ if left == right => {}
            _ => self.emit(ChangeKind::Changed, Some(left), Some(right)),
        }
    }

    /// Compares two items that occupy the same place: field by field when both are containers of
    /// the same kind, else as one change. `index` is the right side's.
    fn pair(&mut self, index: usize, left: &Value, right: &Value) {
        if left == right {
            return;
        }
        let label = element_label(right).or_else(|| element_label(left));
        let labelled = label.is_some();
        self.labels.extend(label);
        self.at(index.to_string(), |d| d.value(left, right));
        if labelled {
            self.labels.pop();
        }
    }

    fn ordered(&mut self, l: &[Value], r: &[Value]) {
        let lh: Vec<u64> = l.iter().map(hash_value).collect();
        let rh: Vec<u64> = r.iter().map(hash_value).collect();
        for op in similar::capture_diff_slices(Algorithm::Patience, &lh, &rh) {
            match op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => {
                    // Equal hashes almost surely mean equal items; `pair` checks, so a hash
                    // collision shows as a change instead of hiding one.
                    for (i, (lv, rv)) in window(l, old_index, len)
                        .iter()
                        .zip(window(r, new_index, len))
                        .enumerate()
                    {
                        self.pair(new_index + i, lv, rv);
                    }
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => self.removed(l, old_index, old_len),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => self.added(r, new_index, new_len),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let paired = old_len.min(new_len);
                    let pairs = window(l, old_index, paired)
                        .iter()
                        .zip(window(r, new_index, paired));
                    for (i, (lv, rv)) in pairs.enumerate() {
                        self.pair(new_index + i, lv, rv);
                    }
                    self.removed(l, old_index + paired, old_len - paired);
                    self.added(r, new_index + paired, new_len - paired);
                }
            }
        }
    }

    fn removed(&mut self, l: &[Value], start: usize, len: usize) {
        for (i, lv) in window(l, start, len).iter().enumerate() {
            self.at((start + i).to_string(), |d| {
                d.emit(ChangeKind::Removed, Some(lv), None)
            });
        }
    }

    fn added(&mut self, r: &[Value], start: usize, len: usize) {
        for (i, rv) in window(r, start, len).iter().enumerate() {
            self.at((start + i).to_string(), |d| {
                d.emit(ChangeKind::Added, None, Some(rv))
            });
        }
    }

    /// Items matched by canonical text, as a multiset: what is left over on either side is
    /// removed or added. Items carry their index in the whole array.
    fn set(&mut self, l: &[(usize, &Value)], r: &[(usize, &Value)]) {
        let mut available: HashMap<String, VecDeque<usize>> = HashMap::new();
        for &(i, rv) in r {
            available.entry(compact(rv)).or_default().push_back(i);
        }
        let mut matched = HashSet::new();
        for &(i, lv) in l {
            match available
                .get_mut(&compact(lv))
                .and_then(VecDeque::pop_front)
            {
                Some(j) => {
                    matched.insert(j);
                }
                None => self.at(i.to_string(), |d| {
                    d.emit(ChangeKind::Removed, Some(lv), None)
                }),
            }
        }
        for &(j, rv) in r {
            if !matched.contains(&j) {
                self.at(j.to_string(), |d| d.emit(ChangeKind::Added, None, Some(rv)));
            }
        }
    }

    /// Items matched by the value at the dotted `field` path and compared field by field; items
    /// without the field, or whose key is not unique on its side, are compared as a set.
    fn keyed(&mut self, l: &[Value], r: &[Value], field: &str) {
        let lk: Vec<Option<String>> = l.iter().map(|v| key_of(v, field)).collect();
        let rk: Vec<Option<String>> = r.iter().map(|v| key_of(v, field)).collect();
        // A key seen twice on either side identifies nothing; such items are compared as a set.
        let repeated = repeated_keys(&lk, &rk);
        let usable = |k: &Option<String>| k.as_deref().is_some_and(|k| !repeated.contains(k));
        let right_index: HashMap<&str, usize> = rk
            .iter()
            .enumerate()
            .filter(|(_, k)| usable(k))
            .filter_map(|(j, k)| k.as_deref().map(|k| (k, j)))
            .collect();
        let mut rest_l = Vec::new();
        let mut matched = HashSet::new();
        for (i, (lv, k)) in l.iter().zip(&lk).enumerate() {
            if !usable(k) {
                rest_l.push((i, lv));
                continue;
            }
            match k.as_deref().and_then(|k| right_index.get(k)) {
                Some(&j) => {
                    matched.insert(j);
                    if let Some(rv) = r.get(j) {
                        self.pair(j, lv, rv);
                    }
                }
                None => self.at(i.to_string(), |d| {
                    d.emit(ChangeKind::Removed, Some(lv), None)
                }),
            }
        }
        let mut rest_r = Vec::new();
        for (j, (rv, k)) in r.iter().zip(&rk).enumerate() {
            if !usable(k) {
                rest_r.push((j, rv));
            } else if !matched.contains(&j) {
                self.at(j.to_string(), |d| d.emit(ChangeKind::Added, None, Some(rv)));
            }
        }
        self.set(&rest_l, &rest_r);
    }
}

/// How a reader recognizes an xml-js element (the decoded BPMN of a `taskflow`): its tag and its
/// `name` attribute, else its `id` (`bpmn2:serviceTask "Block on WAF"`, `bpmn2:sequenceFlow
/// Flow_1`). `None` for anything else, and for elements with neither (such as `bpmn2:incoming`),
/// so that a change inside one is described by the task around it.
fn element_label(value: &Value) -> Option<String> {
    let element = value.as_object()?;
    if element.get("type").and_then(Value::as_str) != Some("element") {
        return None;
    }
    let tag = element.get("name")?.as_str()?;
    let attributes = element.get("attributes").and_then(Value::as_object);
    let attribute = |key: &str| attributes?.get(key)?.as_str();
    match (attribute("name"), attribute("id")) {
        (Some(name), _) => Some(format!("{tag} {name:?}")),
        (None, Some(id)) => Some(format!("{tag} {id}")),
        (None, None) => None,
    }
}

/// `slice[start..start + len]`, or an empty slice if that is out of range (it never is for the
/// ranges `similar` reports, but this keeps a bug there from becoming a panic here).
fn window<T>(slice: &[T], start: usize, len: usize) -> &[T] {
    start
        .checked_add(len)
        .and_then(|end| slice.get(start..end))
        .unwrap_or(&[])
}

fn hash_value(value: &Value) -> u64 {
    // DefaultHasher::new() has fixed keys, so alignment is the same from run to run.
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Compact JSON text; canonical because maps are sorted (`preserve_order` is never enabled).
fn compact(value: &Value) -> String {
    value.to_string()
}

/// Keys that occur more than once on either side.
fn repeated_keys<'k>(left: &'k [Option<String>], right: &'k [Option<String>]) -> HashSet<&'k str> {
    let mut repeated = HashSet::new();
    for side in [left, right] {
        let mut seen = HashSet::new();
        for key in side.iter().flatten() {
            if !seen.insert(key.as_str()) {
                repeated.insert(key.as_str());
            }
        }
    }
    repeated
}

// ---------------------------------------------------------------------------------------------
// Accept rules

struct Rule<'a> {
    workflow: &'a str,
    path: Option<PathPattern>,
    acceptance: Acceptance,
    expired: bool,
}

struct Rules<'a>(Vec<Rule<'a>>);

/// What the rules say about one difference.
struct Verdict {
    /// The first unexpired matching rule's acceptance.
    accepted: Option<Acceptance>,
    /// Notes for matching rules that expired (only when none accepted the difference).
    expired: Vec<String>,
}

impl<'a> Rules<'a> {
    fn compile(rules: &'a [AcceptRule], today: &str) -> Result<Self, DiffError> {
        let today_is_valid = is_date(today);
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            let path = match &rule.path {
                Some(path) => {
                    Some(
                        PathPattern::parse(path).map_err(|source| DiffError::AcceptPath {
                            workflow: rule.workflow.clone(),
                            path: path.clone(),
                            source,
                        })?,
                    )
                }
                None => None,
            };
            let expired = match &rule.expires {
                Some(expires) if !is_date(expires) => {
                    return Err(DiffError::AcceptExpires {
                        workflow: rule.workflow.clone(),
                        expires: expires.clone(),
                    });
                }
                Some(_) if !today_is_valid => {
                    return Err(DiffError::Today {
                        today: today.to_owned(),
                    });
                }
                // Both are YYYY-MM-DD, so text order is date order; the expiry day itself is included.
                Some(expires) => expires.as_str() < today,
                None => false,
            };
            compiled.push(Rule {
                workflow: &rule.workflow,
                path,
                acceptance: Acceptance {
                    reason: rule.reason.clone(),
                    expires: rule.expires.clone(),
                },
                expired,
            });
        }
        Ok(Self(compiled))
    }

    /// The verdict on a change at `segments` (or, for `None`, on the workflow as a whole: added,
    /// removed, renamed or binary) of a workflow known by any of `names`.
    fn verdict(&self, names: &[&str], segments: Option<&[String]>) -> Verdict {
        let mut expired = Vec::new();
        for rule in &self.0 {
            if !names.iter().any(|name| glob_match(rule.workflow, name)) {
                continue;
            }
            let applies = match (&rule.path, segments) {
                (None, _) => true,
                (Some(pattern), Some(segments)) => pattern.matches(segments),
                (Some(_), None) => false,
            };
            if !applies {
                continue;
            }
            if !rule.expired {
                return Verdict {
                    accepted: Some(rule.acceptance.clone()),
                    expired: Vec::new(),
                };
            }
            expired.push(format!(
                "acceptance expired on {}: {}",
                rule.acceptance.expires.as_deref().unwrap_or_default(),
                rule.acceptance.reason
            ));
        }
        Verdict {
            accepted: None,
            expired,
        }
    }
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .filter(|b| b.iter().all(u8::is_ascii_digit))
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse::<u32>().ok())
    };
    bytes.len() == 10
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && digits(0..4).is_some()
        && digits(5..7).is_some_and(|m| (1..=12).contains(&m))
        && digits(8..10).is_some_and(|d| (1..=31).contains(&d))
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters (including none).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Classic two-pointer wildcard match: on a mismatch, let the last `*` swallow one more char.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if Some(&c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Accepts `"2026-12-31"` and also a TOML date (`expires = 2026-12-31`), which the `toml` crate
/// hands to serde as a one-entry map holding the date's text.
fn date_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum DateRepr {
        Text(String),
        Toml(BTreeMap<String, String>),
    }
    match Option::<DateRepr>::deserialize(deserializer)? {
        None => Ok(None),
        Some(DateRepr::Text(text)) => Ok(Some(text)),
        Some(DateRepr::Toml(map)) => match map.into_values().next() {
            Some(text) if !text.is_empty() => Ok(Some(text)),
            _ => Err(serde::de::Error::custom(
                "expected a date such as 2026-12-31",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileConfig;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    fn doc(name: &str, value: Value) -> Normalized {
        let canonical = canonical_json(&value);
        Normalized {
            name: name.to_owned(),
            source: format!("{name}.json"),
            sha256: hex::encode(Sha256::digest(canonical.as_bytes())),
            content: NormalizedContent::Json { canonical },
            layout_sha256: None,
            notes: Vec::new(),
        }
    }

    fn opaque(name: &str, sha256: &str) -> Normalized {
        Normalized {
            name: name.to_owned(),
            source: name.to_owned(),
            sha256: sha256.to_owned(),
            content: NormalizedContent::Opaque {
                sha256: sha256.to_owned(),
                len: 3,
            },
            layout_sha256: None,
            notes: Vec::new(),
        }
    }

    fn options() -> DiffOptions {
        DiffOptions {
            left_label: "staging".into(),
            right_label: "production".into(),
            today: "2026-06-01".into(),
            ..DiffOptions::default()
        }
    }

    fn run(left: Vec<Normalized>, right: Vec<Normalized>, options: &DiffOptions) -> Report {
        let profile = Profile::secmaster();
        diff(
            left.into_iter().map(Entry::Loaded).collect(),
            right.into_iter().map(Entry::Loaded).collect(),
            &profile,
            options,
        )
        .unwrap()
    }

    fn changes(left: Value, right: Value) -> Vec<(String, ChangeKind)> {
        changes_under(&Profile::secmaster(), left, right)
    }

    fn changes_under(profile: &Profile, left: Value, right: Value) -> Vec<(String, ChangeKind)> {
        structural_changes(&left, &right, profile)
            .into_iter()
            .map(|c| (c.path, c.kind))
            .collect()
    }

    fn deferred_failing(n: &Normalized, profile_hash: String) -> Entry {
        Entry::Deferred {
            name: n.name.clone(),
            sha256: n.sha256.clone(),
            layout_sha256: n.layout_sha256.clone(),
            profile_hash,
            load: Box::new(|| Err("loader must not be called".into())),
        }
    }

    #[test]
    fn canonical_text_that_does_not_parse_is_compared_as_text() {
        let good = doc("wf", json!({"name": "wf", "x": 1}));
        let mut bad = good.clone();
        bad.content = NormalizedContent::Json {
            canonical: "{\"name\": \"wf\", oops\n".into(),
        };
        bad.sha256 = "different".into();
        let lone = Normalized {
            name: "lone".into(),
            ..bad.clone()
        };
        let report = run(vec![good, lone], vec![bad], &options());
        let wf = &report.workflows.iter().find(|w| w.name == "wf").unwrap();
        assert!(wf.drift && wf.changes.is_empty());
        assert!(
            wf.notes
                .iter()
                .any(|n| n.starts_with("production: the canonical text does not parse")),
            "{:?}",
            wf.notes
        );
        assert!(
            wf.text_diff
                .as_deref()
                .unwrap()
                .contains("+{\"name\": \"wf\", oops")
        );
        assert_eq!(
            report.summary.removed, 1,
            "the unmatched one is removed, not a crash"
        );
    }

    #[test]
    fn matching_hashes_are_unchanged_without_loading() {
        let profile = Profile::secmaster();
        let a = doc("wf", json!({"name": "wf", "x": 1}));
        let mut b = a.clone();
        b.layout_sha256 = Some("moved".into());
        let report = diff(
            vec![deferred_failing(&a, profile.hash())],
            vec![deferred_failing(&b, profile.hash())],
            &profile,
            &options(),
        )
        .unwrap();
        assert_eq!(report.summary.unchanged, 1);
        assert_eq!(report.summary.layout_only, 1);
        assert!(report.workflows[0].layout_changed);
        assert!(!report.has_drift());
    }

    #[test]
    fn a_stale_profile_hash_forces_a_load_and_load_errors_name_the_workflow() {
        let profile = Profile::secmaster();
        let a = doc("wf", json!({"name": "wf"}));
        let err = diff(
            vec![deferred_failing(&a, "older-profile".into())],
            vec![Entry::Loaded(a.clone())],
            &profile,
            &options(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, DiffError::Load { name, side, .. } if name == "wf" && side == "staging")
        );
        assert_eq!(
            err.to_string(),
            "cannot load workflow \"wf\" of the staging side"
        );

        let loaded = a.clone();
        let entry = Entry::Deferred {
            name: "wf".into(),
            sha256: "stale".into(),
            layout_sha256: None,
            profile_hash: "older-profile".into(),
            load: Box::new(move || Ok(loaded)),
        };
        let report = diff(vec![entry], vec![Entry::Loaded(a)], &profile, &options()).unwrap();
        assert_eq!(report.summary.unchanged, 1);
    }

    #[test]
    fn duplicate_names_are_listed() {
        let profile = Profile::secmaster();
        let entries = |names: &[&str]| -> Vec<Entry> {
            names
                .iter()
                .map(|n| Entry::Loaded(doc(n, json!({ "name": n }))))
                .collect()
        };
        let err = diff(
            entries(&["b", "a", "b", "a", "c"]),
            entries(&[]),
            &profile,
            &options(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, DiffError::DuplicateNames { names, side } if names == &["a", "b"] && side == "staging")
        );
        assert!(err.to_string().contains("\"a\", \"b\""), "{err}");
    }

    #[test]
    fn a_changed_scalar_is_one_change_at_its_path() {
        let left = json!({"name": "w", "a": {"b": [1, {"c": "x", "d": 1}]}});
        let right = json!({"name": "w", "a": {"b": [1, {"c": "y", "d": 1}]}});
        assert_eq!(
            changes(left, right),
            [("/a/b/1/c".to_owned(), ChangeKind::Changed)]
        );
    }

    #[test]
    fn an_insertion_into_an_ordered_array_is_one_added_change() {
        let left = json!({"list": ["a", "b", "c", "d"]});
        let right = json!({"list": ["a", "x", "b", "c", "d"]});
        assert_eq!(
            changes(left.clone(), right.clone()),
            [("/list/1".to_owned(), ChangeKind::Added)]
        );
        assert_eq!(
            changes(right, left),
            [("/list/1".to_owned(), ChangeKind::Removed)]
        );
    }

    #[test]
    fn replaced_objects_are_compared_field_by_field() {
        let left = json!({"list": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 3, "v": "c"}]});
        let right =
            json!({"list": [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}, {"id": 3, "v": "c"}]});
        assert_eq!(
            changes(left, right),
            [("/list/1/v".to_owned(), ChangeKind::Changed)]
        );
        let left = json!({"list": [1, 2]});
        let right = json!({"list": [1, 5, 6]});
        assert_eq!(
            changes(left, right),
            [
                ("/list/1".to_owned(), ChangeKind::Changed),
                ("/list/2".to_owned(), ChangeKind::Added)
            ]
        );
    }

    #[test]
    fn keys_only_on_one_side_and_type_changes() {
        let left = json!({"gone": 1, "kept": {"a": 1}, "t": [1]});
        let right = json!({"new": null, "kept": {"a": 1}, "t": {"0": 1}});
        assert_eq!(
            changes(left, right),
            [
                ("/gone".to_owned(), ChangeKind::Removed),
                ("/t".to_owned(), ChangeKind::Changed),
                ("/new".to_owned(), ChangeKind::Added),
            ]
        );
    }

    #[test]
    fn changes_name_the_bpmn_element_they_are_in() {
        let task = |timeout: &str, incoming: &str| {
            json!({"type": "element", "name": "bpmn2:serviceTask",
                   "attributes": {"id": "A1", "name": "Block on WAF", "soar:timeout": timeout},
                   "elements": [{"type": "element", "name": "bpmn2:incoming",
                                 "elements": [{"type": "text", "text": incoming}]}]})
        };
        let flow = json!({"type": "element", "name": "bpmn2:sequenceFlow",
                          "attributes": {"id": "F9", "sourceRef": "A1", "targetRef": "E"}});
        let left = json!({"list": [task("60", "F1")]});
        let right = json!({"list": [task("90", "F2"), flow]});
        let got: Vec<_> = structural_changes(&left, &right, &Profile::secmaster())
            .into_iter()
            .map(|c| (c.path, c.context.unwrap_or_default()))
            .collect();
        let task = "bpmn2:serviceTask \"Block on WAF\"".to_owned();
        assert_eq!(
            got,
            [
                ("/list/0/attributes/soar:timeout".to_owned(), task.clone()),
                ("/list/0/elements/0/elements/0/text".to_owned(), task),
                ("/list/1".to_owned(), "bpmn2:sequenceFlow F9".to_owned()),
            ]
        );
    }

    #[test]
    fn the_deepest_normalized_documents_diff_without_exhausting_the_stack() {
        // Normalization nests at most normalize::MAX_DEPTH levels; alternate objects and arrays
        // so both recursion paths are exercised (tests run on 2 MiB thread stacks).
        let deep = |leaf: i64| {
            let mut value = json!(leaf);
            for level in 0..crate::normalize::MAX_DEPTH {
                value = if level % 2 == 0 {
                    json!([value])
                } else {
                    json!({ "k": value })
                };
            }
            value
        };
        let changes = structural_changes(&deep(1), &deep(2), &Profile::secmaster());
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].path.matches('/').count(),
            crate::normalize::MAX_DEPTH
        );
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let left = json!({"a/b": {"c~d": 1}});
        let right = json!({"a/b": {"c~d": 2}});
        assert_eq!(
            changes(left, right),
            [("/a~1b/c~0d".to_owned(), ChangeKind::Changed)]
        );
    }

    #[test]
    fn set_arrays_ignore_order_and_report_leftovers() {
        let config = ProfileConfig {
            sets: vec!["/tags".into()],
            ..ProfileConfig::default()
        };
        let profile = Profile::secmaster().with_config(&config).unwrap();
        let left = json!({"tags": ["a", "b", "c", "c"]});
        let right = json!({"tags": ["c", "d", "b", "a"]});
        assert_eq!(
            changes_under(&profile, left, right),
            [
                ("/tags/3".to_owned(), ChangeKind::Removed),
                ("/tags/1".to_owned(), ChangeKind::Added)
            ]
        );
    }

    #[test]
    fn keyed_arrays_match_items_by_key() {
        let config = ProfileConfig {
            keyed: [("/nodes".to_owned(), "attributes.id".to_owned())].into(),
            ..ProfileConfig::default()
        };
        let profile = Profile::secmaster().with_config(&config).unwrap();
        let node = |id: &str, v: i64| json!({"attributes": {"id": id, "v": v}});
        let left = json!({"nodes": [node("a", 1), node("b", 1), node("c", 1), {"free": 1}]});
        let right = json!({"nodes": [node("c", 1), node("a", 2), node("d", 1), {"free": 2}]});
        assert_eq!(
            changes_under(&profile, left, right),
            [
                ("/nodes/1/attributes/v".to_owned(), ChangeKind::Changed),
                ("/nodes/1".to_owned(), ChangeKind::Removed),
                ("/nodes/2".to_owned(), ChangeKind::Added),
                ("/nodes/3".to_owned(), ChangeKind::Removed),
                ("/nodes/3".to_owned(), ChangeKind::Added),
            ]
        );
    }

    #[test]
    fn statuses_renames_and_text_diff() {
        let left = vec![
            doc("same", json!({"name": "same", "v": 1})),
            doc("mod", json!({"name": "mod", "v": 1})),
            doc("old name", json!({"name": "old name", "v": 7})),
            doc("gone", json!({"name": "gone", "v": 8})),
        ];
        let right = vec![
            doc("same", json!({"name": "same", "v": 1})),
            doc("mod", json!({"name": "mod", "v": 2})),
            doc("new name", json!({"name": "new name", "v": 7})),
            doc("fresh", json!({"name": "fresh", "v": 9})),
        ];
        let report = run(left, right, &options());
        let got: Vec<_> = report
            .workflows
            .iter()
            .map(|w| {
                (
                    w.name.as_str(),
                    w.status,
                    w.previous_name.as_deref(),
                    w.drift,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("fresh", WorkflowStatus::Added, None, true),
                ("gone", WorkflowStatus::Removed, None, true),
                ("mod", WorkflowStatus::Modified, None, true),
                ("new name", WorkflowStatus::Renamed, Some("old name"), true),
                ("same", WorkflowStatus::Unchanged, None, false),
            ]
        );
        let modified = &report.workflows[2];
        assert_eq!(
            modified.text_diff.as_deref(),
            Some(
                "--- staging/mod\n+++ production/mod\n@@ -1,4 +1,4 @@\n {\n   \"name\": \"mod\",\n-  \"v\": 1\n+  \"v\": 2\n }\n"
            )
        );
        assert_eq!(modified.changes[0].left, Some(json!(1)));
        assert_eq!(modified.changes[0].right, Some(json!(2)));
    }

    #[test]
    fn binary_documents_get_a_note_and_no_changes() {
        let report = run(
            vec![opaque("blob", "aa")],
            vec![opaque("blob", "bb")],
            &options(),
        );
        let wf = &report.workflows[0];
        assert_eq!(wf.status, WorkflowStatus::Modified);
        assert!(wf.changes.is_empty() && wf.text_diff.is_none());
        assert_eq!(wf.notes, ["binary content changed (sha256 aa -> bb)"]);
        let renamed = run(
            vec![opaque("a.bin", "aa")],
            vec![opaque("b.bin", "aa")],
            &options(),
        );
        assert_eq!(renamed.workflows[0].status, WorkflowStatus::Renamed);
    }

    fn rule(workflow: &str, path: Option<&str>, expires: Option<&str>) -> AcceptRule {
        AcceptRule {
            workflow: workflow.into(),
            path: path.map(str::to_owned),
            reason: format!("reason for {workflow}"),
            expires: expires.map(str::to_owned),
        }
    }

    #[test]
    fn accepted_changes_do_not_count_as_drift_until_they_expire() {
        let left = vec![doc("wf", json!({"name": "wf", "a": 1, "b": 1}))];
        let right = vec![doc("wf", json!({"name": "wf", "a": 2, "b": 2}))];

        let mut opts = options();
        opts.accept = vec![rule("w*", Some("/a"), Some("2026-06-01"))];
        let report = run(left.clone(), right.clone(), &opts);
        let wf = &report.workflows[0];
        assert!(wf.drift, "b is not accepted");
        assert_eq!(
            wf.changes[0].accepted,
            Some(Acceptance {
                reason: "reason for w*".into(),
                expires: Some("2026-06-01".into())
            })
        );
        assert_eq!(wf.changes[1].accepted, None);

        opts.accept.push(rule("wf", Some("/b"), None));
        let report = run(left.clone(), right.clone(), &opts);
        assert!(!report.has_drift());
        assert_eq!(report.summary.accepted, 1);

        opts.today = "2026-06-02".into();
        let report = run(left, right, &opts);
        let wf = &report.workflows[0];
        assert!(wf.drift);
        assert_eq!(wf.changes[0].accepted, None);
        assert_eq!(
            wf.notes,
            ["acceptance expired on 2026-06-01: reason for w*"]
        );
    }

    #[test]
    fn whole_workflow_rules_accept_added_removed_and_renamed() {
        let mut opts = options();
        opts.accept = vec![
            rule("fresh", None, None),
            rule("old name", None, None),
            rule("gone", Some("/v"), None),
        ];
        let left = vec![
            doc("old name", json!({"name": "old name", "v": 7})),
            doc("gone", json!({"name": "gone", "v": 8})),
        ];
        let right = vec![
            doc("new name", json!({"name": "new name", "v": 7})),
            doc("fresh", json!({"name": "fresh", "v": 9})),
        ];
        let report = run(left, right, &opts);
        let drift: Vec<_> = report
            .workflows
            .iter()
            .map(|w| (w.name.as_str(), w.drift))
            .collect();
        // A path rule does not accept a workflow's disappearance.
        assert_eq!(
            drift,
            [("fresh", false), ("gone", true), ("new name", false)]
        );
        assert_eq!(report.summary.accepted, 2);
    }

    #[test]
    fn bad_rules_are_typed_errors() {
        let profile = Profile::secmaster();
        let try_rules = |rules: Vec<AcceptRule>, today: &str| {
            let opts = DiffOptions {
                accept: rules,
                today: today.into(),
                ..options()
            };
            diff(Vec::new(), Vec::new(), &profile, &opts)
        };
        assert!(matches!(
            try_rules(vec![rule("w", None, Some("2026-13-01"))], "2026-01-01"),
            Err(DiffError::AcceptExpires { .. })
        ));
        assert!(matches!(
            try_rules(vec![rule("w", None, Some("2026-12-01"))], ""),
            Err(DiffError::Today { .. })
        ));
        assert!(try_rules(vec![rule("w", None, None)], "").is_ok());
        assert!(matches!(
            try_rules(
                vec![rule("w", Some("no-leading-slash"), None)],
                "2026-01-01"
            ),
            Err(DiffError::AcceptPath { .. })
        ));
    }

    #[test]
    fn globs_and_dates() {
        assert!(glob_match("*", "anything"));
        assert!(glob_match("Block *", "Block malicious source IP"));
        assert!(glob_match("*IP", "Block malicious source IP"));
        assert!(glob_match("a*b*c", "a-x-b-y-b-c"));
        assert!(!glob_match("a*b*c", "a-x-c-b"));
        assert!(!glob_match("exact", "exactly"));
        assert!(glob_match("", ""));
        assert!(is_date("2026-02-28"));
        for bad in [
            "2026-2-28",
            "2026-00-01",
            "2026-01-32",
            "20260101",
            "2026-01-01x",
            "２０２６-01-01",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn rules_deserialize_from_toml_like_dates() {
        let from_text: AcceptRule = serde_json::from_value(
            json!({"workflow": "w", "reason": "r", "expires": "2026-01-01"}),
        )
        .unwrap();
        let from_toml_date: AcceptRule = serde_json::from_value(json!({
            "workflow": "w", "reason": "r",
            "expires": {"$__toml_private_datetime": "2026-01-01"}
        }))
        .unwrap();
        assert_eq!(from_text, from_toml_date);
        assert_eq!(from_text.path, None);
        assert!(
            serde_json::from_value::<AcceptRule>(
                json!({"workflow": "w", "reason": "r", "typo": 1})
            )
            .is_err()
        );
    }
}
