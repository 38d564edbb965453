//! A property or attribute value in one machine word: a shared text, a shared list of texts or a
//! boolean. A tenant holds about 30 values a user (its AD attributes and Entra properties), so
//! one word each rather than two is a large share of a big tenant's memory.
//!
//! The kind is kept in the two low bits of the word, which the pointers leave free: a text is
//! an [`ArcStr`](arcstr::ArcStr) (aligned to 8 bytes, held as [`Str::into_raw`] gives it, tag
//! 0), a list a [`triomphe::ThinArc`] of texts, its count, length and items in one allocation
//! (aligned to 8, tag 1), a boolean no pointer at all (tag 2, the value in bit 2). With the
//! store's prefetch hint, the engine's only unsafe code; [`Value::view`] is how the rest of it
//! reads a value.

use std::ffi::c_void;
use std::fmt;
use std::mem::ManuallyDrop;
use std::num::NonZeroUsize;
use std::ptr::NonNull;

use serde::{Serialize, Serializer};
use smallvec::SmallVec;

/// A shared immutable string: copying one costs a reference count, not a copy of its text.
pub use arcstr::ArcStr as Str;

/// The concatenation of `parts` as one shared string, built on the stack without a temporary
/// `String` when it is short (an address, a name), since the generator and the sync make
/// millions of them.
pub fn concat(parts: &[&str]) -> Str {
    let mut buf = arrayvec::ArrayString::<128>::new();
    for p in parts {
        if buf.try_push_str(p).is_err() {
            return Str::from(parts.concat());
        }
    }
    Str::from(buf.as_str())
}

/// A value, borrowed: what [`Value::view`] returns to match on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ValueRef<'a> {
    Text(&'a Str),
    List(&'a [Str]),
    Bool(bool),
}

/// A property or attribute value in one word (see the module). Texts and lists are shared:
/// copying a value costs a reference count. `Option<Value>` is one word too.
#[repr(transparent)]
pub struct Value(NonNull<()>);

const TAG: usize = 0b011;
const TEXT: usize = 0b000;
const LIST: usize = 0b001;
const BOOL: usize = 0b010;
const TRUE: usize = 0b100;

// A text is read in place as the `ArcStr` it was made from (tag 0 leaves its word unchanged):
// `ArcStr` is `#[repr(transparent)]` over one non-null pointer, 8-byte aligned.
const _: () = assert!(size_of::<Str>() == size_of::<Value>());
const _: () = assert!(align_of::<Str>() == align_of::<Value>());
const _: () = assert!(size_of::<Option<Value>>() == size_of::<usize>());
/// A shared list of texts: one allocation, one word to point to it.
type List = triomphe::ThinArc<(), Str>;

// A list's allocation starts with its reference count, a `usize`: 8-byte aligned.
const _: () = assert!(align_of::<usize>() > TAG);

const fn word(bits: usize) -> NonZeroUsize {
    match NonZeroUsize::new(bits) {
        Some(w) => w,
        None => NonZeroUsize::MIN,
    }
}

// SAFETY: a value owns an `ArcStr` or a `ThinArc<(), ArcStr>`, which are both Send and Sync,
// or no pointer at all.
unsafe impl Send for Value {}
// SAFETY: as for Send; a shared value is only read.
unsafe impl Sync for Value {}

impl Value {
    /// A new text (its own allocation); [`Value::from`] a [`Str`] shares one.
    pub fn text(s: impl AsRef<str>) -> Value {
        Value::from(Str::from(s.as_ref()))
    }

    /// A new list of texts.
    pub fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
        items.into_iter().map(|s| Str::from(s.as_ref())).collect()
    }

    fn tag(&self) -> usize {
        self.0.addr().get() & TAG
    }

    /// The list this value points to, as [`List::into_raw`] gave it; only for tag `LIST`.
    fn list_ptr(&self) -> *const c_void {
        self.0.as_ptr().map_addr(|a| a & !TAG).cast_const().cast()
    }

    /// The list this value points to, not counted: it must not outlive `self`, and is never
    /// dropped. Only for tag `LIST`.
    fn borrowed_list(&self) -> ManuallyDrop<List> {
        // SAFETY: tag 1 is `List::into_raw` with the tag added, and `self` holds a count of it.
        ManuallyDrop::new(unsafe { List::from_raw(self.list_ptr()) })
    }

    /// What the value is, to match on.
    pub fn view(&self) -> ValueRef<'_> {
        match self.tag() {
            // SAFETY: tag 0 is a word made by `Str::into_raw`, unchanged: `Value` and `ArcStr`
            // are both one transparent non-null pointer (asserted above), so the word is a
            // valid `ArcStr`, owned by `self` and borrowed for as long as `self` is.
            TEXT => ValueRef::Text(unsafe { &*(self as *const Value).cast::<Str>() }),
            LIST => {
                let list = self.borrowed_list();
                let items: &[Str] = &list.slice;
                // SAFETY: the items lie in the list's allocation, which lives as long as `self`
                // holds its count; `list` itself is only a copy of the pointer.
                ValueRef::List(unsafe { std::slice::from_raw_parts(items.as_ptr(), items.len()) })
            }
            _ => ValueRef::Bool(self.0.addr().get() & TRUE != 0),
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        self.as_str().map(Str::as_str)
    }

    /// A text value as the shared string it is held in: copying it costs a reference count.
    pub fn as_str(&self) -> Option<&Str> {
        match self.view() {
            ValueRef::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Str] {
        match self.view() {
            ValueRef::List(l) => l,
            _ => &[],
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.view() {
            ValueRef::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An empty text or list counts as no value.
    pub fn is_empty(&self) -> bool {
        match self.view() {
            ValueRef::Text(s) => s.is_empty(),
            ValueRef::List(l) => l.is_empty(),
            ValueRef::Bool(_) => false,
        }
    }
}

impl From<Str> for Value {
    fn from(s: Str) -> Value {
        // Tag 0: the word as `ArcStr` holds it (8-byte aligned, so its tag bits are clear).
        Value(Str::into_raw(s))
    }
}

/// A list of the texts, in order.
impl FromIterator<Str> for Value {
    fn from_iter<I: IntoIterator<Item = Str>>(items: I) -> Value {
        // Lists are short (a user's addresses): counted on the stack, then moved in.
        let items: SmallVec<[Str; 4]> = items.into_iter().collect();
        let p = List::into_raw(List::from_header_and_iter((), items.into_iter()));
        let p = p.cast_mut().cast::<()>().map_addr(|a| a | LIST);
        // SAFETY: an allocation's pointer is never null, and with a tag bit set it is still not.
        Value(unsafe { NonNull::new_unchecked(p) })
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        let bits = if b { BOOL | TRUE } else { BOOL };
        Value(NonNull::dangling().with_addr(word(bits)))
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        match self.tag() {
            // SAFETY: tag 0 is a word `Str::into_raw` gave, owned by `self`, released once.
            TEXT => drop(unsafe { Str::from_raw(self.0) }),
            // SAFETY: tag 1 is `List::into_raw` with the tag added, owned by `self`, released
            // once.
            LIST => drop(unsafe { List::from_raw(self.list_ptr()) }),
            _ => {}
        }
    }
}

impl Clone for Value {
    fn clone(&self) -> Value {
        match self.view() {
            ValueRef::Text(s) => Value::from(s.clone()),
            ValueRef::List(_) => {
                // The new value owns the count the copy takes, at the same address.
                let _ = List::into_raw(List::clone(&self.borrowed_list()));
                Value(self.0)
            }
            ValueRef::Bool(_) => Value(self.0),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.0 == other.0 || self.view() == other.view()
    }
}
impl Eq for Value {}

/// Hashes what equality compares: the kind and the text(s) or the boolean.
impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self.view() {
            ValueRef::Text(s) => {
                0u8.hash(h);
                s.as_str().hash(h);
            }
            ValueRef::List(l) => {
                1u8.hash(h);
                l.len().hash(h);
                for s in l {
                    s.as_str().hash(h);
                }
            }
            ValueRef::Bool(b) => {
                2u8.hash(h);
                b.hash(h);
            }
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.view() {
            ValueRef::Text(s) => f.debug_tuple("Text").field(s).finish(),
            ValueRef::List(l) => f.debug_tuple("List").field(&l).finish(),
            ValueRef::Bool(b) => f.debug_tuple("Bool").field(&b).finish(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.view() {
            ValueRef::Text(s) => f.write_str(s),
            ValueRef::List(l) => {
                f.write_str("[")?;
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(x)?;
                }
                f.write_str("]")
            }
            ValueRef::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.view() {
            ValueRef::Text(t) => s.serialize_str(t),
            ValueRef::List(l) => s.collect_seq(l.iter().map(Str::as_str)),
            ValueRef::Bool(b) => s.serialize_bool(b),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_one_word_and_reads_back_what_it_was_made_of() {
        assert_eq!(size_of::<Value>(), 8);
        assert_eq!(size_of::<Option<Value>>(), 8);
        let text = Value::text("alice@contoso.com");
        let list = Value::list(["SMTP:a@x", "smtp:b@x"]);
        let yes = Value::from(true);
        let no = Value::from(false);
        assert_eq!(text.as_text(), Some("alice@contoso.com"));
        assert_eq!(text.as_list(), &[] as &[Str]);
        assert_eq!(list.as_list(), ["SMTP:a@x", "smtp:b@x"]);
        assert_eq!(list.as_text(), None);
        assert_eq!((yes.as_bool(), no.as_bool()), (Some(true), Some(false)));
        assert_eq!(text.as_bool(), None);
        assert_eq!(
            format!("{text} {list} {yes} {no}"),
            "alice@contoso.com [SMTP:a@x, smtp:b@x] true false"
        );
        assert_eq!(
            format!("{text:?} {list:?} {no:?}"),
            r#"Text("alice@contoso.com") List(["SMTP:a@x", "smtp:b@x"]) Bool(false)"#
        );
        assert!(Value::text("").is_empty() && Value::list::<&str>([]).is_empty());
        assert!(!no.is_empty());
    }

    #[test]
    fn copies_share_their_text_and_list_and_compare_by_content() {
        let s = Str::from("shared");
        let v = Value::from(s.clone());
        let copy = v.clone();
        // The value holds the string it was given, and a copy the same one.
        assert!(Str::ptr_eq(v.as_str().unwrap(), &s));
        assert!(Str::ptr_eq(copy.as_str().unwrap(), &s));
        assert_eq!(Str::strong_count(&s), Some(3));
        drop((v, copy));
        assert_eq!(Str::strong_count(&s), Some(1));

        let list = Value::list(["a", "b"]);
        let copy = list.clone();
        assert!(std::ptr::eq(list.as_list(), copy.as_list()));
        drop(list);
        assert_eq!(copy.as_list(), ["a", "b"]);

        assert_eq!(Value::text("a"), Value::text("a"));
        assert_ne!(Value::text("a"), Value::text("b"));
        assert_eq!(Value::list(["a"]), Value::list(["a"]));
        assert_ne!(Value::list(["a"]), Value::text("a"));
        assert_ne!(Value::from(true), Value::from(false));
        assert_ne!(Value::text("true"), Value::from(true));
        assert_eq!(
            serde_json::to_string(&[Value::text("x"), Value::list(["y"]), Value::from(true)])
                .unwrap(),
            r#"["x",["y"],true]"#
        );
    }

    #[test]
    fn values_cross_threads_and_are_released_once() {
        let s = Str::from("crosses");
        let values: Vec<Value> = (0..64)
            .map(|i| match i % 3 {
                0 => Value::from(s.clone()),
                1 => [s.clone(), s.clone()].into_iter().collect(),
                _ => Value::from(i % 2 == 0),
            })
            .collect();
        let copies = values.clone();
        std::thread::scope(|t| {
            t.spawn(move || drop(copies));
            t.spawn(|| assert!(values.iter().all(|v| !v.is_empty())));
        });
        drop(values);
        assert_eq!(Str::strong_count(&s), Some(1));
    }
}
