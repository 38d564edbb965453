//! LDIF as `ldifde -f` writes it (and OpenLDAP's `ldapsearch`): RFC 2849 records, read into the
//! AD objects hysim models. See docs/import.md for the capture command.
//!
//! [`read`] sniffs the encoding (UTF-8 with or without a BOM, or UTF-16LE with the BOM
//! `ldifde -u` writes), then makes one pass over the text: physical lines are unfolded into the
//! logical lines of one record at a time (borrowed from the input unless folded), and each
//! attribute line is decoded when met; a value stays bytes until its attribute is known to be
//! text. A large file is cut before `dn:` lines into chunks read by a thread each, joined in file
//! order afterwards, so the export is the same as one read in one go. Last, the DN-valued links
//! (`manager`, `member`) are checked against the export's own DNs.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use base64::Engine as _;
use rustc_hash::FxHashMap;

use super::{InputError, Warning, dn, guid};

/// The longest logical (unfolded) line read, in bytes: a directory value is far smaller, so a
/// longer line is a broken or hostile file, refused before it is held in memory twice.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// The most records read: ten times the largest export hysim is measured with.
pub const MAX_RECORDS: usize = 10_000_000;

/// One AD user of the export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdUser {
    /// The DN as written (escaped, RFC 4514).
    pub dn: String,
    /// The 1-based physical line of the record's `dn:` line.
    pub line: usize,
    pub sam: Option<String>,
    /// `objectGUID`'s 16 stored bytes (Windows GUID layout).
    pub object_guid: Option<[u8; 16]>,
    /// `mS-DS-ConsistencyGuid`'s 16 stored bytes; other lengths are a warning and `None`.
    pub consistency_guid: Option<[u8; 16]>,
    /// `objectSid` as `S-1-5-21-…`.
    pub sid: Option<String>,
    /// `userAccountControl` bit 0x2 clear; `true` when the attribute is absent.
    pub enabled: bool,
    /// The manager's DN as written.
    pub manager: Option<String>,
    /// The text attributes hysim models, by their LDAP names in the casing of
    /// docs/scenario-format.md (`userPrincipalName`, `displayName`, `givenName`, `sn`, `mail`,
    /// `mailNickname`, `proxyAddresses`, `department`, `title`, `company`,
    /// `physicalDeliveryOfficeName`, `l`, `co`, `telephoneNumber`, `mobile`, `otherMobile`,
    /// `employeeID`, `msExchUsageLocation`, `description`), each with all its values in file order.
    pub attrs: Vec<(&'static str, Vec<String>)>,
    /// `adminCount: 1`.
    pub admin_count: bool,
}

/// One AD group of the export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdGroup {
    pub dn: String,
    pub line: usize,
    pub sam: Option<String>,
    pub object_guid: Option<[u8; 16]>,
    pub sid: Option<String>,
    /// `groupType` as the signed 32-bit value AD stores (absent: `None`).
    pub group_type: Option<i32>,
    /// Members' DNs as written (users and groups).
    pub members: Vec<String>,
    /// The text attributes hysim models for groups (`cn`, `displayName`, `mail`, `proxyAddresses`,
    /// `description`, `mailNickname`), all values in file order.
    pub attrs: Vec<(&'static str, Vec<String>)>,
}

/// What an LDIF export holds, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdExport {
    pub users: Vec<AdUser>,
    pub groups: Vec<AdGroup>,
    /// The DNs of `organizationalUnit` (and container) records.
    pub ous: Vec<String>,
    /// Records skipped (computers, contacts, other classes), odd values, DNs pointing outside
    /// the export: never silent.
    pub warnings: Vec<super::Warning>,
    /// Records of other object classes, counted by class, e.g. `("contact", 3)`.
    pub skipped: Vec<(String, usize)>,
}

/// The text attributes a record may carry, by their LDAP names in the casing hysim uses: the
/// user ones (in [`AdUser::attrs`] order), then `cn`, which only groups keep.
const TEXT: [&str; 20] = [
    "userPrincipalName",
    "displayName",
    "givenName",
    "sn",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "department",
    "title",
    "company",
    "physicalDeliveryOfficeName",
    "l",
    "co",
    "telephoneNumber",
    "mobile",
    "otherMobile",
    "employeeID",
    "msExchUsageLocation",
    "description",
    "cn",
];

/// The text attributes a user keeps, as indices into [`TEXT`], in [`AdUser::attrs`] order.
const USER_ATTRS: [usize; 19] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
];

/// The text attributes a group keeps, as indices into [`TEXT`], in [`AdGroup::attrs`] order:
/// `cn`, `displayName`, `mail`, `proxyAddresses`, `description`, `mailNickname`.
const GROUP_ATTRS: [usize; 6] = [19, 1, 4, 6, 18, 5];

/// The attributes the reader interprets; any other attribute is read (so a malformed line is
/// still an error) and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    ObjectClass,
    Changetype,
    Sam,
    ObjectGuid,
    ObjectSid,
    ConsistencyGuid,
    Uac,
    AdminCount,
    GroupType,
    Manager,
    Member,
    /// An index into [`TEXT`].
    Text(usize),
}

/// The field an attribute name (options already stripped) stands for; names are
/// case-insensitive. A `match` on the lower-cased name rather than a search of the lists: it
/// runs on every line of the file.
fn field(name: &str) -> Option<Field> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"objectclass" => Field::ObjectClass,
        b"changetype" => Field::Changetype,
        b"samaccountname" => Field::Sam,
        b"objectguid" => Field::ObjectGuid,
        b"objectsid" => Field::ObjectSid,
        b"ms-ds-consistencyguid" => Field::ConsistencyGuid,
        b"useraccountcontrol" => Field::Uac,
        b"admincount" => Field::AdminCount,
        b"grouptype" => Field::GroupType,
        b"manager" => Field::Manager,
        b"member" => Field::Member,
        b"userprincipalname" => Field::Text(0),
        b"displayname" => Field::Text(1),
        b"givenname" => Field::Text(2),
        b"sn" => Field::Text(3),
        b"mail" => Field::Text(4),
        b"mailnickname" => Field::Text(5),
        b"proxyaddresses" => Field::Text(6),
        b"department" => Field::Text(7),
        b"title" => Field::Text(8),
        b"company" => Field::Text(9),
        b"physicaldeliveryofficename" => Field::Text(10),
        b"l" => Field::Text(11),
        b"co" => Field::Text(12),
        b"telephonenumber" => Field::Text(13),
        b"mobile" => Field::Text(14),
        b"othermobile" => Field::Text(15),
        b"employeeid" => Field::Text(16),
        b"msexchusagelocation" => Field::Text(17),
        b"description" => Field::Text(18),
        b"cn" => Field::Text(19),
        _ => return None,
    })
}

/// Reads an LDIF export (`ldifde -f`, with or without `-u`, or `ldapsearch` output) into the AD
/// users, groups and OUs it holds. Errors name `file` and the 1-based physical line; odd but
/// usable content (skipped classes, links leaving the export, a malformed ConsistencyGuid) is a
/// warning in the export. A large file is read by several threads, a run of records each; the
/// result, and the error reported, are those of reading it in one go.
pub fn read(file: &str, bytes: &[u8]) -> Result<AdExport, InputError> {
    read_with(file, bytes, Limits::for_this_machine())
}

/// The most threads one read uses.
const MAX_THREADS: usize = 8;

/// The least text worth a thread of its own.
const MIN_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// The bounds of one read and how it is shared between threads; tests lower them.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// The longest logical line, in bytes.
    line_bytes: usize,
    /// The most records.
    records: usize,
    /// The most threads reading chunks at once.
    threads: usize,
    /// The least text worth a thread of its own, in bytes.
    chunk_bytes: usize,
}

impl Limits {
    fn for_this_machine() -> Self {
        Limits {
            line_bytes: MAX_LINE_BYTES,
            records: MAX_RECORDS,
            threads: std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(MAX_THREADS),
            chunk_bytes: MIN_CHUNK_BYTES,
        }
    }
}

/// [`read`] within the given limits.
fn read_with(file: &str, bytes: &[u8], limits: Limits) -> Result<AdExport, InputError> {
    if u64::try_from(bytes.len()).map_or(true, |n| n > super::MAX_EXPORT_FILE_BYTES) {
        return Err(error(
            file,
            1,
            format!(
                "the file is {} bytes; the most read is {} bytes",
                bytes.len(),
                super::MAX_EXPORT_FILE_BYTES
            ),
        ));
    }
    let text = decode(file, bytes)?;
    let parts = match read_chunks(file, &chunks(&text, limits), limits) {
        Some(parts) => parts,
        // One chunk, or a chunk met an error: read the text in one go, so that the error
        // reported is the first in the file.
        None => vec![read_chunk(
            file,
            Chunk {
                text: &text,
                first: true,
            },
            limits,
        )?],
    };
    Ok(assemble(file, parts))
}

// --- Chunks -------------------------------------------------------------------------------------

/// A run of whole records: the text from a `dn:` line (or the file's start) to just before
/// another.
#[derive(Clone, Copy, Debug)]
struct Chunk<'t> {
    text: &'t str,
    /// Whether the chunk starts the file (where a `version:` line may be).
    first: bool,
}

/// The text cut before `dn:` lines into at most `limits.threads` chunks of about equal size, none
/// smaller than `limits.chunk_bytes`. A record always starts at a `dn:` line, so each chunk
/// reads as the same records it would in one go.
fn chunks(text: &str, limits: Limits) -> Vec<Chunk<'_>> {
    let n = limits
        .threads
        .min(text.len() / limits.chunk_bytes.max(1))
        .max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..n {
        let mut target = (text.len() / n * i).max(start);
        while !text.is_char_boundary(target) {
            target += 1;
        }
        let Some(at) = text
            .get(target..)
            .and_then(|t| t.find("\ndn:"))
            .map(|p| target + p + 1)
        else {
            break;
        };
        out.push(Chunk {
            text: text.get(start..at).unwrap_or_default(),
            first: start == 0,
        });
        start = at;
    }
    out.push(Chunk {
        text: text.get(start..).unwrap_or_default(),
        first: start == 0,
    });
    out
}

/// Reads the chunks each in its own thread; `None` unless there are several and all read
/// without error and within the record limit together.
fn read_chunks(file: &str, chunks: &[Chunk<'_>], limits: Limits) -> Option<Vec<Part>> {
    let (&head, tail) = chunks.split_first()?;
    if tail.is_empty() {
        return None;
    }
    let results: Vec<Result<Part, InputError>> = std::thread::scope(|s| {
        let threads: Vec<_> = tail
            .iter()
            .map(|&c| s.spawn(move || read_chunk(file, c, limits)))
            .collect();
        let mut results = vec![read_chunk(file, head, limits)];
        results.extend(threads.into_iter().map(crate::joined));
        results
    });
    let parts: Vec<Part> = results.into_iter().collect::<Result<_, _>>().ok()?;
    let records: usize = parts.iter().map(|p| p.records).sum();
    (records <= limits.records).then_some(parts)
}

/// Reads one chunk, its lines numbered from 1 at the chunk's start.
fn read_chunk(file: &str, chunk: Chunk<'_>, limits: Limits) -> Result<Part, InputError> {
    let mut records = Records::new(chunk.text, limits.line_bytes);
    let mut reader = Reader::new(file, limits, chunk.first);
    let mut lines = Vec::new();
    while records.next_into(file, &mut lines)? {
        reader.record(&lines)?;
    }
    let mut part = reader.part;
    part.newlines = records.taken.saturating_sub(1);
    Ok(part)
}

// --- Encoding -----------------------------------------------------------------------------------

/// The file's text: UTF-8 (a BOM dropped) borrowed, or UTF-16LE (after its BOM) decoded.
fn decode<'b>(file: &str, bytes: &'b [u8]) -> Result<Cow<'b, str>, InputError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(file, rest).map(Cow::Borrowed);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16le(file, rest).map(Cow::Owned);
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Err(error(
            file,
            1,
            "the file is UTF-16 big-endian; expected UTF-8, or UTF-16LE with its byte-order mark \
             as `ldifde -u` writes it",
        ));
    }
    if matches!(bytes, [a, 0, ..] | [0, a, ..] if *a != 0) {
        return Err(error(
            file,
            1,
            "the file looks like UTF-16 without a byte-order mark (NUL bytes between ASCII \
             characters); expected UTF-8, or UTF-16LE starting with FF FE as `ldifde -u` writes \
             it: convert the file to UTF-8",
        ));
    }
    utf8(file, bytes).map(Cow::Borrowed)
}

fn utf8<'b>(file: &str, bytes: &'b [u8]) -> Result<&'b str, InputError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        error(
            file,
            line,
            "invalid UTF-8; expected UTF-8 text, with other bytes written as base64 \
             (`attribute:: …`)",
        )
    })
}

fn utf16le(file: &str, bytes: &[u8]) -> Result<String, InputError> {
    let units = bytes
        .chunks_exact(2)
        .map(|pair| <[u8; 2]>::try_from(pair).map_or(0, u16::from_le_bytes));
    let mut out = String::with_capacity(bytes.len() / 2);
    let mut line = 1;
    for c in char::decode_utf16(units) {
        let c = c.map_err(|_| {
            error(
                file,
                line,
                "invalid UTF-16LE (an unpaired surrogate); expected the text `ldifde -u` writes",
            )
        })?;
        if c == '\n' {
            line += 1;
        }
        out.push(c);
    }
    if bytes.len() % 2 == 1 {
        return Err(error(
            file,
            line,
            "the UTF-16LE file ends in half a character (an odd number of bytes)",
        ));
    }
    Ok(out)
}

// --- Lines and records --------------------------------------------------------------------------

/// One unfolded line and the physical line it starts on.
#[derive(Debug)]
struct Logical<'t> {
    line: usize,
    text: Cow<'t, str>,
}

/// Cuts the text into records of unfolded lines; comments and blank lines are dropped here.
struct Records<'t> {
    /// The text not yet cut into lines; `None` after the last line.
    rest: Option<&'t str>,
    /// A `dn:` line met inside a record (the blank line before it missing): the next record's
    /// first line.
    pending: Option<(usize, &'t str)>,
    max_line: usize,
    /// Physical lines taken so far.
    taken: usize,
}

impl<'t> Records<'t> {
    fn new(text: &'t str, max_line: usize) -> Self {
        Records {
            rest: Some(text),
            pending: None,
            max_line,
            taken: 0,
        }
    }

    /// Fills `out` with the next record's logical lines; `false` once the file is used up.
    fn next_into(&mut self, file: &str, out: &mut Vec<Logical<'t>>) -> Result<bool, InputError> {
        out.clear();
        let mut in_comment = false;
        while let Some((n, line)) = self.pending.take().or_else(|| self.physical()) {
            if line.len() > self.max_line {
                return Err(too_long(file, n, self.max_line));
            }
            if line.is_empty() {
                in_comment = false;
                if out.is_empty() {
                    continue;
                }
                return Ok(true);
            }
            if let Some(more) = line.strip_prefix(' ') {
                if !in_comment {
                    self.unfold(file, n, more, out)?;
                }
                continue;
            }
            in_comment = line.starts_with('#');
            if in_comment {
                continue;
            }
            if !out.is_empty() && starts_dn(line) {
                self.pending = Some((n, line));
                return Ok(true);
            }
            out.push(Logical {
                line: n,
                text: Cow::Borrowed(line),
            });
        }
        Ok(!out.is_empty())
    }

    /// Appends a continuation (its one leading space already dropped) to the last logical line.
    fn unfold(
        &self,
        file: &str,
        n: usize,
        more: &str,
        out: &mut [Logical<'t>],
    ) -> Result<(), InputError> {
        let Some(last) = out.last_mut() else {
            return Err(error(
                file,
                n,
                "a folded line with nothing to continue: a line starting with a space continues \
                 the line before it, but this one starts a record (the file or a blank line is \
                 before it); expected `dn: …`",
            ));
        };
        if last.text.len() + more.len() > self.max_line {
            return Err(too_long(file, last.line, self.max_line));
        }
        last.text.to_mut().push_str(more);
        Ok(())
    }

    /// The next physical line and its 1-based number, without its line ending.
    fn physical(&mut self) -> Option<(usize, &'t str)> {
        let rest = self.rest?;
        let (line, after) = match find_newline(rest.as_bytes()) {
            Some(i) => (rest.get(..i)?, rest.get(i + 1..)),
            None => (rest, None),
        };
        self.rest = after;
        self.taken += 1;
        Some((self.taken, line.strip_suffix('\r').unwrap_or(line)))
    }
}

/// The offset of the first `\n` in `bytes`, looked for eight bytes at a time (it runs over the
/// whole file, and most lines are short).
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().ok()?);
        // A byte of `x` is zero where `word` holds a newline; the lowest flagged byte is one.
        let x = word ^ NEWLINES;
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(at + zeros.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = words.remainder().iter().position(|&b| b == b'\n')?;
    Some(at + tail)
}

/// Whether a physical line is a `dn:` (or `dn::`) line.
fn starts_dn(line: &str) -> bool {
    line.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("dn:"))
}

fn too_long(file: &str, line: usize, max: usize) -> InputError {
    error(
        file,
        line,
        format!(
            "a line (unfolded) longer than {max} bytes; expected the values of a directory export"
        ),
    )
}

// --- Attribute lines ----------------------------------------------------------------------------

/// An attribute value as written: plain text, or the bytes of a base64 value.
#[derive(Clone, Copy, Debug)]
enum Raw<'v> {
    Text(&'v str),
    Bytes(&'v [u8]),
}

impl<'v> Raw<'v> {
    fn bytes(self) -> &'v [u8] {
        match self {
            Raw::Text(s) => s.as_bytes(),
            Raw::Bytes(b) => b,
        }
    }
}

/// Buffers reused from line to line so that decoding a base64 value allocates nothing.
#[derive(Default)]
struct Scratch {
    bytes: Vec<u8>,
    base64: String,
}

/// Splits `name[;options]: value`, `name:: base64` into the name (options dropped) and value.
fn parse_line<'v>(
    file: &str,
    l: &'v Logical<'_>,
    scratch: &'v mut Scratch,
) -> Result<(&'v str, Raw<'v>), InputError> {
    let text: &'v str = &l.text;
    let Some((name_end, colon, well_formed)) = find_name(text) else {
        return Err(error(
            file,
            l.line,
            format!(
                "expected `attribute: value` (or `attribute:: base64`), found a line with no \
                 colon: `{}`",
                shown(text)
            ),
        ));
    };
    if !well_formed {
        return Err(error(
            file,
            l.line,
            format!(
                "expected an attribute name (letters, digits, `-`) before the colon, found `{}`",
                shown(text.get(..colon).unwrap_or_default())
            ),
        ));
    }
    let name = text.get(..name_end).unwrap_or_default();
    let rest = text.get(colon + 1..).unwrap_or_default();
    if let Some(b64) = rest.strip_prefix(':') {
        return match decode_base64(b64, scratch) {
            Ok(bytes) => Ok((name, Raw::Bytes(bytes))),
            Err(e) => Err(error(
                file,
                l.line,
                format!(
                    "`{name}::` is not valid base64 (standard alphabet, with `=` padding): {e}"
                ),
            )),
        };
    }
    if rest.starts_with('<') {
        return Err(error(
            file,
            l.line,
            format!(
                "`{name}:<` takes its value from a URL, which ldifde never writes; expected the \
                 value inline (`{name}: value` or `{name}:: base64`)"
            ),
        ));
    }
    let mut value = rest;
    while let Some(v) = value.strip_prefix(' ') {
        value = v;
    }
    Ok((name, Raw::Text(value)))
}

/// Where the attribute name ends (at a `;` starting options, or the colon), where the first colon
/// is, and whether the name is well formed (not empty, only name bytes); `None` without a colon.
/// It runs on every line of the file, hence one pass over the name.
fn find_name(text: &str) -> Option<(usize, usize, bool)> {
    let bytes = text.as_bytes();
    let name_end = bytes.iter().position(|&b| !is_name_byte(b))?;
    let stop = *bytes.get(name_end)?;
    if stop == b':' {
        return Some((name_end, name_end, name_end > 0));
    }
    let colon = name_end + bytes.get(name_end..)?.iter().position(|&b| b == b':')?;
    if stop == b';' {
        Some((name_end, colon, name_end > 0))
    } else {
        Some((colon, colon, false))
    }
}

/// The ASCII bytes an attribute name may hold (a descriptor, or an OID's digits and dots), as a
/// bit mask: a test of one bit per byte.
const NAME_BYTES: u128 = {
    let mut mask = 0u128;
    let mut b = 0u8;
    while b < 128 {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            mask |= 1 << b;
        }
        b += 1;
    }
    mask
};

fn is_name_byte(b: u8) -> bool {
    b < 128 && NAME_BYTES >> b & 1 == 1
}

/// The bytes of a base64 value, whitespace anywhere in it ignored.
fn decode_base64<'s>(b64: &str, scratch: &'s mut Scratch) -> Result<&'s [u8], base64::DecodeError> {
    let b64 = b64.trim_matches(|c: char| c.is_ascii_whitespace());
    let input = if b64.bytes().any(|b| b.is_ascii_whitespace()) {
        scratch.base64.clear();
        scratch
            .base64
            .extend(b64.chars().filter(|c| !c.is_ascii_whitespace()));
        scratch.base64.as_str()
    } else {
        b64
    };
    scratch.bytes.clear();
    base64::engine::general_purpose::STANDARD.decode_vec(input, &mut scratch.bytes)?;
    Ok(&scratch.bytes)
}

/// A text attribute's value: plain text, or base64 that must decode to UTF-8.
fn text_value<'v>(
    file: &str,
    line: usize,
    name: &str,
    raw: Raw<'v>,
) -> Result<&'v str, InputError> {
    match raw {
        Raw::Text(s) => Ok(s),
        Raw::Bytes(b) => std::str::from_utf8(b).map_err(|e| {
            error(
                file,
                line,
                format!(
                    "`{name}::` decodes to bytes that are not UTF-8 (at byte {}); expected \
                     UTF-8 text",
                    e.valid_up_to()
                ),
            )
        }),
    }
}

/// A decimal integer attribute.
fn integer(file: &str, line: usize, name: &str, raw: Raw<'_>) -> Result<i64, InputError> {
    let s = text_value(file, line, name, raw)?;
    s.trim().parse().map_err(|_| {
        error(
            file,
            line,
            format!("`{name}` is `{}`; expected a decimal integer", shown(s)),
        )
    })
}

/// A 32-bit integer attribute; AD writes it signed, and the unsigned reading of the same bits
/// is accepted too.
fn int32(file: &str, line: usize, name: &str, raw: Raw<'_>) -> Result<i32, InputError> {
    let v = integer(file, line, name, raw)?;
    i32::try_from(v)
        .or_else(|_| u32::try_from(v).map(|u| u as i32))
        .map_err(|_| {
            error(
                file,
                line,
                format!("`{name}` is {v}; expected a 32-bit integer"),
            )
        })
}

/// A GUID's stored bytes: base64 of 16 bytes, or (accepted too) the GUID string; otherwise the
/// length found.
fn guid_value(raw: Raw<'_>) -> Result<[u8; 16], usize> {
    if let Raw::Text(s) = raw
        && let Some(g) = guid::guid_bytes(s.trim())
    {
        return Ok(g);
    }
    let bytes = raw.bytes();
    <[u8; 16]>::try_from(bytes).map_err(|_| bytes.len())
}

/// A SID's string form: from the binary SID, or (accepted too) an `S-1-…` string as written.
fn sid_value(raw: Raw<'_>) -> Option<String> {
    if let Raw::Text(s) = raw
        && s.trim()
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("S-1-"))
    {
        return Some(s.trim().to_owned());
    }
    guid::sid_string(raw.bytes())
}

/// Accepts `changetype: add`; refuses the change types that modify existing entries, and
/// unknown ones.
fn check_changetype(file: &str, line: usize, value: &str) -> Result<(), InputError> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("add") {
        return Ok(());
    }
    let change = ["modify", "delete", "modrdn", "moddn"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(v));
    let message = if change {
        format!(
            "`changetype: {v}` changes existing entries; expected an export, whose records are \
             `changetype: add` (as `ldifde -f` writes) or have no changetype"
        )
    } else {
        format!(
            "unknown `changetype: {}`; expected `add` (or no changetype)",
            shown(v)
        )
    };
    Err(error(file, line, message))
}

// --- Records into objects -----------------------------------------------------------------------

/// Object classes that decide what a record is.
mod class {
    pub const USER: u8 = 1;
    pub const GROUP: u8 = 1 << 1;
    pub const OU: u8 = 1 << 2;
    /// Computers and contacts also carry `person`/`user`, and are not users.
    pub const NOT_USER: u8 = 1 << 3;
}

/// What a record was found to be.
enum Kind {
    User,
    Group,
    Ou,
    Skipped,
}

/// One record's values as read, before it is known to be a user, a group or something else.
#[derive(Default)]
struct Draft {
    dn: String,
    line: usize,
    classes: u8,
    /// The last `objectClass` value: AD lists them from `top` to the most specific.
    last_class: String,
    sam: Option<String>,
    object_guid: Option<[u8; 16]>,
    consistency_guid: Option<[u8; 16]>,
    sid: Option<String>,
    uac: Option<i64>,
    admin_count: Option<bool>,
    group_type: Option<i32>,
    /// The manager's DN and the line it is on.
    manager: Option<(String, usize)>,
    members: Vec<String>,
    member_lines: Vec<usize>,
    /// Values of [`TEXT`]'s attributes, by index.
    text: [Vec<String>; TEXT.len()],
}

impl Draft {
    /// Notes one `objectClass` value.
    fn add_class(&mut self, c: &str) {
        let c = c.trim();
        let mut buf = [0u8; 24];
        if let Some(lower) = buf.get_mut(..c.len()) {
            lower.copy_from_slice(c.as_bytes());
            lower.make_ascii_lowercase();
            self.classes |= match &*lower {
                b"user" | b"person" | b"inetorgperson" => class::USER,
                b"group" => class::GROUP,
                b"organizationalunit" | b"container" => class::OU,
                b"computer" | b"contact" => class::NOT_USER,
                _ => 0,
            };
        }
        self.last_class.clear();
        self.last_class.push_str(c);
    }

    /// A user carries `user`, `person` or `inetOrgPerson`; computers and contacts carry `person`
    /// too and are skipped, like any class hysim does not read.
    fn kind(&self) -> Kind {
        let has = |bit| self.classes & bit != 0;
        if has(class::NOT_USER) {
            Kind::Skipped
        } else if has(class::USER) {
            Kind::User
        } else if has(class::GROUP) {
            Kind::Group
        } else if has(class::OU) {
            Kind::Ou
        } else {
            Kind::Skipped
        }
    }

    /// The class a skipped record is counted under.
    fn class_name(&self) -> &str {
        if self.last_class.is_empty() {
            "(no objectClass)"
        } else {
            &self.last_class
        }
    }

    /// The values of the given [`TEXT`] attributes present, in the order given.
    fn attrs(&mut self, which: &[usize]) -> Vec<(&'static str, Vec<String>)> {
        let mut out = Vec::with_capacity(which.iter().filter(|&&i| self.has_text(i)).count());
        for &i in which {
            if let (Some(&name), Some(values)) = (TEXT.get(i), self.text.get_mut(i))
                && !values.is_empty()
            {
                out.push((name, std::mem::take(values)));
            }
        }
        out
    }

    fn has_text(&self, i: usize) -> bool {
        self.text.get(i).is_some_and(|v| !v.is_empty())
    }

    fn into_user(mut self) -> AdUser {
        AdUser {
            attrs: self.attrs(&USER_ATTRS),
            dn: self.dn,
            line: self.line,
            sam: self.sam,
            object_guid: self.object_guid,
            consistency_guid: self.consistency_guid,
            sid: self.sid,
            enabled: self.uac.is_none_or(|uac| uac & 2 == 0),
            manager: self.manager.map(|(m, _)| m),
            admin_count: self.admin_count.unwrap_or(false),
        }
    }

    fn into_group(mut self) -> AdGroup {
        AdGroup {
            attrs: self.attrs(&GROUP_ATTRS),
            dn: self.dn,
            line: self.line,
            sam: self.sam,
            object_guid: self.object_guid,
            sid: self.sid,
            group_type: self.group_type,
            members: self.members,
        }
    }
}

/// Sets a single-valued slot once; a second value is a warning and ignored.
fn once<T>(
    slot: &mut Option<T>,
    value: T,
    warnings: &mut Vec<(usize, String)>,
    line: usize,
    name: &str,
) {
    if slot.is_some() {
        warnings.push((
            line,
            format!("a second `{name}` value in one record; the first is kept"),
        ));
    } else {
        *slot = Some(value);
    }
}

/// What one chunk holds, lines numbered from the chunk's start; [`assemble`] joins the parts.
#[derive(Default)]
struct Part {
    users: Vec<AdUser>,
    groups: Vec<AdGroup>,
    ous: Vec<String>,
    /// Warnings by line.
    warnings: Vec<(usize, String)>,
    /// Skipped records by class: the class as first written, the count and the first line.
    skipped: Vec<(String, usize, usize)>,
    /// Every record's [`dn::key`], line and (for a skipped record) index into `skipped`, in
    /// file order; computed here so that it runs in the chunk's thread.
    keys: Vec<(String, usize, Option<usize>)>,
    /// The line of each user's `manager`, in user order.
    manager_lines: Vec<usize>,
    /// The line of each group's each `member`, in group and member order.
    member_lines: Vec<usize>,
    records: usize,
    /// The line breaks in the chunk: how far the next chunk's lines are shifted.
    newlines: usize,
}

/// Reads records into a [`Part`].
struct Reader<'f> {
    file: &'f str,
    limits: Limits,
    part: Part,
    /// Whether the next record is the file's first (where `version:` may be).
    first_record: bool,
    scratch: Scratch,
}

impl<'f> Reader<'f> {
    fn new(file: &'f str, limits: Limits, first_record: bool) -> Self {
        Reader {
            file,
            limits,
            part: Part::default(),
            first_record,
            scratch: Scratch::default(),
        }
    }

    /// Reads one record: an entry, or an `ldapsearch` reference or result block (skipped).
    fn record(&mut self, lines: &[Logical<'_>]) -> Result<(), InputError> {
        let lines = if std::mem::take(&mut self.first_record) {
            self.skip_version(lines)?
        } else {
            lines
        };
        let Some((head, body)) = lines.split_first() else {
            return Ok(());
        };
        let file = self.file;
        let (name, raw) = parse_line(file, head, &mut self.scratch)?;
        if !name.eq_ignore_ascii_case("dn") {
            if ["search", "result", "ref"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(name))
            {
                return Ok(());
            }
            return Err(error(
                file,
                head.line,
                format!("expected `dn:` (or `dn::`) to start a record, found `{name}:`"),
            ));
        }
        self.part.records += 1;
        if self.part.records > self.limits.records {
            return Err(error(
                file,
                head.line,
                format!(
                    "more than {} records; expected an export of at most that many objects",
                    self.limits.records
                ),
            ));
        }
        let mut draft = Draft {
            dn: text_value(file, head.line, "dn", raw)?.to_owned(),
            line: head.line,
            ..Draft::default()
        };
        for l in body {
            self.attribute(&mut draft, l)?;
        }
        self.keep(draft);
        Ok(())
    }

    /// The first record without its leading `version: 1` line, if it has one.
    fn skip_version<'l, 't>(
        &mut self,
        lines: &'l [Logical<'t>],
    ) -> Result<&'l [Logical<'t>], InputError> {
        let Some((head, rest)) = lines.split_first() else {
            return Ok(lines);
        };
        let (name, raw) = parse_line(self.file, head, &mut self.scratch)?;
        if !name.eq_ignore_ascii_case("version") {
            return Ok(lines);
        }
        let v = text_value(self.file, head.line, name, raw)?;
        if v.trim() != "1" {
            return Err(error(
                self.file,
                head.line,
                format!("`version: {}`; expected `version: 1`", shown(v)),
            ));
        }
        Ok(rest)
    }

    /// Reads one attribute line into the draft.
    fn attribute(&mut self, d: &mut Draft, l: &Logical<'_>) -> Result<(), InputError> {
        let file = self.file;
        let line = l.line;
        let warnings = &mut self.part.warnings;
        let (name, raw) = parse_line(file, l, &mut self.scratch)?;
        let Some(field) = field(name) else {
            return Ok(());
        };
        match field {
            Field::Changetype => check_changetype(file, line, text_value(file, line, name, raw)?)?,
            Field::ObjectClass => d.add_class(text_value(file, line, name, raw)?),
            Field::Sam => {
                let v = text_value(file, line, name, raw)?.to_owned();
                once(&mut d.sam, v, warnings, line, "sAMAccountName");
            }
            Field::ObjectGuid => {
                let g = guid_value(raw).map_err(|len| {
                    error(
                        file,
                        line,
                        format!(
                            "`objectGUID` is {len} bytes; expected 16 (the base64 of the stored \
                             GUID: 24 characters ending `==`)"
                        ),
                    )
                })?;
                once(&mut d.object_guid, g, warnings, line, "objectGUID");
            }
            Field::ConsistencyGuid => match guid_value(raw) {
                Ok(g) => once(
                    &mut d.consistency_guid,
                    g,
                    warnings,
                    line,
                    "mS-DS-ConsistencyGuid",
                ),
                Err(len) => warnings.push((
                    line,
                    format!(
                        "`mS-DS-ConsistencyGuid` is {len} bytes, not a 16-byte GUID; read as \
                         absent"
                    ),
                )),
            },
            Field::ObjectSid => {
                let sid = sid_value(raw).ok_or_else(|| {
                    error(
                        file,
                        line,
                        format!(
                            "`objectSid` is not a binary SID ({} bytes); expected revision 1, a \
                             sub-authority count, a 6-byte authority and 4 bytes per \
                             sub-authority",
                            raw.bytes().len()
                        ),
                    )
                })?;
                once(&mut d.sid, sid, warnings, line, "objectSid");
            }
            Field::Uac => {
                let v = int32(file, line, name, raw)?;
                once(
                    &mut d.uac,
                    i64::from(v),
                    warnings,
                    line,
                    "userAccountControl",
                );
            }
            Field::AdminCount => {
                let v = integer(file, line, name, raw)?;
                once(&mut d.admin_count, v == 1, warnings, line, "adminCount");
            }
            Field::GroupType => {
                let v = int32(file, line, name, raw)?;
                once(&mut d.group_type, v, warnings, line, "groupType");
            }
            Field::Manager => {
                let v = text_value(file, line, name, raw)?.to_owned();
                once(&mut d.manager, (v, line), warnings, line, "manager");
            }
            Field::Member => {
                d.members
                    .push(text_value(file, line, name, raw)?.to_owned());
                d.member_lines.push(line);
            }
            Field::Text(i) => {
                let v = text_value(file, line, name, raw)?.to_owned();
                if let Some(values) = d.text.get_mut(i) {
                    // Most attributes hold one value: no room for four (a million users' worth).
                    if values.is_empty() {
                        values.reserve_exact(1);
                    }
                    values.push(v);
                }
            }
        }
        Ok(())
    }

    /// Files a finished record as a user, a group, an OU, or a skipped record.
    fn keep(&mut self, d: Draft) {
        let part = &mut self.part;
        let class = match d.kind() {
            Kind::Skipped => Some(count_skipped(&mut part.skipped, d.class_name(), d.line)),
            _ => None,
        };
        part.keys.push((dn::key(&d.dn), d.line, class));
        match d.kind() {
            Kind::User => {
                if let Some((_, line)) = &d.manager {
                    part.manager_lines.push(*line);
                }
                part.users.push(d.into_user());
            }
            Kind::Group => {
                part.member_lines.extend_from_slice(&d.member_lines);
                part.groups.push(d.into_group());
            }
            Kind::Ou => part.ous.push(d.dn),
            Kind::Skipped => {}
        }
    }
}

/// Counts a skipped record under its most specific class; returns the class's index.
fn count_skipped(skipped: &mut Vec<(String, usize, usize)>, class: &str, line: usize) -> usize {
    match skipped
        .iter()
        .position(|(c, _, _)| c.eq_ignore_ascii_case(class))
    {
        Some(i) => {
            if let Some((_, n, _)) = skipped.get_mut(i) {
                *n += 1;
            }
            i
        }
        None => {
            skipped.push((class.to_owned(), 1, line));
            skipped.len() - 1
        }
    }
}

// --- Joining the parts --------------------------------------------------------------------------

/// What a DN of the export is: the line of its record and, for a skipped record, its class.
#[derive(Clone, Copy, Debug)]
struct Known {
    line: usize,
    class: Option<usize>,
}

/// Joins the parts in file order: lines shifted to the file's, skipped classes counted together,
/// DN-valued links checked against every DN of the export (in parallel, part by part), warnings
/// sorted by line.
fn assemble(file: &str, mut parts: Vec<Part>) -> AdExport {
    let mut offsets = Vec::with_capacity(parts.len());
    let mut offset = 0;
    for p in &parts {
        offsets.push(offset);
        offset += p.newlines;
    }
    let mut skipped: Vec<(String, usize, usize)> = Vec::new();
    let mut remaps = Vec::with_capacity(parts.len());
    for (p, off) in parts.iter().zip(&offsets) {
        let mut remap = Vec::with_capacity(p.skipped.len());
        for (class, n, first) in &p.skipped {
            let found = skipped
                .iter()
                .position(|(c, _, _)| c.eq_ignore_ascii_case(class));
            remap.push(found.unwrap_or(skipped.len()));
            match found.and_then(|i| skipped.get_mut(i)) {
                Some((_, total, _)) => *total += n,
                None => skipped.push((class.clone(), *n, first + off)),
            }
        }
        remaps.push(remap);
    }
    let mut warnings: Vec<(usize, String)> = skipped
        .iter()
        .map(|(class, n, first)| {
            (
                *first,
                format!(
                    "skipped {n} `{class}` record(s), the first here: hysim reads users, groups \
                     and OUs"
                ),
            )
        })
        .collect();
    let known = known_dns(&mut parts, &offsets, &remaps, &mut warnings);
    let links = check_all_links(&mut parts, &offsets, &known, &skipped);
    drop(known);
    let mut out = AdExport::default();
    for (p, off) in parts.into_iter().zip(offsets) {
        warnings.extend(p.warnings.into_iter().map(|(l, m)| (l + off, m)));
        append(&mut out.users, p.users);
        append(&mut out.groups, p.groups);
        append(&mut out.ous, p.ous);
    }
    warnings.extend(links.into_iter().flatten());
    warnings.sort_by_key(|(line, _)| *line);
    out.warnings = warnings
        .into_iter()
        .map(|(line, message)| Warning {
            at: format!("{file}:{line}"),
            message,
        })
        .collect();
    out.skipped = skipped.into_iter().map(|(c, n, _)| (c, n)).collect();
    out
}

/// Every DN of the export by [`dn::key`]; a DN met again is a warning on the later record.
fn known_dns(
    parts: &mut [Part],
    offsets: &[usize],
    remaps: &[Vec<usize>],
    warnings: &mut Vec<(usize, String)>,
) -> FxHashMap<String, Known> {
    let total = parts.iter().map(|p| p.keys.len()).sum();
    let mut known: FxHashMap<String, Known> =
        FxHashMap::with_capacity_and_hasher(total, Default::default());
    for ((p, off), remap) in parts.iter_mut().zip(offsets).zip(remaps) {
        for (key, line, class) in std::mem::take(&mut p.keys) {
            let line = line + off;
            let class = class.and_then(|c| remap.get(c).copied());
            match known.entry(key) {
                Entry::Occupied(first) => warnings.push((
                    line,
                    format!(
                        "this record's DN was read before (line {}); both records are kept",
                        first.get().line
                    ),
                )),
                Entry::Vacant(v) => {
                    v.insert(Known { line, class });
                }
            }
        }
    }
    known
}

/// Shifts each part's lines to the file's and checks its links, one thread a part; the
/// warnings of each part by line.
fn check_all_links(
    parts: &mut [Part],
    offsets: &[usize],
    known: &FxHashMap<String, Known>,
    skipped: &[(String, usize, usize)],
) -> Vec<Vec<(usize, String)>> {
    let mut work = parts.iter_mut().zip(offsets.iter().copied());
    let Some((head, head_offset)) = work.next() else {
        return Vec::new();
    };
    std::thread::scope(|s| {
        let threads: Vec<_> = work
            .map(|(p, off)| s.spawn(move || check_links(p, off, known, skipped)))
            .collect();
        let mut out = vec![check_links(head, head_offset, known, skipped)];
        out.extend(threads.into_iter().map(crate::joined));
        out
    })
}

/// Shifts one part's record lines by `offset` and checks its `manager` and `member` links: a DN
/// outside the export, or of a skipped record, is a warning; the link is kept as written.
fn check_links(
    part: &mut Part,
    offset: usize,
    known: &FxHashMap<String, Known>,
    skipped: &[(String, usize, usize)],
) -> Vec<(usize, String)> {
    for u in &mut part.users {
        u.line += offset;
    }
    for g in &mut part.groups {
        g.line += offset;
    }
    let managers = part
        .users
        .iter()
        .filter_map(|u| u.manager.as_deref())
        .zip(&part.manager_lines)
        .map(|(dn, &line)| ("manager", dn, line));
    let members = part
        .groups
        .iter()
        .flat_map(|g| &g.members)
        .zip(&part.member_lines)
        .map(|(dn, &line)| ("member", dn.as_str(), line));
    let mut out = Vec::new();
    for (attr, target, line) in managers.chain(members) {
        let message = match known.get(&dn::key(target)).map(|k| k.class) {
            Some(None) => continue,
            Some(Some(class)) => format!(
                "`{attr}: {target}` is a `{}` record, which hysim skips; kept as written",
                skipped.get(class).map_or("", |(c, _, _)| c.as_str())
            ),
            None => format!(
                "`{attr}: {target}` points outside the export (another domain, or an object \
                 the export's filter left out); kept as written"
            ),
        };
        out.push((line + offset, message));
    }
    out
}

/// Moves `more` onto the end of `all`, without a copy when `all` is empty.
fn append<T>(all: &mut Vec<T>, mut more: Vec<T>) {
    if all.is_empty() {
        *all = more;
    } else {
        all.append(&mut more);
    }
}

// --- Messages -----------------------------------------------------------------------------------

fn error(file: &str, line: usize, message: impl Into<String>) -> InputError {
    InputError {
        file: file.to_owned(),
        line: Some(line),
        column: None,
        path: None,
        message: message.into(),
    }
}

/// `s` cut to a length fit for a message.
fn shown(s: &str) -> Cow<'_, str> {
    const MAX_CHARS: usize = 80;
    match s.char_indices().nth(MAX_CHARS) {
        None => Cow::Borrowed(s),
        Some((end, _)) => Cow::Owned(format!("{}…", s.get(..end).unwrap_or_default())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const FILE: &str = "contoso.ldf";

    /// `objectGUID` of IMPORT_FORMATS 1.1's worked example, as stored.
    const ALICE_GUID: [u8; 16] = [
        0x85, 0x54, 0x0d, 0x24, 0x52, 0x65, 0x2b, 0x4f, 0xa7, 0x80, 0xdf, 0x77, 0x21, 0x91, 0xc7,
        0xe3,
    ];

    /// An `ldifde -f` export as IMPORT_FORMATS C.2 shows it (written with CRLF by [`crlf`]):
    /// a leading blank line, `changetype: add`, a folded x500 address, an escaped-comma DN used
    /// as a manager and a member, a `dn::` and `member::` with a non-ASCII name, a computer, an
    /// OU, and a member in another domain.
    const LDIFDE: &str = r"
dn: CN=Alice Jones,OU=Staff,DC=contoso,DC=com
changetype: add
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
cn: Alice Jones
sAMAccountName: alice
userPrincipalName: alice@contoso.com
displayName: Alice Jones
memberOf: CN=Finance,OU=Groups,DC=contoso,DC=com
proxyAddresses: SMTP:alice@contoso.com
proxyAddresses: x500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF
 23SPDLT)/cn=Recipients/cn=6f2c1d7e9b4a4e0f8d3c2b1a5e6f7a80-Alice Jones
objectGUID:: hVQNJFJlK0+ngN93IZHH4w==
userAccountControl: 512
objectSid:: AQUAAAAAAAUVAAAA17X7cgPi58PecJftUAQAAA==
manager: CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com
mS-DS-ConsistencyGuid:: hVQNJFJlK0+ngN93IZHH4w==

dn: CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com
changetype: add
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
cn: Kim, Jordan
sAMAccountName: jordan
objectGUID:: AAECAwQFBgcICQoLDA0ODw==
mS-DS-ConsistencyGuid:: EBESExQVFhcYGRobHB0eHw==
userAccountControl: 514

dn:: Q049RnJhbsOnb2lzIE1hcnRpbixPVT1TdGFmZixEQz1jb250b3NvLERDPWNvbQ==
changetype: add
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
sAMAccountName: francois
givenName:: RnJhbsOnb2lz
userAccountControl: 66050
adminCount: 1

dn: CN=WS01,OU=Workstations,DC=contoso,DC=com
changetype: add
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
objectClass: computer
sAMAccountName: WS01$
userAccountControl: 4096

dn: OU=Staff,DC=contoso,DC=com
changetype: add
objectClass: top
objectClass: organizationalUnit
ou: Staff

dn: CN=Finance,OU=Groups,DC=contoso,DC=com
changetype: add
objectClass: top
objectClass: group
cn: Finance
sAMAccountName: Finance
description: Finance team
groupType: -2147483646
member: CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com
member: CN=Alice Jones,OU=Staff,DC=contoso,DC=com
member:: Q049RnJhbsOnb2lzIE1hcnRpbixPVT1TdGFmZixEQz1jb250b3NvLERDPWNvbQ==
member: CN=WS01,OU=Workstations,DC=contoso,DC=com
member: CN=Outsider,CN=Users,DC=fabrikam,DC=com
objectGUID:: EBESExQVFhcYGRobHB0eHw==
objectSid:: AQUAAAAAAAUVAAAA17X7cgPi58PecJftUQQAAA==

";

    /// OpenLDAP `ldapsearch -L` output against AD (IMPORT_FORMATS C.4b): `version: 1`,
    /// comments, no changetype, operational attributes, a folded search reference and the
    /// result block.
    const LDAPSEARCH: &str = r"version: 1

#
# LDAPv3
# base <DC=contoso,DC=com> with scope subtree
# filter: (|(objectClass=user)(objectClass=group))
# requesting: ALL
#

# Alice Jones, Staff, contoso.com
dn: CN=Alice Jones,OU=Staff,DC=contoso,DC=com
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
cn: Alice Jones
uSNChanged: 12345
objectGUID:: hVQNJFJlK0+ngN93IZHH4w==
userAccountControl: 66048
dSCorePropagationData: 16010101000000.0Z

# search reference
ref: ldap://ForestDnsZones.contoso.com/DC=ForestDnsZones,DC=contoso,DC=c
 om

# search result
search: 2
result: 0 Success

# numResponses: 3
# numEntries: 1
";

    /// The limits of a read in one go.
    fn one_thread() -> Limits {
        Limits {
            threads: 1,
            ..Limits::for_this_machine()
        }
    }

    /// The limits of a read cut into chunks of a few records.
    fn chunked(threads: usize) -> Limits {
        Limits {
            threads,
            chunk_bytes: 64,
            ..Limits::for_this_machine()
        }
    }

    /// Many records, with every kind of warning, for reading in chunks.
    fn many_records() -> String {
        let mut text = String::from("version: 1\n\n");
        for i in 0..40 {
            let fixture = LDIFDE
                .replace("Alice Jones", &format!("Alice {i}"))
                .replace(
                    "sAMAccountName: alice",
                    &format!("sAMAccountName: alice{i}"),
                )
                .replace("CN=Finance", &format!("CN=Finance{}", i % 7));
            text.push_str(&crlf(&fixture));
            if i % 5 == 0 {
                text.push_str("dn: CN=c,DC=c\nobjectClass: contact\n\n");
            }
        }
        text
    }

    fn crlf(text: &str) -> String {
        text.replace('\n', "\r\n")
    }

    fn ok(text: &str) -> AdExport {
        read(FILE, text.as_bytes()).unwrap()
    }

    fn err(bytes: &[u8]) -> InputError {
        read(FILE, bytes).unwrap_err()
    }

    /// Asserts an error names the file, the line, and says `needle`.
    fn assert_error(e: &InputError, line: usize, needle: &str) {
        assert_eq!(e.file, FILE, "{e}");
        assert_eq!(e.line, Some(line), "{e}");
        assert!(e.message.contains(needle), "{e}");
    }

    /// The 1-based line of `text` holding `needle` first.
    fn line_of(text: &str, needle: &str) -> usize {
        1 + text.lines().position(|l| l.contains(needle)).unwrap()
    }

    fn values<'a>(attrs: &'a [(&str, Vec<String>)], name: &str) -> Option<&'a [String]> {
        attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn user<'a>(x: &'a AdExport, sam: &str) -> &'a AdUser {
        x.users
            .iter()
            .find(|u| u.sam.as_deref() == Some(sam))
            .unwrap()
    }

    #[test]
    fn field_knows_every_text_attribute_by_its_index() {
        for (i, name) in TEXT.iter().enumerate() {
            assert_eq!(field(name), Some(Field::Text(i)), "{name}");
            assert_eq!(field(&name.to_uppercase()), Some(Field::Text(i)), "{name}");
        }
        assert_eq!(field("mS-DS-ConsistencyGuid"), Some(Field::ConsistencyGuid));
        assert_eq!(field("memberOf"), None);
        assert_eq!(field(&"x".repeat(40)), None);
    }

    #[test]
    fn find_newline_finds_the_first_newline() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10);
        for _ in 0..5000 {
            let len = rng.random_range(0..40);
            let bytes: Vec<u8> = (0..len)
                .map(|_| [b'\n', b'a', 0x0B, 0x8A, 0x00, 0xFF][rng.random_range(0..6)])
                .collect();
            let expected = bytes.iter().position(|&b| b == b'\n');
            assert_eq!(find_newline(&bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn group_attrs_are_the_ones_the_model_names() {
        let names: Vec<&str> = GROUP_ATTRS.iter().map(|&i| TEXT[i]).collect();
        let doc = [
            "cn",
            "displayName",
            "mail",
            "proxyAddresses",
            "description",
            "mailNickname",
        ];
        assert_eq!(names, doc);
        assert_eq!(USER_ATTRS.len(), TEXT.len() - 1);
    }

    #[test]
    fn ldifde_crlf_export_with_leading_blank_line_is_read() {
        let x = ok(&crlf(LDIFDE));
        let sams: Vec<_> = x.users.iter().map(|u| u.sam.as_deref().unwrap()).collect();
        assert_eq!(sams, ["alice", "jordan", "francois"]);
        let alice = user(&x, "alice");
        assert_eq!(alice.dn, "CN=Alice Jones,OU=Staff,DC=contoso,DC=com");
        assert_eq!(alice.line, 2);
        assert_eq!(alice.object_guid, Some(ALICE_GUID));
        assert_eq!(alice.consistency_guid, Some(ALICE_GUID));
        assert_eq!(
            alice.sid.as_deref(),
            Some("S-1-5-21-1929098711-3286753795-3986125022-1104")
        );
        assert!(alice.enabled && !alice.admin_count);
        let names: Vec<_> = alice.attrs.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["userPrincipalName", "displayName", "proxyAddresses"]
        );
        assert_eq!(
            values(&alice.attrs, "proxyAddresses").unwrap(),
            [
                "SMTP:alice@contoso.com",
                "x500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)\
                 /cn=Recipients/cn=6f2c1d7e9b4a4e0f8d3c2b1a5e6f7a80-Alice Jones",
            ]
        );
        assert_eq!(x.ous, ["OU=Staff,DC=contoso,DC=com"]);
        let finance = &x.groups[0];
        assert_eq!(x.groups.len(), 1);
        assert_eq!(finance.group_type, Some(-2_147_483_646));
        assert_eq!(finance.members.len(), 5);
        assert_eq!(
            finance.sid.as_deref(),
            Some("S-1-5-21-1929098711-3286753795-3986125022-1105")
        );
        let names: Vec<_> = finance.attrs.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["cn", "description"]);
    }

    #[test]
    fn lf_and_crlf_exports_read_the_same() {
        assert_eq!(ok(LDIFDE), ok(&crlf(LDIFDE)));
    }

    #[test]
    fn consistency_guid_may_differ_from_object_guid_or_be_absent() {
        let x = ok(LDIFDE);
        let jordan = user(&x, "jordan");
        let stored: Vec<u8> = (0..16).collect();
        let other: Vec<u8> = (16..32).collect();
        assert_eq!(jordan.object_guid.unwrap().as_slice(), stored);
        assert_eq!(jordan.consistency_guid.unwrap().as_slice(), other);
        let francois = user(&x, "francois");
        assert_eq!(francois.consistency_guid, None);
    }

    #[test]
    fn disabled_accounts_514_and_66050_are_not_enabled() {
        let x = ok(LDIFDE);
        assert!(!user(&x, "jordan").enabled);
        assert!(!user(&x, "francois").enabled);
        assert!(user(&x, "alice").enabled);
        assert!(ok(LDAPSEARCH).users[0].enabled, "66048 is enabled");
    }

    #[test]
    fn base64_dn_with_a_non_ascii_name_is_decoded() {
        let x = ok(LDIFDE);
        let francois = user(&x, "francois");
        assert_eq!(francois.dn, "CN=François Martin,OU=Staff,DC=contoso,DC=com");
        assert_eq!(
            dn::first_value(&francois.dn).as_deref(),
            Some("François Martin")
        );
        assert_eq!(values(&francois.attrs, "givenName").unwrap(), ["François"]);
        assert!(francois.admin_count);
        assert_eq!(x.groups[0].members[2], francois.dn);
    }

    #[test]
    fn escaped_comma_dn_resolves_as_manager_and_member() {
        let x = ok(LDIFDE);
        let kim = r"CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com";
        assert_eq!(user(&x, "alice").manager.as_deref(), Some(kim));
        assert_eq!(x.groups[0].members[0], kim);
        assert!(
            x.warnings.iter().all(|w| !w.message.contains("Kim")),
            "{:?}",
            x.warnings
        );
    }

    #[test]
    fn computer_is_skipped_and_links_leaving_the_export_are_warnings() {
        let x = ok(LDIFDE);
        assert_eq!(x.skipped, [("computer".to_owned(), 1)]);
        let at = |needle| format!("{FILE}:{}", line_of(LDIFDE, needle));
        let got: Vec<(&str, &str)> = x
            .warnings
            .iter()
            .map(|w| (w.at.as_str(), w.message.as_str()))
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, at("dn: CN=WS01"));
        assert!(
            got[0]
                .1
                .contains("skipped 1 `computer` record(s), the first here")
        );
        assert_eq!(got[1].0, at("member: CN=WS01"));
        assert!(got[1].1.contains("is a `computer` record"));
        assert_eq!(got[2].0, at("member: CN=Outsider"));
        assert!(got[2].1.contains("points outside the export"));
        assert_eq!(
            x.groups[0].members[4],
            "CN=Outsider,CN=Users,DC=fabrikam,DC=com"
        );
    }

    #[test]
    fn dn_links_match_other_spellings_of_the_same_dn() {
        let text = r"dn: CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com
objectClass: user

dn: CN=G,DC=contoso,DC=com
objectClass: group
member: cn=KIM\2C Jordan, ou=staff,dc=CONTOSO,dc=com
";
        let x = ok(text);
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        assert_eq!(
            x.groups[0].members,
            [r"cn=KIM\2C Jordan, ou=staff,dc=CONTOSO,dc=com"]
        );
    }

    #[test]
    fn fold_inside_a_base64_value_and_inside_a_dn_is_joined() {
        let text = "dn: CN=Kim\\, Jor\n dan,OU=Staff,DC=contoso,DC=com\nobjectClass: user\n\
                    objectGUID:: hVQNJFJl\n K0+ngN93IZ\n HH4w==\nsAMAccountName: k\n\n\
                    dn: CN=G,DC=contoso,DC=com\nobjectClass: group\n\
                    member: CN=Kim\\\n , Jordan,OU=Staff,DC=contoso,DC=com\n\
                    description:  two spaces, the first one folded away\n  and kept\n";
        let x = ok(text);
        assert_eq!(x.users[0].dn, r"CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com");
        assert_eq!(x.users[0].line, 1);
        assert_eq!(x.users[0].object_guid, Some(ALICE_GUID));
        assert_eq!(
            x.groups[0].members,
            [r"CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com"]
        );
        assert_eq!(
            values(&x.groups[0].attrs, "description").unwrap(),
            ["two spaces, the first one folded away and kept"]
        );
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    }

    #[test]
    fn ldapsearch_export_with_version_comments_ref_and_result_is_read() {
        let x = ok(LDAPSEARCH);
        assert_eq!(x.users.len(), 1);
        let alice = &x.users[0];
        assert_eq!(alice.line, line_of(LDAPSEARCH, "dn: CN=Alice"));
        assert_eq!(alice.object_guid, Some(ALICE_GUID));
        assert!(x.groups.is_empty() && x.skipped.is_empty() && x.warnings.is_empty());
    }

    #[test]
    fn version_line_may_be_followed_directly_by_a_record() {
        let x = ok("version: 1\ndn: CN=a,DC=c\nobjectClass: user\n");
        assert_eq!(x.users[0].line, 2);
        assert_error(
            &err(b"version: 2\n\ndn: CN=a,DC=c\n"),
            1,
            "expected `version: 1`",
        );
    }

    #[test]
    fn utf16le_with_bom_is_decoded() {
        let text = crlf(
            "\ndn: CN=François Martin,OU=Staff,DC=contoso,DC=com\nchangetype: add\n\
             objectClass: user\ndisplayName: François Martin\nobjectGUID:: hVQNJFJlK0+ngN93IZHH4w==\n",
        );
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let x = read(FILE, &bytes).unwrap();
        assert_eq!(
            x.users[0].dn,
            "CN=François Martin,OU=Staff,DC=contoso,DC=com"
        );
        assert_eq!(x.users[0].line, 2);
        assert_eq!(
            values(&x.users[0].attrs, "displayName").unwrap(),
            ["François Martin"]
        );
        assert_eq!(x.users[0].object_guid, Some(ALICE_GUID));
    }

    #[test]
    fn utf8_bom_is_dropped() {
        let x = read(FILE, b"\xEF\xBB\xBFdn: CN=a,DC=c\nobjectClass: user\n").unwrap();
        assert_eq!(x.users[0].dn, "CN=a,DC=c");
    }

    #[test]
    fn missing_blank_line_before_dn_still_starts_a_record() {
        let x = ok("dn: CN=a,DC=c\nobjectClass: user\ndn: CN=b,DC=c\nobjectClass: user\n\n\n\n");
        let dns: Vec<_> = x.users.iter().map(|u| (u.dn.as_str(), u.line)).collect();
        assert_eq!(dns, [("CN=a,DC=c", 1), ("CN=b,DC=c", 3)]);
    }

    #[test]
    fn attribute_names_are_case_insensitive_and_options_are_dropped() {
        let x = ok(
            "DN: CN=g,DC=c\nOBJECTCLASS: Group\nmember;range=0-1499: CN=a,DC=c\n\
                    MEMBER;range=1500-*: CN=b,DC=c\nDISPLAYNAME: G\nsamaccountname: g\n",
        );
        let g = &x.groups[0];
        assert_eq!(g.members, ["CN=a,DC=c", "CN=b,DC=c"]);
        assert_eq!(g.sam.as_deref(), Some("g"));
        assert_eq!(g.attrs, [("displayName", vec!["G".to_owned()])]);
    }

    #[test]
    fn group_type_reads_signed_and_unsigned_spellings() {
        let x = ok(
            "dn: CN=g,DC=c\nobjectClass: group\ngroupType: 2147483656\n\n\
                    dn: CN=h,DC=c\nobjectClass: group\ngroupType: 8\n",
        );
        assert_eq!(x.groups[0].group_type, Some(-2_147_483_640));
        assert_eq!(x.groups[1].group_type, Some(8));
        assert_error(
            &err(b"dn: CN=g,DC=c\nobjectClass: group\ngroupType: 4294967296\n"),
            3,
            "expected a 32-bit integer",
        );
    }

    #[test]
    fn other_classes_are_counted_by_their_most_specific_class() {
        let x = ok(
            "dn: CN=c1,DC=c\nobjectClass: top\nobjectClass: person\nobjectClass: contact\n\n\
                    dn: CN=c2,DC=c\nobjectClass: top\nobjectClass: person\nobjectClass: contact\n\n\
                    dn: CN=f,DC=c\nobjectClass: top\nobjectClass: foreignSecurityPrincipal\n\n\
                    dn: CN=n,DC=c\ncn: n\n\n\
                    dn: CN=Users,DC=c\nobjectClass: top\nobjectClass: container\n",
        );
        assert_eq!(
            x.skipped,
            [
                ("contact".to_owned(), 2),
                ("foreignSecurityPrincipal".to_owned(), 1),
                ("(no objectClass)".to_owned(), 1),
            ]
        );
        assert_eq!(
            x.warnings.len(),
            3,
            "one warning per class: {:?}",
            x.warnings
        );
        assert_eq!(x.ous, ["CN=Users,DC=c"]);
        assert!(x.users.is_empty());
    }

    #[test]
    fn object_guid_of_the_wrong_length_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nobjectClass: user\nobjectGUID:: AAECAwQFBgcICQoLDA0O\n");
        assert_error(&e, 3, "`objectGUID` is 15 bytes; expected 16");
    }

    #[test]
    fn consistency_guid_of_the_wrong_length_is_a_warning_and_absent() {
        let x = ok("dn: CN=a,DC=c\nobjectClass: user\nmS-DS-ConsistencyGuid:: AAECAw==\n");
        assert_eq!(x.users[0].consistency_guid, None);
        assert_eq!(x.warnings.len(), 1);
        assert_eq!(x.warnings[0].at, format!("{FILE}:3"));
        assert!(
            x.warnings[0]
                .message
                .contains("4 bytes, not a 16-byte GUID")
        );
    }

    #[test]
    fn guid_and_sid_strings_are_accepted_as_well_as_bytes() {
        let x = ok("dn: CN=a,DC=c\nobjectClass: user\n\
                    objectGUID: 240d5485-6552-4f2b-a780-df772191c7e3\nobjectSid: S-1-5-21-1-2-3-500\n");
        assert_eq!(x.users[0].object_guid, Some(ALICE_GUID));
        assert_eq!(x.users[0].sid.as_deref(), Some("S-1-5-21-1-2-3-500"));
    }

    #[test]
    fn bad_sid_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nobjectClass: user\nobjectSid:: AQUAAAAAAAUVAAAA\n");
        assert_error(&e, 3, "`objectSid` is not a binary SID (12 bytes)");
    }

    #[test]
    fn second_single_value_is_a_warning_and_the_first_kept() {
        let x = ok("dn: CN=a,DC=c\nobjectClass: user\nsAMAccountName: a\nsAMAccountName: b\n");
        assert_eq!(x.users[0].sam.as_deref(), Some("a"));
        assert_eq!(x.warnings[0].at, format!("{FILE}:4"));
    }

    #[test]
    fn duplicate_dn_is_a_warning() {
        let x = ok("dn: CN=a,DC=c\nobjectClass: user\n\ndn: cn=A,dc=C\nobjectClass: user\n");
        assert_eq!(x.users.len(), 2);
        assert_eq!(x.warnings[0].at, format!("{FILE}:4"));
        assert!(x.warnings[0].message.contains("read before (line 1)"));
    }

    #[test]
    fn user_account_control_that_is_not_an_integer_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nobjectClass: user\nuserAccountControl: 512x\n");
        assert_error(
            &e,
            3,
            "`userAccountControl` is `512x`; expected a decimal integer",
        );
    }

    #[test]
    fn bad_base64_is_an_error_on_its_line() {
        let e = err(b"dn: CN=a,DC=c\nobjectClass: user\nobjectGUID:: hVQN!FJlK0+ngN93IZHH4w==\n");
        assert_error(&e, 3, "`objectGUID::` is not valid base64");
        let e = err(b"dn: CN=a,DC=c\nobjectGUID:: hVQNJFJl\n K0+ngN93IZHH4w=\n");
        assert_error(&e, 2, "not valid base64");
    }

    #[test]
    fn folded_line_with_nothing_to_continue_is_an_error() {
        assert_error(
            &err(b"\n dn: CN=a,DC=c\n"),
            2,
            "a folded line with nothing to continue",
        );
        assert_error(
            &err(b"dn: CN=a,DC=c\nobjectClass: user\n\n folded\n"),
            4,
            "a folded line with nothing to continue",
        );
        assert_error(&err(b" dn: CN=a,DC=c\n"), 1, "nothing to continue");
    }

    #[test]
    fn comments_are_skipped_and_their_folds_with_them() {
        let x = ok(
            "# a comment\n folded into the comment\ndn: CN=a,DC=c\n# inside\nobjectClass: user\n",
        );
        assert_eq!(x.users[0].dn, "CN=a,DC=c");
    }

    #[test]
    fn unknown_changetype_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nchangetype: frobnicate\nobjectClass: user\n");
        assert_error(&e, 2, "unknown `changetype: frobnicate`");
    }

    #[test]
    fn change_records_are_errors_naming_the_changetype() {
        let e =
            err(b"\ndn: CN=a,DC=c\nchangetype: modify\nreplace: description\ndescription: x\n-\n");
        assert_error(&e, 3, "`changetype: modify` changes existing entries");
        for kind in ["delete", "modrdn", "moddn"] {
            let text = format!("dn: CN=a,DC=c\nchangetype: {kind}\n");
            assert_error(&err(text.as_bytes()), 2, &format!("`changetype: {kind}`"));
        }
    }

    #[test]
    fn utf16_without_bom_is_an_error() {
        let bytes: Vec<u8> = "dn: CN=a,DC=c\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_error(&err(&bytes), 1, "UTF-16 without a byte-order mark");
        let big: Vec<u8> = "dn: x".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_error(&err(&big), 1, "UTF-16 without a byte-order mark");
        assert_error(&err(b"\xFE\xFF\x00d"), 1, "UTF-16 big-endian");
    }

    #[test]
    fn line_without_a_colon_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nobjectClass user\n");
        assert_error(&e, 2, "found a line with no colon: `objectClass user`");
    }

    #[test]
    fn value_from_a_url_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nobjectClass: user\njpegPhoto:< file:///tmp/a.jpg\n");
        assert_error(&e, 3, "`jpegPhoto:<` takes its value from a URL");
    }

    #[test]
    fn text_that_is_not_utf8_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nobjectClass: user\ndisplayName:: //4=\n");
        assert_error(&e, 3, "`displayName::` decodes to bytes that are not UTF-8");
        let e = err(b"dn: CN=a,DC=c\nobjectClass: user\ndisplayName: caf\xE9\n");
        assert_error(&e, 3, "invalid UTF-8");
        let e = err(b"dn:: //4=\nobjectClass: user\n");
        assert_error(&e, 1, "`dn::` decodes to bytes that are not UTF-8");
    }

    #[test]
    fn record_not_starting_with_dn_is_an_error() {
        let e = err(b"\n\nobjectClass: user\ndn: CN=a,DC=c\n");
        assert_error(
            &e,
            3,
            "expected `dn:` (or `dn::`) to start a record, found `objectClass:`",
        );
    }

    #[test]
    fn bad_attribute_name_is_an_error() {
        let e = err(b"dn: CN=a,DC=c\nobject class: user\n");
        assert_error(&e, 2, "expected an attribute name");
    }

    #[test]
    fn overlong_line_and_too_many_records_are_refused() {
        let limits = Limits {
            line_bytes: 32,
            records: 2,
            ..one_thread()
        };
        let long = format!("dn: CN=a,DC=c\ndescription: {}\n", "x".repeat(40));
        let e = read_with(FILE, long.as_bytes(), limits).unwrap_err();
        assert_error(&e, 2, "longer than 32 bytes");
        let folded = format!(
            "dn: CN=a,DC=c\ndescription: {}\n {}\n",
            "x".repeat(10),
            "y".repeat(20)
        );
        let e = read_with(FILE, folded.as_bytes(), limits).unwrap_err();
        assert_error(&e, 2, "longer than 32 bytes");
        let three = "dn: CN=a,DC=c\n\ndn: CN=b,DC=c\n\ndn: CN=c,DC=c\n";
        let e = read_with(FILE, three.as_bytes(), limits).unwrap_err();
        assert_error(&e, 5, "more than 2 records");
    }

    #[test]
    fn a_line_over_64_mib_is_refused() {
        let mut bytes = b"dn: CN=a,DC=c\ndescription: ".to_vec();
        bytes.resize(MAX_LINE_BYTES + 64, b'x');
        assert_error(&err(&bytes), 2, "longer than");
    }

    #[test]
    fn chunks_start_at_dn_lines_and_cover_the_text() {
        let text = many_records();
        let chunks = chunks(&text, chunked(5));
        assert_eq!(chunks.len(), 5);
        assert!(
            chunks
                .iter()
                .skip(1)
                .all(|c| c.text.starts_with("dn:") && !c.first)
        );
        assert!(chunks[0].first);
        let joined: String = chunks.iter().map(|c| c.text).collect();
        assert_eq!(joined, text);
        assert_eq!(super::chunks(&text, one_thread()).len(), 1);
    }

    #[test]
    fn reading_in_chunks_gives_what_reading_in_one_go_gives() {
        let text = many_records();
        let whole = read_with(FILE, text.as_bytes(), one_thread()).unwrap();
        assert_eq!(whole.users.len(), 120);
        assert!(whole.warnings.len() > 100, "{}", whole.warnings.len());
        assert_eq!(
            whole.skipped,
            [("computer".to_owned(), 40), ("contact".to_owned(), 8)]
        );
        for threads in [2, 3, 8] {
            let parts = read_with(FILE, text.as_bytes(), chunked(threads)).unwrap();
            assert_eq!(parts, whole, "{threads} threads");
        }
    }

    #[test]
    fn reading_in_chunks_reports_the_first_error_of_the_file() {
        let text = many_records();
        let late = line_of(&text, "Alice 30,");
        let early = line_of(&text, "Alice 3,");
        let mut lines: Vec<&str> = text.split('\n').collect();
        lines[late] = "no colon";
        lines[early + 1] = "userAccountControl: x";
        let bad = lines.join("\n");
        let e = read_with(FILE, bad.as_bytes(), chunked(4)).unwrap_err();
        assert_eq!(
            e,
            read_with(FILE, bad.as_bytes(), one_thread()).unwrap_err()
        );
        assert_error(&e, early + 2, "`userAccountControl` is `x`");
        let few = Limits {
            records: 100,
            ..chunked(4)
        };
        let e = read_with(FILE, text.as_bytes(), few).unwrap_err();
        assert_error(&e, line_of(&text, "Alice 16,"), "more than 100 records");
    }

    #[test]
    fn empty_and_blank_files_are_empty_exports() {
        for text in ["", "\n", "\r\n\r\n", "# only a comment\n", "version: 1\n"] {
            assert_eq!(ok(text), AdExport::default(), "{text:?}");
        }
    }

    /// Any bytes give an export or an error on a line of the file, never a panic, and the same
    /// in chunks as in one go: random bytes, random LDIF-ish text, and the fixtures with random
    /// edits (seeded, so a failure repeats).
    #[test]
    fn arbitrary_bytes_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2849);
        let alphabet = b"dn:: \r\n#-=,\\+;<Aa0/=\xff\xfe\x00\xc3\xa7";
        let fixtures = [LDIFDE.as_bytes(), LDAPSEARCH.as_bytes()];
        for case in 0..4000 {
            let len = rng.random_range(0..160);
            let bytes: Vec<u8> = match case % 3 {
                0 => (0..len).map(|_| rng.random()).collect(),
                1 => (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect(),
                _ => {
                    let mut b = fixtures[case % 2].to_vec();
                    for _ in 0..rng.random_range(1..6) {
                        let at = rng.random_range(0..b.len());
                        let byte = alphabet[rng.random_range(0..alphabet.len())];
                        match rng.random_range(0..3) {
                            0 => b[at] = byte,
                            1 => b.insert(at, byte),
                            _ => {
                                b.remove(at);
                            }
                        }
                    }
                    b
                }
            };
            let whole = read_with("fuzz.ldf", &bytes, one_thread());
            if let Err(e) = &whole {
                let lines = 1 + bytes.iter().filter(|&&b| b == b'\n').count();
                let line = e.line.unwrap();
                assert!(
                    (1..=lines).contains(&line),
                    "{e} in {:?}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            let in_chunks = read_with("fuzz.ldf", &bytes, chunked(3));
            assert_eq!(in_chunks, whole, "{:?}", String::from_utf8_lossy(&bytes));
        }
    }
}
