//! The one place that knows the YAML crate: parse a document into the scenario's serde types,
//! with errors that carry the line and column. Swap the crate here and nowhere else.

use serde::de::DeserializeOwned;

/// A YAML or type error at a position of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    /// 1-based line and column, when the parser knows them.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// The deepest nesting of collections a document may have. The parser's cost grows with the
/// square of the depth, so deeper documents are refused before parsing.
pub const MAX_DEPTH: usize = 64;

/// Parses one YAML document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if let Some((line, depth)) = too_deep(text) {
        return Err(YamlError {
            message: format!(
                "the document nests collections {depth} levels deep here, more than the limit of {MAX_DEPTH}"
            ),
            line: Some(line),
            column: None,
        });
    }
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location();
        let mut message = strip_location(&e.to_string());
        if message.contains("repetition limit exceeded") {
            message = "the document expands its aliases too many times (a 'billion laughs' document?): repetition limit exceeded".into();
        } else if message.contains("recursion limit exceeded") {
            message = format!("the document nests collections deeper than the parser's limit: {message}");
        }
        YamlError {
            message,
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
        }
    })
}

/// A value written as a YAML document (for files hysim writes, such as an anonymized world).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|e| e.to_string())
}

/// serde_yaml appends " at line L column C" to its messages; the location is reported apart.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

/// The first line where flow collections (`[`, `{`) plus block indentation nest deeper than
/// [`MAX_DEPTH`], found with one pass over the text (quoted text and comments skipped).
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut flow: usize = 0;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => flow += 1,
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
            if flow + indent / 2 > MAX_DEPTH {
                return Some((i + 1, flow + indent / 2));
            }
        }
    }
    None
}
