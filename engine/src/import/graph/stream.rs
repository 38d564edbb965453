//! A collection response read as a stream: each object of `value` is handed to a callback as
//! soon as it is read, so that a page of 999 users is never held as wire objects (nor grown, nor
//! freed) but only as what they become.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::super::InputError;
use super::wire::{ErrorBody, Text};

/// What [`Stream`] read of a collection response besides its objects.
#[derive(Default)]
pub(super) struct End {
    pub next_link: Option<String>,
    pub error: Option<ErrorBody>,
    /// `value` was present and not null.
    pub has_value: bool,
}

/// The callback that takes each object of a [`Stream`], and what the stream read besides.
pub(super) struct StreamState<F> {
    row: F,
    pub end: End,
    /// The error `row` returned, which stopped the reading.
    pub stopped: Option<InputError>,
}

impl<F> StreamState<F> {
    pub fn new(row: F) -> Self {
        StreamState {
            row,
            end: End::default(),
            stopped: None,
        }
    }
}

/// The stream itself, as a serde seed; it accepts what [`super::wire::Envelope`] accepts.
pub(super) struct Stream<'s, T, F> {
    state: &'s mut StreamState<F>,
    row: PhantomData<fn() -> T>,
}

impl<'s, T, F> Stream<'s, T, F> {
    pub fn new(state: &'s mut StreamState<F>) -> Self {
        Stream {
            state,
            row: PhantomData,
        }
    }
}

impl<'de, T, F> DeserializeSeed<'de> for Stream<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(usize, T) -> Result<(), InputError>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T, F> Visitor<'de> for Stream<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(usize, T) -> Result<(), InputError>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Graph collection response")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "value" => map.next_value_seed(Values {
                    state: &mut *self.state,
                    row: PhantomData,
                })?,
                "@odata.nextLink" => self.state.end.next_link = map.next_value()?,
                "error" => self.state.end.error = map.next_value()?,
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `value`: `null`, or the array whose objects go to the callback one by one.
struct Values<'s, T, F> {
    state: &'s mut StreamState<F>,
    row: PhantomData<fn() -> T>,
}

impl<'de, T, F> DeserializeSeed<'de> for Values<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(usize, T) -> Result<(), InputError>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T, F> Visitor<'de> for Values<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(usize, T) -> Result<(), InputError>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.state.end.has_value = true;
        let mut i = 0;
        while let Some(w) = seq.next_element::<T>()? {
            if let Err(e) = (self.state.row)(i, w) {
                self.state.stopped = Some(e);
                return Err(de::Error::custom("stopped by the reader"));
            }
            i += 1;
        }
        Ok(())
    }
}
