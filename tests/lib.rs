//! Integration tests of hysim live in this crate's `tests/` folder.
