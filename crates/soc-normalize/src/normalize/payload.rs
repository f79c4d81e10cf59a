//! Payloads: base64 `taskflow`, JSON in `taskconfig`/`input`/`output` and in any string that holds
//! a JSON object or array, decoded and normalized in place of their text.

use base64::Engine as _;
use serde_json::Value;

use super::MAX_DEPTH;
use super::walk::Walk;
use crate::profile::{ElementIds, Payload};
use crate::redact::redact;

/// More levels than serde_json ever parses (its recursion limit is 128).
const PARSE_DEPTH_BOUND: usize = 129;

impl Walk<'_> {
    /// Any string that holds a JSON object or array is compared as that value.
    pub(super) fn string(&mut self, value: &mut Value, depth: usize) {
        let Value::String(text) = value else {
            return;
        };
        if looks_like_json(text) {
            // Merely starting with `{` is common in templates and free text: no note otherwise.
            if let Spent::Parsed(parsed @ (Value::Object(_) | Value::Array(_))) =
                self.parse_spending(text)
            {
                self.nested(parsed, value, depth);
                return;
            }
        }
        self.redact_text(value);
    }

    /// Parses `text`, its values taken out of the document's budget: [`Spent::OverBudget`] (with a
    /// note) when they do not fit, and the text is then compared as it is.
    fn parse_spending(&mut self, text: &str) -> Spent {
        if let Some((parsed, count)) = soc_model::json::parse_counted(text, self.values_left) {
            self.values_left -= count;
            return Spent::Parsed(parsed);
        }
        // Too many values or not JSON: the scan tells which, and takes what it counted.
        if !self.spend_values(text.as_bytes()) {
            return Spent::OverBudget;
        }
        match serde_json::from_str(text) {
            Ok(parsed) => Spent::Parsed(parsed),
            Err(_) => Spent::Invalid,
        }
    }

    /// Redacts secrets inside the text of a string that stays a string.
    fn redact_text(&self, value: &mut Value) {
        if let Value::String(text) = value {
            if let Some(redacted) = self.profile.redaction().redact_text(text) {
                *text = redacted;
            }
        }
    }

    /// Takes the JSON values of `text` out of the document's budget; `false` (with a note) when
    /// they do not fit, and the text is then compared as it is.
    fn spend_values(&mut self, text: &[u8]) -> bool {
        match soc_model::json::count_values(text, self.values_left) {
            Some(count) => {
                self.values_left -= count;
                true
            }
            None => {
                let limit = self.profile.limits().max_json_values;
                self.note(&format!(
                    "decoding would take the document over {limit} JSON values \
                     (limits.max_json_values), compared as text"
                ));
                false
            }
        }
    }

    /// A string at a payload path (`taskflow`, `taskconfig`, `input`, `output`).
    pub(super) fn payload(&mut self, payload: Payload, value: &mut Value, depth: usize) {
        let Value::String(text) = value else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        // A payload that decodes is compared as what it holds: nothing to redact in the text.
        // Anything that stays text is redacted as text.
        // JSON stored where base64 was expected is still JSON (no base64 text starts with `{`).
        let as_json = payload == Payload::Json || looks_like_json(text);
        let parsed = if as_json {
            match self.parse_spending(text) {
                Spent::Parsed(parsed) => Ok(parsed),
                Spent::Invalid => Err("not valid JSON"),
                Spent::OverBudget => {
                    self.redact_text(value);
                    return;
                }
            }
        } else {
            let spent = match decode_base64(text) {
                Err(_) => Err("not valid base64"),
                // One UTF-8 check of the whole text is cheaper than serde_json's per string.
                Ok(bytes) => match std::str::from_utf8(&bytes) {
                    Ok(json) => Ok(self.parse_spending(json)),
                    Err(_) => Ok(if self.spend_values(&bytes) {
                        Spent::Invalid
                    } else {
                        Spent::OverBudget
                    }),
                },
            };
            match spent {
                Err(why) => Err(why),
                Ok(Spent::Parsed(parsed @ (Value::Object(_) | Value::Array(_)))) => Ok(parsed),
                Ok(Spent::Parsed(_)) => Err("base64 that does not hold a JSON object or array"),
                Ok(Spent::Invalid) => Err("base64 that does not hold JSON"),
                Ok(Spent::OverBudget) => {
                    // Kept as base64 it would still carry every secret it holds, merely
                    // encoded: it is compared by its hash instead.
                    redact(value);
                    return;
                }
            }
        };
        match parsed {
            Ok(mut parsed @ (Value::Object(_) | Value::Array(_))) => {
                // Before the walk: keyed arrays are sorted by element id, so ids must be final.
                if payload == Payload::Base64Json
                    && self.profile.element_ids() == ElementIds::ByName
                {
                    crate::element_ids::relabel(&mut parsed);
                }
                self.nested(parsed, value, depth);
            }
            // A JSON scalar compares the same as its text; keeping the text keeps normalizing idempotent.
            Ok(_) => self.redact_text(value),
            Err(why) => {
                self.note(&format!("{why}, compared as text"));
                self.redact_text(value);
            }
        }
    }

    /// Normalizes a decoded payload in place of its text (`slot`), unless it would nest too deeply.
    fn nested(&mut self, mut parsed: Value, slot: &mut Value, depth: usize) {
        // serde_json parses at most 127 levels, so only deep places need to measure the payload.
        if depth + PARSE_DEPTH_BOUND > MAX_DEPTH && depth + nesting(&parsed) > MAX_DEPTH {
            self.note("nested too deeply to decode, compared as text");
            self.redact_text(slot);
            return;
        }
        self.value(&mut parsed, depth);
        *slot = parsed;
    }
}

/// What became of text parsed within the document's value budget.
enum Spent {
    Parsed(Value),
    /// Not JSON; its values were taken out of the budget all the same.
    Invalid,
    /// More values than the budget has left (noted); nothing was taken.
    OverBudget,
}

/// Standard base64 (padded or not), whitespace ignored. Exports are almost never wrapped, so the
/// text is decoded as it is and copied without whitespace only when that fails.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64_engine().decode(text).or_else(|err| {
        if text.bytes().any(|b| b.is_ascii_whitespace()) {
            base64_engine().decode(
                text.bytes()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect::<Vec<u8>>(),
            )
        } else {
            Err(err)
        }
    })
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// Levels of objects and arrays in `value` (0 for a scalar). Only called on freshly parsed values,
/// which serde_json limits to 128 levels, so the recursion is bounded.
pub(super) fn nesting(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(nesting).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => 0,
    }
}

/// Standard base64, padded or not: exports have been seen both ways in other tools.
fn base64_engine() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    )
}
